/**
 * End to end over the simulated bench: an `io` mapping, SimFieldBench (plant values → simulated
 * TMP102 / ADS1115 / INA219 registers and GPIO levels), openField over the bench's bus and a
 * SimGpioChip, and a FieldIo reading them through the real drivers. The property the simulator's
 * reference relies on (src/field/sim-quantise.ts): what a board reads for plant value v is exactly
 * throughSource(config, v).
 */
import test, { type ExecutionContext } from 'ava';
import { SimGpioChip } from '../../src/adapters/sim/gpio.ts';
import { readFieldConfig, type FieldConfig, type SinkConfig } from '../../src/field/config.ts';
import { FieldIo, SAMPLE_AGE_CYCLES_MAX } from '../../src/field/field-io.ts';
import { openField, sinkLevel } from '../../src/field/open.ts';
import { benchProblems, SimFieldBench } from '../../src/field/sim-bench.ts';
import { throughSource } from '../../src/field/sim-quantise.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import type { ProcessIo } from '../../src/shell/board.ts';
import type { SignalSpec } from '../../src/workload/types.ts';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const TMP = 0x48;
const ADC = 0x49;
const INA = 0x41;
const PIN = { door: 17, pulses: 27, heater: 22, valve: 24, pump: 23, vent: 25 } as const;

const inputs: SignalSpec[] = [
  { name: 'tempC', kind: 'analog', toleranceAbs: 0.5, min: -55, max: 150, unit: 'degC' },
  { name: 'levelPct', kind: 'analog', toleranceAbs: 1, min: 0, max: 100, unit: '%' },
  { name: 'flowLpm', kind: 'analog', toleranceAbs: 0.5, min: -1, max: 50, unit: 'L/min' },
  { name: 'door', kind: 'discrete' },
  { name: 'pulses', kind: 'analog', toleranceAbs: 2, min: 0, max: 1e6 },
  { name: 'railV', kind: 'analog', toleranceAbs: 0.1, min: 0, max: 26, unit: 'V' },
  { name: 'railA', kind: 'analog', toleranceAbs: 0.05, min: 0, max: 3, unit: 'A' },
];
const outputs: SignalSpec[] = [
  { name: 'heater', kind: 'discrete' },
  { name: 'valve', kind: 'analog', toleranceAbs: 0.05, min: 0, max: 1 },
  { name: 'pump', kind: 'discrete' },
  { name: 'vent', kind: 'discrete' },
];

const mapping = {
  inputs: {
    tempC: { tmp102: { address: TMP } },
    // Two inputs on one ADS1115: a 1-5 V level transmitter to 0-100 %, and a flow meter at 10 L/min per volt.
    levelPct: { ads1115: { address: ADC, input: 'AIN0', fsrV: 6.144, gain: 25, offset: -25 } },
    flowLpm: { ads1115: { address: ADC, input: 'AIN1', fsrV: 6.144, gain: 10, offset: -0.5 } },
    door: { gpio: { pin: PIN.door, activeLow: true } },
    pulses: { gpio: { pin: PIN.pulses, count: 'rising' } },
    railV: { ina219: { address: INA, measure: 'busV' } },
    railA: { ina219: { address: INA, measure: 'currentA' } },
  },
  outputs: {
    heater: { gpio: { pin: PIN.heater } },
    valve: { gpio: { pin: PIN.valve, threshold: 0.25 } },
    pump: { relay: { pin: PIN.pump } },
    vent: { relay: { pin: PIN.vent, activeLow: true } },
  },
};

function parse(body: unknown): FieldConfig {
  const r = readFieldConfig(body, 'bench');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.io;
}

class FakePlant implements ProcessIo {
  readonly presented: { cycle: number; outputs: number[]; safe: boolean }[] = [];
  readonly selected: (string | null)[] = [];
  sensors(): readonly number[] {
    return [];
  }
  present(cycle: number, o: readonly number[], safe: boolean): void {
    this.presented.push({ cycle, outputs: [...o], safe });
  }
  select(_cycle: number, board: string | null): void {
    this.selected.push(board);
  }
}

async function bench(t: ExecutionContext, body: unknown = mapping, ins: SignalSpec[] = inputs, outs: SignalSpec[] = outputs) {
  const io = parse(body);
  const clock = new VirtualClock();
  const chip = new SimGpioChip({ clock, name: 'b1' });
  const b = new SimFieldBench(io, ins, outs, chip, 'b1-i2c');
  const field = await openField(io, ins, outs, { chip, toChipPin: (p) => p, i2c: b.bus });
  const plant = new FakePlant();
  const faults: [string, string][] = [];
  const fio = new FieldIo({
    inputs: ins, outputs: outs, sources: field.sources, sinks: field.sinks,
    plant: b.plantThroughLines(plant), kickAhead: false,
    onFault: (signal, what) => faults.push([signal, what]),
  });
  b.attach(fio);
  // Closed once, at the end of every test (j5 timers would keep the process alive); a test that
  // closes the field itself calls close() from here.
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= fio.close());
  t.teardown(close);
  /** One plant reading for cycle c, the board's samples completed, and what the board reads. */
  const read = async (c: number, values: number[]): Promise<number[]> => {
    b.feed(c, values);
    await settle();
    return [...fio.sensors(c)];
  };
  const expected = (values: number[]) => ins.map((s, i) => throughSource(io.inputs[s.name], values[i]!));
  return { io, clock, chip, bench: b, field, fio, plant, faults, read, expected, close };
}

/** Plant readings per cycle: tempC, levelPct, flowLpm, door, pulses (cumulative), railV, railA. */
const readings: number[][] = [
  [21.3, 50, 12.5, 1, 0, 12, 0.5],
  [21.34, 37.2, 0.03, 0, 3, 11.996, 1.25],
  [-10.03125, 99.99, 49.9, 1, 3.7, 5.004, 0],
  [127.95, 0.01, -0.2, 1, 250, 0, 2.5],
  [150, 12.3456, 7.77777, 0, 1000, 25.5, 0.1],
];

test('every input reads exactly throughSource(config, plant value), cycle after cycle', async (t) => {
  const { read, expected, fio } = await bench(t);
  for (let c = 0; c < readings.length; c++) {
    const got = await read(c, readings[c]!);
    const want = expected(readings[c]!);
    inputs.forEach((s, i) => t.is(got[i], want[i], `cycle ${c} ${s.name}: plant ${readings[c]![i]}`));
  }
  // Spot checks of the quantisation itself, so a throughSource that passed values through would fail.
  t.is(expected([21.34])[0], 21.3125, 'TMP102 to 0.0625 °C');
  t.is(expected([150])[0], 127.9375, 'TMP102 12-bit format saturates');
  t.not(expected(readings[4]!)[1], 12.3456, 'ADS1115 quantised to its LSB');
  t.is(expected(readings[2]!)[4], 3, 'counter floors');
  for (const st of fio.stats) {
    t.is(st.missing, 0);
    t.is(st.outOfRange, 0);
    t.deepEqual(st.errors, {});
  }
});

test('the ADS1115 inputs are scaled through their own gain and offset on one chip', async (t) => {
  const { read } = await bench(t);
  // 3.0 V is code 16000 exactly at 6.144 V FSR (187.5 µV LSB): level 3.0 × 25 − 25 = 50 %,
  // flow 3.0 × 10 − 0.5 = 29.5 L/min; 1.5 V (code 8000) is 12.5 % and 14.5 L/min.
  let got = await read(0, [25, 50, 29.5, 0, 0, 0, 0]);
  t.is(got[1], 50);
  t.is(got[2], 29.5);
  got = await read(1, [25, 12.5, 14.5, 0, 0, 0, 0]);
  t.is(got[1], 12.5);
  t.is(got[2], 14.5);
  t.is(got[0], 25, 'the TMP102 beside it');
});

test('a NACKing TMP102 reads NaN; the other I²C inputs on other addresses are unaffected', async (t) => {
  const { bench: b, read, expected, fio, faults } = await bench(t);
  b.bus.injectNack(TMP);
  const got = await read(0, readings[0]!);
  t.true(Number.isNaN(got[0]), `tempC read ${got[0]}`);
  const want = expected(readings[0]!);
  for (let i = 1; i < inputs.length; i++) t.is(got[i], want[i], inputs[i]!.name);
  t.deepEqual(fio.stats[0]!.errors, { EREMOTEIO: 1 });
  t.is(faults.length, 1);
  t.is(faults[0]![0], 'tempC');
  t.regex(faults[0]![1], /^tmp102@0x48: .*at 0x48.*EREMOTEIO/);
  // Still NACKing: still NaN, counted, not reported again.
  for (let c = 1; c <= SAMPLE_AGE_CYCLES_MAX + 1; c++) t.true(Number.isNaN((await read(c, readings[c]!))[0]));
  t.is(fio.stats[0]!.errors.EREMOTEIO, SAMPLE_AGE_CYCLES_MAX + 2);
  t.is(faults.length, 1);
  // The fault clears: the next cycle reads again.
  b.bus.clearFaults(TMP);
  const c = SAMPLE_AGE_CYCLES_MAX + 2;
  t.is((await read(c, readings[4]!))[0], expected(readings[4]!)[0]);
  t.deepEqual(faults[1], ['tempC', 'tmp102@0x48: reading again']);
});

test('after the NACK streak has outlasted SAMPLE_AGE_CYCLES_MAX the TMP102 input is NaN', async (t) => {
  const { bench: b, read, expected } = await bench(t);
  t.is((await read(0, readings[0]!))[0], expected(readings[0]!)[0]);
  b.bus.injectNack(TMP);
  const last = await read(1 + SAMPLE_AGE_CYCLES_MAX, readings[1]!);
  t.true(Number.isNaN(last[0]));
  t.is(last[5], expected(readings[1]!)[5], 'the INA219 at 0x41 still reads');
});

// End to end: from the first cycle a sensor NACKs, its board votes NaN for it, not the last good value.
test('a TMP102 that starts NACKing reads NaN from the first failed cycle', async (t) => {
  const { bench: b, read } = await bench(t);
  await read(0, readings[0]!);
  b.bus.injectNack(TMP);
  const got = await read(1, readings[1]!);
  t.true(Number.isNaN(got[0]), `tempC read ${got[0]}, the value of cycle 0`);
});

test('an unplugged ADS1115 fails both of its inputs (no ACK) and nothing else', async (t) => {
  const { bench: b, read, expected, fio } = await bench(t);
  b.bus.detach(ADC);
  const got = await read(0, readings[0]!);
  t.true(Number.isNaN(got[1]) && Number.isNaN(got[2]));
  t.deepEqual(fio.stats[1]!.errors, { EREMOTEIO: 1 });
  t.deepEqual(fio.stats[2]!.errors, { EREMOTEIO: 1 });
  const want = expected(readings[0]!);
  for (const i of [0, 3, 4, 5, 6]) t.is(got[i], want[i], inputs[i]!.name);
});

test('the gpio inputs: an active-low door reads the logical level, a rising-edge counter counts pulses', async (t) => {
  const { chip, read } = await bench(t);
  t.is((await read(0, [20, 50, 0, 1, 5, 0, 0]))[3], 1);
  t.is(chip.level(PIN.door), 0, 'active low: door closed is 0 V on the pin');
  const got = await read(1, [20, 50, 0, 0, 12, 0, 0]);
  t.is(got[3], 0);
  t.is(chip.level(PIN.door), 1);
  t.is(got[4], 12, '5 + 7 rising edges');
  t.is((await read(2, [20, 50, 0, 0, 12.9, 0, 0]))[4], 12, 'no pulse for a fraction');
});

test('a gpio sink drives its line from present(), and plantThroughLines passes the workload\'s value on', async (t) => {
  const { chip, fio, plant } = await bench(t);
  fio.present(0, [1, 0.3, 0, 0], false);
  t.is(chip.level(PIN.heater), 1);
  t.is(chip.level(PIN.valve), 1, 'valve 0.3 is at or above its threshold 0.25');
  t.deepEqual(plant.presented[0], { cycle: 0, outputs: [1, 0.3, 0, 0], safe: false }, 'the analog value, not the line level, reaches the plant');
  fio.present(1, [0, 0.2, 0, 0], true);
  t.is(chip.level(PIN.heater), 0);
  t.is(chip.level(PIN.valve), 0);
  t.deepEqual(plant.presented[1], { cycle: 1, outputs: [0, 0.2, 0, 0], safe: true });
  fio.select(1, 'b3');
  t.deepEqual(plant.selected, ['b3']);
});

test('a gpio sink line stuck at 0: the plant sees 0 where the workload asked for 1', async (t) => {
  const { chip, fio, plant } = await bench(t);
  chip.stuckAt(PIN.heater, 0);
  fio.present(0, [1, 0, 0, 0], false);
  t.is(chip.level(PIN.heater), 0);
  t.deepEqual(plant.presented[0]!.outputs, [0, 0, 0, 0]);
  // A stuck analog line passes the line's level, not the workload's value.
  chip.stuckAt(PIN.valve, 1);
  fio.present(1, [1, 0.1, 0, 0], false);
  t.deepEqual(plant.presented[1]!.outputs, [0, 1, 0, 0]);
  chip.stuckAt(PIN.heater, null);
  fio.present(2, [1, 0.9, 0, 0], false);
  t.deepEqual(plant.presented[2]!.outputs, [1, 0.9, 0, 0], 'the fault cleared');
});

test('relay sinks (johnny-five) close and open their lines; an active-low relay inverts the pin', async (t) => {
  const { chip, fio, plant, field } = await bench(t);
  t.is(field.sinks[2]!.describe, 'relay on gpio 23');
  t.is(chip.level(PIN.pump), 0, 'a relay starts open');
  t.is(chip.level(PIN.vent), 1, 'an active-low relay starts open: pin high');
  fio.present(0, [0, 0, 1, 1], false);
  t.is(chip.level(PIN.pump), 1);
  t.is(chip.level(PIN.vent), 0);
  t.deepEqual(plant.presented[0]!.outputs, [0, 0, 1, 1]);
  fio.present(1, [0, 0, 0, 1], false);
  t.is(chip.level(PIN.pump), 0);
  t.is(chip.level(PIN.vent), 0);
  fio.present(2, [0, 0, Number.NaN, 0], false);
  t.is(chip.level(PIN.pump), 0, 'NaN drives nothing');
  t.is(chip.level(PIN.vent), 1);
  t.is(field.sinks[2]!.errors, 0);
  chip.stuckAt(PIN.pump, 0);
  fio.present(3, [0, 0, 1, 0], false);
  t.deepEqual(plant.presented[3]!.outputs, [0, 0, 0, 0], 'a welded-open relay: the plant sees the pump off');
});

test('closing the field leaves relays open and gpio sinks inactive, and releases the lines', async (t) => {
  const { chip, fio, close } = await bench(t);
  fio.present(0, [1, 1, 1, 1], false);
  t.deepEqual([PIN.heater, PIN.valve, PIN.pump, PIN.vent].map((p) => chip.level(p)), [1, 1, 1, 0]);
  const seen: number[] = [];
  chip.onLevel(PIN.pump, (l) => seen.push(l));
  await close();
  t.deepEqual(seen, [0], 'the relay opened before its line was released');
  for (const p of Object.values(PIN)) t.false(chip.isOpen(p), `pin ${p} released`);
});

test('sinkLevel: discrete at 0.5, analog at its threshold, NaN inactive', (t) => {
  const analog: SignalSpec = { name: 'valve', kind: 'analog', toleranceAbs: 0.05 };
  const discrete: SignalSpec = { name: 'heater', kind: 'discrete' };
  const c = (threshold?: number): Extract<SinkConfig, { kind: 'gpio' }> => ({ kind: 'gpio', pin: 1, activeLow: false, threshold });
  t.is(sinkLevel(analog, c(2.5), 2.5), 1);
  t.is(sinkLevel(analog, c(2.5), 2.4999), 0);
  t.is(sinkLevel(analog, c(2.5), 1e9), 1);
  t.is(sinkLevel(analog, c(-1), -0.5), 1, 'a negative threshold');
  t.is(sinkLevel(analog, c(-1), -1.5), 0);
  t.is(sinkLevel(analog, c(2.5), Number.NaN), 0);
  t.is(sinkLevel(analog, c(2.5), Number.POSITIVE_INFINITY), 0, 'non-finite is inactive');
  t.is(sinkLevel(analog, c(), 0.5), 1, 'no threshold: 0.5');
  t.is(sinkLevel(analog, c(), 0.49), 0);
  t.is(sinkLevel(discrete, c(10), 1), 1, 'a discrete signal ignores the threshold');
  t.is(sinkLevel(discrete, c(10), 0), 0);
  t.is(sinkLevel(discrete, c(), 0.5), 1);
});

test('openField refuses an I²C source when the board has no bus, and leaves no line open', async (t) => {
  const io = parse({ inputs: { door: { gpio: { pin: 5 } }, tempC: { tmp102: { address: TMP } } } });
  const chip = new SimGpioChip({ clock: new VirtualClock() });
  const ins: SignalSpec[] = [{ name: 'door', kind: 'discrete' }, { name: 'tempC', kind: 'analog', toleranceAbs: 1 }];
  await t.throwsAsync(openField(io, ins, [], { chip, toChipPin: (p) => p, i2c: null }), { message: 'tempC: no I²C bus is open on this board' });
  t.false(chip.isOpen(5), 'the gpio line opened before the failure was closed again');
});

// Off the INA219's 4 mV grid (12.001 V reads 12.000 V), the reference quantises as the chip does:
// otherwise an output switching at railV >= 12.001 would differ between the reference and the board.
test('INA219 bus voltage off the 4 mV grid still reads exactly throughSource', async (t) => {
  const { read, expected } = await bench(t);
  const values = [20, 50, 0, 0, 0, 12.001, 0.5];
  const got = await read(0, values);
  t.is(got[5], expected(values)[5], `board read ${got[5]}, reference ${expected(values)[5]}`);
});

// The bench gives each pulse at one instant of the board's clock, which a debounce filter swallows:
// ftc sim refuses a debounced counter in the --io file with the fix, instead of a board that never counts.
test('a debounced gpio counter is refused by the simulator with its fix', (t) => {
  const r = readFieldConfig({ inputs: { pulses: { gpio: { pin: PIN.pulses, count: 'rising', debounceMs: 5 } }, door: { gpio: { pin: 5, debounceMs: 5 } } } }, 'io.yaml');
  if (!r.ok) return t.fail(r.errors.join('\n'));
  const problems = benchProblems(r.io, 'io.yaml');
  t.is(problems.length, 1, 'a debounced level input is fine');
  t.regex(problems[0]!, /io\.inputs\.pulses\.gpio\.debounceMs: 5 on an edge counter cannot be simulated .*fix: debounceMs: 0/);
});
