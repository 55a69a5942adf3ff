/**
 * FieldIo (src/field/field-io.ts) over hand-driven fake sources: every sample() returns a promise
 * the test resolves or rejects itself, so the order of kicks, completions and sensors() calls is
 * exactly the one written in each story.
 */
import test from 'ava';
import { FieldIo, SAMPLE_AGE_CYCLES_MAX, type FieldIoOptions } from '../../src/field/field-io.ts';
import type { FieldSink, FieldSource } from '../../src/ports/field.ts';
import type { ProcessIo } from '../../src/shell/board.ts';
import type { SignalSpec } from '../../src/workload/types.ts';

/** Lets every settled promise's handlers run (FieldIo's `.then` on a sample). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Pending {
  resolve(v: number): void;
  reject(e: unknown): void;
}

/** A source whose samples the test settles by hand, oldest first. */
class HandSource implements FieldSource {
  readonly pending: Pending[] = [];
  calls = 0;
  closed = 0;
  constructor(readonly describe: string) {}
  sample(): Promise<number> {
    this.calls++;
    return new Promise<number>((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  /** Settles the oldest sample in flight. */
  give(v: number): void {
    const p = this.pending.shift();
    if (!p) throw new Error(`${this.describe}: no sample in flight`);
    p.resolve(v);
  }
  fail(code: string, message = `${code} from ${this.describe}`): void {
    const p = this.pending.shift();
    if (!p) throw new Error(`${this.describe}: no sample in flight`);
    p.reject(Object.assign(new Error(message), { code }));
  }
  close(): void {
    this.closed++;
  }
}

class RecordingSink implements FieldSink {
  readonly written: number[] = [];
  errors = 0;
  closed = 0;
  constructor(readonly describe: string) {}
  write(value: number): void {
    this.written.push(value);
  }
  close(): void {
    this.closed++;
  }
}

class FakePlant implements ProcessIo {
  readonly sensorCalls: number[] = [];
  readonly presented: { cycle: number; outputs: number[]; safe: boolean }[] = [];
  readonly selected: { cycle: number; board: string | null }[] = [];
  constructor(readonly reading: (cycle: number) => number[]) {}
  sensors(cycle: number): readonly number[] {
    this.sensorCalls.push(cycle);
    return this.reading(cycle);
  }
  present(cycle: number, outputs: readonly number[], safe: boolean): void {
    this.presented.push({ cycle, outputs: [...outputs], safe });
  }
  select(cycle: number, board: string | null): void {
    this.selected.push({ cycle, board });
  }
}

const tempC: SignalSpec = { name: 'tempC', kind: 'analog', toleranceAbs: 0.5, min: 0, max: 100 };
const door: SignalSpec = { name: 'door', kind: 'discrete' };

function rig(over: Partial<FieldIoOptions> & { specs?: SignalSpec[] } = {}) {
  const specs = over.specs ?? [tempC];
  const sources = specs.map((s) => new HandSource(`hand ${s.name}`));
  const faults: [string, string][] = [];
  const io = new FieldIo({
    inputs: specs,
    outputs: [],
    sources,
    sinks: [],
    plant: null,
    kickAhead: false,
    onFault: (signal, what) => faults.push([signal, what]),
    ...over,
  });
  return { io, sources, src: sources[0]!, faults };
}

test('a sample kicked for cycle c is what sensors(c) returns', async (t) => {
  const { io, src } = rig();
  io.kick(7);
  t.is(src.calls, 1);
  src.give(21.5);
  await settle();
  t.deepEqual(io.sensors(7), [21.5]);
  t.is(io.stats[0]!.samples, 1);
  t.is(io.stats[0]!.missing, 0);
});

test('before any sample completes sensors(c) is NaN and counted missing', (t) => {
  const { io } = rig();
  io.kick(0);
  t.true(Number.isNaN(io.sensors(0)[0]));
  t.is(io.stats[0]!.missing, 1);
});

test(`a late sample: the previous one stands in up to ${SAMPLE_AGE_CYCLES_MAX} cycles old, then NaN counted missing`, async (t) => {
  const { io, src } = rig();
  io.kick(10);
  src.give(30);
  await settle();
  t.deepEqual(io.sensors(10), [30]);
  io.kick(11); // this sample hangs
  for (let c = 11; c <= 10 + SAMPLE_AGE_CYCLES_MAX; c++) t.deepEqual(io.sensors(c), [30], `cycle ${c}: sample of 10 is ${c - 10} old`);
  t.is(io.stats[0]!.missing, 0);
  t.true(Number.isNaN(io.sensors(11 + SAMPLE_AGE_CYCLES_MAX)[0]), 'too old');
  t.true(Number.isNaN(io.sensors(12 + SAMPLE_AGE_CYCLES_MAX)[0]));
  t.is(io.stats[0]!.missing, 2);
  // The hung sample finally answers: it is tagged 11, itself too old for cycle 14, fresh for 13.
  src.give(31);
  await settle();
  t.true(Number.isNaN(io.sensors(11 + SAMPLE_AGE_CYCLES_MAX + 1)[0]));
  t.deepEqual(io.sensors(11 + SAMPLE_AGE_CYCLES_MAX), [31]);
});

test('a sample tagged for a later cycle is not used for an earlier one', async (t) => {
  const { io, src } = rig();
  io.kick(5);
  src.give(40);
  await settle();
  t.true(Number.isNaN(io.sensors(4)[0]), 'a reading of cycle 5 is not the reading of cycle 4');
  t.deepEqual(io.sensors(5), [40]);
});

test('a sample clock running ahead does not overwrite the sample the voter asks for', async (t) => {
  const { io, src } = rig();
  for (const [c, v] of [[0, 10], [1, 11], [2, 12]] as const) {
    io.kick(c);
    src.give(v);
    await settle();
  }
  t.deepEqual(io.sensors(0), [10], 'samples of cycles 1 and 2 are in, cycle 0 still reads its own');
  t.deepEqual(io.sensors(1), [11]);
  t.deepEqual(io.sensors(2), [12]);
  t.deepEqual(io.sensors(3), [12], 'no sample of 3: the newest young enough');
  t.is(io.stats[0]!.missing, 0);
});

test('a rejected sample is counted by code, reported once per failure streak, and once more when it reads again', async (t) => {
  const { io, src, faults } = rig();
  io.kick(0);
  src.fail('EREMOTEIO', 'no ACK');
  await settle();
  t.true(Number.isNaN(io.sensors(0)[0]));
  for (let c = 1; c <= 3; c++) {
    io.kick(c);
    src.fail(c === 2 ? 'ETIMEDOUT' : 'EREMOTEIO');
    await settle();
  }
  t.deepEqual(io.stats[0]!.errors, { EREMOTEIO: 3, ETIMEDOUT: 1 });
  t.is(io.stats[0]!.samples, 0, 'a failure is not a sample');
  t.deepEqual(faults, [['tempC', 'hand tempC: no ACK']], 'one report for four failures in a row');
  io.kick(4);
  src.give(22);
  await settle();
  t.deepEqual(io.sensors(4), [22]);
  t.deepEqual(faults[1], ['tempC', 'hand tempC: reading again']);
  io.kick(5);
  src.give(23);
  await settle();
  t.is(faults.length, 2, 'good samples after the recovery say nothing');
  io.kick(6);
  src.fail('EREMOTEIO', 'no ACK again');
  await settle();
  t.deepEqual(faults[2], ['tempC', 'hand tempC: no ACK again'], 'a new streak is reported again');
});

test('a rejection without an errno code is counted as EIO', async (t) => {
  const { io, src } = rig();
  io.kick(0);
  src.pending.shift()!.reject('a string, not an Error');
  await settle();
  t.deepEqual(io.stats[0]!.errors, { EIO: 1 });
});

// The FieldSource contract: after a failed sample the caller "uses no value for that cycle", so an
// older good sample must not stand in for it (a board with a NACKing sensor would vote a stale value).
test('a rejected sample makes that cycle\'s input NaN even right after a good sample', async (t) => {
  const { io, src } = rig();
  io.kick(0);
  src.give(20);
  await settle();
  t.deepEqual(io.sensors(0), [20]);
  io.kick(1);
  src.fail('EREMOTEIO');
  await settle();
  t.is(io.stats[0]!.errors.EREMOTEIO, 1);
  t.true(Number.isNaN(io.sensors(1)[0]), `got ${io.sensors(1)[0]}: the value of cycle 0 stood in for the failed sample of cycle 1`);
});

test('a value beyond min/max widened by toleranceAbs is NaN and counted out of range; just inside is kept', async (t) => {
  const { io, src, faults } = rig();
  const feed = async (c: number, v: number) => {
    io.kick(c);
    src.give(v);
    await settle();
    return io.sensors(c)[0]!;
  };
  t.is(await feed(0, 100.5), 100.5, 'max + toleranceAbs is inside');
  t.is(await feed(1, -0.5), -0.5, 'min - toleranceAbs is inside');
  t.true(Number.isNaN(await feed(2, 100.51)));
  t.true(Number.isNaN(await feed(3, -0.51)));
  t.true(Number.isNaN(await feed(4, Number.POSITIVE_INFINITY)));
  t.true(Number.isNaN(await feed(5, Number.NaN)));
  t.is(io.stats[0]!.outOfRange, 4);
  t.is(io.stats[0]!.samples, 6);
  t.is(io.stats[0]!.missing, 4, 'an out-of-range cycle has no value');
  t.deepEqual(faults, [['tempC', 'hand tempC: 100.51 is outside -0.5..100.5']]);
  t.is(await feed(6, 50), 50);
  t.deepEqual(faults[1], ['tempC', 'hand tempC: reading again']);
});

test('a discrete input accepts 0 and 1 only (no tolerance slack)', async (t) => {
  const { io, src } = rig({ specs: [{ ...door, toleranceAbs: 5 }] });
  const feed = async (c: number, v: number) => {
    io.kick(c);
    src.give(v);
    await settle();
    return io.sensors(c)[0]!;
  };
  t.is(await feed(0, 1), 1);
  t.is(await feed(1, 0), 0);
  t.true(Number.isNaN(await feed(2, 2)));
  t.true(Number.isNaN(await feed(3, -1)));
  t.is(io.stats[0]!.outOfRange, 2);
});

test('a source still in flight is not kicked again: one hung source never has two samples in flight', async (t) => {
  const specs = [tempC, { ...tempC, name: 'tempB' }];
  const { io, sources } = rig({ specs });
  const [hung, healthy] = sources as [HandSource, HandSource];
  for (let c = 0; c < 5; c++) {
    io.kick(c);
    t.true(hung.pending.length <= 1, `cycle ${c}: ${hung.pending.length} in flight`);
    healthy.give(10 + c);
    await settle();
    t.is(io.sensors(c)[1], 10 + c, 'the other source is sampled every cycle');
  }
  t.is(hung.calls, 1);
  t.is(io.stats[0]!.busy, 4);
  t.is(io.stats[1]!.busy, 0);
  t.is(healthy.calls, 5);
  // Once it answers, the next kick samples it again.
  hung.give(50);
  await settle();
  io.kick(5);
  t.is(hung.calls, 2);
});

test('a failed sample frees its source for the next kick', async (t) => {
  const { io, src } = rig();
  io.kick(0);
  io.kick(1);
  t.is(src.calls, 1);
  src.fail('ETIMEDOUT');
  await settle();
  io.kick(2);
  t.is(src.calls, 2);
  t.is(io.stats[0]!.busy, 1);
});

test('kickAhead: sensors(c) kicks the samples of cycle c + 1, which sensors(c + 1) then returns', async (t) => {
  const { io, src } = rig({ kickAhead: true });
  io.kick(0);
  src.give(1);
  await settle();
  t.is(src.calls, 1);
  t.deepEqual(io.sensors(0), [1]);
  t.is(src.calls, 2, 'sensors(0) kicked cycle 1');
  src.give(2);
  await settle();
  t.deepEqual(io.sensors(1), [2]);
  t.is(src.calls, 3);
});

test('without kickAhead sensors() starts no sample', (t) => {
  const { io, src } = rig({ kickAhead: false });
  io.sensors(0);
  io.sensors(1);
  t.is(src.calls, 0);
});

test('plant-mapped inputs come from the plant\'s sensors(c) at their own index', async (t) => {
  const plant = new FakePlant((c) => [100 + c, 200 + c, 300 + c]);
  const field = new HandSource('hand door');
  const io = new FieldIo({ inputs: [tempC, door, { ...tempC, name: 'setpoint' }], outputs: [], sources: [null, field, null], sinks: [], plant, kickAhead: false });
  io.kick(3);
  field.give(1);
  await settle();
  t.deepEqual(io.sensors(3), [103, 1, 303]);
  t.deepEqual(plant.sensorCalls, [3]);
  t.is(field.calls, 1, 'kick samples only the field sources');
});

test('a plant reading shorter than the inputs leaves the missing plant input NaN', (t) => {
  const plant = new FakePlant(() => [5]);
  const io = new FieldIo({ inputs: [tempC, { ...tempC, name: 'b' }], outputs: [], sources: [null, null], sinks: [], plant, kickAhead: false });
  const got = io.sensors(0);
  t.is(got[0], 5);
  t.true(Number.isNaN(got[1]));
});

test('with every input on the field the plant is not asked for sensors', async (t) => {
  const plant = new FakePlant(() => [99]);
  const src = new HandSource('hand');
  const io = new FieldIo({ inputs: [tempC], outputs: [], sources: [src], sinks: [], plant, kickAhead: false });
  io.kick(0);
  src.give(12);
  await settle();
  t.deepEqual(io.sensors(0), [12]);
  t.deepEqual(plant.sensorCalls, []);
});

test('present() writes each sink its own output and forwards all outputs to the plant; select() forwards', (t) => {
  const plant = new FakePlant(() => []);
  const heater = new RecordingSink('heater');
  const pump = new RecordingSink('pump');
  const io = new FieldIo({
    inputs: [], outputs: [door, door, tempC], sources: [], sinks: [heater, null, pump], plant, kickAhead: false,
  });
  io.present(8, [1, 0, 42.5], false);
  io.present(9, [0, 1, 7], true);
  t.deepEqual(heater.written, [1, 0]);
  t.deepEqual(pump.written, [42.5, 7]);
  t.deepEqual(plant.presented, [{ cycle: 8, outputs: [1, 0, 42.5], safe: false }, { cycle: 9, outputs: [0, 1, 7], safe: true }]);
  io.select(9, 'b2');
  io.select(10, null);
  t.deepEqual(plant.selected, [{ cycle: 9, board: 'b2' }, { cycle: 10, board: null }]);
});

test('without a plant present() still writes the sinks and select() is a no-op', (t) => {
  const sink = new RecordingSink('heater');
  const io = new FieldIo({ inputs: [], outputs: [door], sources: [], sinks: [sink], plant: null, kickAhead: false });
  io.present(0, [1], false);
  t.notThrows(() => io.select(0, 'b1'));
  t.deepEqual(sink.written, [1]);
});

test('close() closes every source and sink once', async (t) => {
  const src = new HandSource('s');
  const sink = new RecordingSink('k');
  const io = new FieldIo({ inputs: [tempC, tempC], outputs: [door, door], sources: [src, null], sinks: [sink, null], plant: new FakePlant(() => []), kickAhead: false });
  await io.close();
  t.is(src.closed, 1);
  t.is(sink.closed, 1);
});

test('the constructor refuses mismatched lengths and a plant-mapped signal without a plant', (t) => {
  const base = { inputs: [tempC], outputs: [door], sources: [new HandSource('s')], sinks: [new RecordingSink('k')], plant: null, kickAhead: false };
  t.notThrows(() => new FieldIo(base));
  t.throws(() => new FieldIo({ ...base, sources: [] }), { instanceOf: RangeError, message: 'FieldIo: 0 sources for 1 inputs' });
  t.throws(() => new FieldIo({ ...base, sinks: [base.sinks[0]!, base.sinks[0]!] }), { instanceOf: RangeError, message: 'FieldIo: 2 sinks for 1 outputs' });
  t.throws(() => new FieldIo({ ...base, sources: [null] }), { instanceOf: RangeError, message: /mapped to the plant but there is no plant link/ });
  t.throws(() => new FieldIo({ ...base, sinks: [null] }), { instanceOf: RangeError, message: /mapped to the plant but there is no plant link/ });
  t.notThrows(() => new FieldIo({ ...base, sources: [null], sinks: [null], plant: new FakePlant(() => [0]) }));
});

test('error codes per source are bounded: past 8 distinct codes the rest count as other', async (t) => {
  const { io, src } = rig();
  for (let c = 0; c < 11; c++) {
    io.kick(c);
    src.fail(`E${c}`);
    await settle();
  }
  io.kick(11);
  src.fail('E0');
  await settle();
  const errors = io.stats[0]!.errors;
  t.is(Object.keys(errors).length, 9);
  t.is(errors.E0, 2, 'a code already counted keeps counting');
  t.is(errors.other, 3);
  t.false('E8' in errors);
});
