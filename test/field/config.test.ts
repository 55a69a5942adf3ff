/**
 * The `io:` mapping (src/field/config.ts): reading it on its own (readFieldConfig), checking it
 * against the workload's signals (checkFieldMapping), the pins and addresses it claims
 * (fieldResources), and whether it needs the plant link (usesPlant).
 */
import test from 'ava';
import { checkFieldMapping, FIELD_SIGNALS_MAX, fieldResources, readFieldConfig, usesPlant, type FieldConfig } from '../../src/field/config.ts';
import type { SignalSpec } from '../../src/workload/types.ts';

const SRC = 'io.yaml';

/** Reads an `io` body that must be valid; fails the test with the messages otherwise. */
function mustRead(body: unknown): FieldConfig {
  const r = readFieldConfig(body, SRC);
  if (!r.ok) throw new Error(`expected a valid mapping, got:\n${r.errors.join('\n')}`);
  return r.io;
}

function errorsOf(body: unknown): string[] {
  const r = readFieldConfig(body, SRC);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.io)}`);
  return r.errors;
}

const tank = {
  inputs: {
    tempC: { tmp102: { address: 0x48 } },
    levelV: { ads1115: { address: 0x49, input: 'AIN0' } },
    doorClosed: { gpio: { pin: 17 } },
    pulses: { gpio: { pin: 27, count: 'rising' } },
    railV: { ina219: { address: 0x41, measure: 'busV' } },
    setpoint: { plant: {} },
  },
  outputs: {
    heater: { gpio: { pin: 22 } },
    pump: { relay: { pin: 23, activeLow: true } },
    flowSetpoint: { plant: {} },
  },
};

const tankInputs: SignalSpec[] = [
  { name: 'tempC', kind: 'analog', toleranceAbs: 0.5, min: -20, max: 100 },
  { name: 'levelV', kind: 'analog', toleranceAbs: 0.05, min: 0, max: 4 },
  { name: 'doorClosed', kind: 'discrete' },
  { name: 'pulses', kind: 'analog', toleranceAbs: 2, min: 0, max: 1e6 },
  { name: 'railV', kind: 'analog', toleranceAbs: 0.1, min: 0, max: 26 },
  { name: 'setpoint', kind: 'analog', toleranceAbs: 0.1, min: 0, max: 100 },
];
const tankOutputs: SignalSpec[] = [
  { name: 'heater', kind: 'discrete' },
  { name: 'pump', kind: 'discrete' },
  { name: 'flowSetpoint', kind: 'analog', toleranceAbs: 0.1, min: 0, max: 10 },
];

test('a valid mapping parses with every default filled in', (t) => {
  const io = mustRead(tank);
  t.deepEqual(io.inputs.tempC, { kind: 'tmp102', address: 0x48 });
  t.deepEqual(io.inputs.levelV, { kind: 'ads1115', address: 0x49, input: 'AIN0', fsrV: 4.096, dataRateSps: 860, gain: 1, offset: 0 });
  t.deepEqual(io.inputs.doorClosed, { kind: 'gpio', pin: 17, activeLow: false, debounceMs: 0, count: undefined });
  t.deepEqual(io.inputs.pulses, { kind: 'gpio', pin: 27, activeLow: false, debounceMs: 0, count: 'rising' });
  t.deepEqual(io.inputs.railV, { kind: 'ina219', address: 0x41, shuntMilliohms: 100, measure: 'busV' });
  t.deepEqual(io.inputs.setpoint, { kind: 'plant' });
  t.deepEqual(io.outputs.heater, { kind: 'gpio', pin: 22, activeLow: false, threshold: undefined });
  t.deepEqual(io.outputs.pump, { kind: 'relay', pin: 23, activeLow: true, threshold: undefined });
  t.deepEqual(io.outputs.flowSetpoint, { kind: 'plant' });
});

test('the mapping may sit under an io: key, and a missing outputs section reads as none', (t) => {
  const io = mustRead({ io: { inputs: { doorClosed: { gpio: { pin: 5, activeLow: true, debounceMs: 20 } } } } });
  t.deepEqual(io.inputs, { doorClosed: { kind: 'gpio', pin: 5, activeLow: true, debounceMs: 20, count: undefined } });
  t.deepEqual(io.outputs, {});
});

test('a typo in a kind (gipo) is named at its path with gpio suggested', (t) => {
  const errors = errorsOf({ inputs: { doorClosed: { gipo: { pin: 17 } } } });
  t.is(errors.length, 1);
  t.is(errors[0], 'io.yaml: io.inputs.doorClosed.gipo: {"pin":17} is not a known source; fix: write gpio (a typo?)');
});

test('a sink kind typo (rely) suggests relay', (t) => {
  const errors = errorsOf({ outputs: { pump: { rely: { pin: 23 } } } });
  t.is(errors.length, 1);
  t.regex(errors[0]!, /io\.outputs\.pump\.rely: .* is not a known sink; fix: write relay \(a typo\?\)/);
});

test('an entry naming two kinds is rejected with the one-kind forms listed', (t) => {
  const errors = errorsOf({ inputs: { tempC: { tmp102: { address: 0x48 }, ads1115: { address: 0x49, input: 'AIN0' } } } });
  t.is(errors.length, 1);
  t.regex(errors[0]!, /^io\.yaml: io\.inputs\.tempC: .* is not one source; fix: write one of \{ gpio: \{\.\.\.\} \}, \{ ads1115: \{\.\.\.\} \}/);
  t.regex(errors[0]!, /\{ plant: \{\.\.\.\} \}$/);
  const none = errorsOf({ inputs: { tempC: {} } });
  t.regex(none[0]!, /io\.inputs\.tempC: \{\} is not one source/);
});

test('an I²C address outside the chip\'s ADDR-pin range is out of range, with the range in hex', (t) => {
  const errors = errorsOf({ inputs: { tempC: { tmp102: { address: 0x50 } }, railV: { ina219: { address: 0x3f, measure: 'busV' } } } });
  t.is(errors.length, 2);
  t.is(errors[0], 'io.yaml: io.inputs.tempC.tmp102.address: 80 is out of range; fix: write an integer in [0x48, 0x4b]');
  t.is(errors[1], 'io.yaml: io.inputs.railV.ina219.address: 63 is out of range; fix: write an integer in [0x40, 0x4f]');
});

test('an ADS1115 fsrV that is not a PGA range and a misspelt input are each reported', (t) => {
  const errors = errorsOf({ inputs: { levelV: { ads1115: { address: 0x48, input: 'AIN5', fsrV: 5 } } } });
  t.is(errors.length, 2);
  t.true(errors.some((e) => e.includes('io.inputs.levelV.ads1115.input: "AIN5" is not allowed')), errors.join('\n'));
  t.true(errors.some((e) => /io\.inputs\.levelV\.ads1115\.fsrV: 5 is out of range; fix: write one of 6\.144, 4\.096/.test(e)), errors.join('\n'));
});

test(`more than FIELD_SIGNALS_MAX (${FIELD_SIGNALS_MAX}) inputs are rejected; exactly that many are fine`, (t) => {
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, { gpio: { pin: i } }]));
  t.is(Object.keys(mustRead({ inputs: many(FIELD_SIGNALS_MAX) }).inputs).length, FIELD_SIGNALS_MAX);
  const errors = errorsOf({ inputs: many(FIELD_SIGNALS_MAX + 1) });
  t.deepEqual(errors, [`io.yaml: io.inputs: ${FIELD_SIGNALS_MAX + 1} signals are more than ${FIELD_SIGNALS_MAX}; fix: map at most ${FIELD_SIGNALS_MAX}`]);
  t.regex(errorsOf({ outputs: many(FIELD_SIGNALS_MAX + 1) })[0]!, /io\.outputs: 33 signals are more than 32/);
});

test('checkFieldMapping: the tank mapping fits its workload', (t) => {
  t.deepEqual(checkFieldMapping(mustRead(tank), tankInputs, tankOutputs), []);
});

test('checkFieldMapping: an unmapped input and an unmapped output each get a message with the line to add', (t) => {
  const io = mustRead({ inputs: { tempC: { tmp102: { address: 0x48 } } }, outputs: {} });
  const msgs = checkFieldMapping(io, [tankInputs[0]!, tankInputs[1]!, tankInputs[2]!], [tankOutputs[0]!]);
  t.is(msgs.length, 3);
  t.is(msgs[0], 'io: io.inputs.levelV: (missing) has no source (the workload reads analog signal levelV); fix: add io.inputs.levelV: { ads1115: { address: 0x48, input: AIN0 } }, or { plant: {} }');
  t.is(msgs[1], 'io: io.inputs.doorClosed: (missing) has no source (the workload reads discrete signal doorClosed); fix: add io.inputs.doorClosed: { gpio: { pin: <GPIO> } }, or { plant: {} }');
  t.is(msgs[2], 'io: io.outputs.heater: (missing) has no sink (the workload drives discrete signal heater); fix: add io.outputs.heater: { gpio: { pin: <GPIO> } }, or { plant: {} }');
});

test('checkFieldMapping: an unknown signal name suggests the closest one of the workload', (t) => {
  const io = mustRead({ inputs: { tempc: { tmp102: { address: 0x48 } }, levelV: { plant: {} } }, outputs: { heatr: { gpio: { pin: 22 } } } });
  const msgs = checkFieldMapping(io, [tankInputs[0]!, tankInputs[1]!], [tankOutputs[0]!], 'board.yaml');
  // tempC itself is also unmapped: its missing-source message comes first, then the misnamed entry.
  t.true(msgs.includes('board.yaml: io.inputs.tempc: "tmp102" is not one of the workload\'s inputs (tempC, levelV); fix: rename it to tempC (a typo?) or remove it'), msgs.join('\n'));
  t.true(msgs.includes('board.yaml: io.outputs.heatr: "gpio" is not one of the workload\'s outputs (heater); fix: rename it to heater (a typo?) or remove it'), msgs.join('\n'));
  t.is(msgs.length, 4);
  const far = checkFieldMapping(mustRead({ inputs: { banana: { plant: {} } } }), [], []);
  t.deepEqual(far, ['io: io.inputs.banana: "plant" is not one of the workload\'s inputs (none); fix: remove it']);
});

test('checkFieldMapping: an ADC (ads1115, tmp102, ina219) on a discrete input is rejected', (t) => {
  const door: SignalSpec = { name: 'door', kind: 'discrete' };
  for (const source of [{ ads1115: { address: 0x48, input: 'AIN0' } }, { tmp102: { address: 0x48 } }, { ina219: { address: 0x40, measure: 'busV' } }]) {
    const kind = Object.keys(source)[0]!;
    const msgs = checkFieldMapping(mustRead({ inputs: { door: source } }), [door], []);
    t.deepEqual(msgs, [`io: io.inputs.door.${kind}: "${kind}" measures an analog value but door is discrete; fix: read a discrete signal from a gpio line, or declare the signal analog in the workload`]);
  }
});

test('checkFieldMapping: a gpio edge counter on a discrete input is rejected, its level is fine', (t) => {
  const door: SignalSpec = { name: 'door', kind: 'discrete' };
  const msgs = checkFieldMapping(mustRead({ inputs: { door: { gpio: { pin: 4, count: 'both' } } } }), [door], []);
  t.deepEqual(msgs, ['io: io.inputs.door.gpio.count: "both" counts edges but door is discrete (0 or 1); fix: remove count to read the level, or declare the signal analog with a tolerance']);
  t.deepEqual(checkFieldMapping(mustRead({ inputs: { door: { gpio: { pin: 4 } } } }), [door], []), []);
});

test('checkFieldMapping: an analog output on a gpio or relay needs a threshold', (t) => {
  const valve: SignalSpec = { name: 'valve', kind: 'analog', toleranceAbs: 0.1, min: 0, max: 1 };
  const noThreshold = checkFieldMapping(mustRead({ outputs: { valve: { gpio: { pin: 22 } } } }), [], [valve]);
  t.deepEqual(noThreshold, ['io: io.outputs.valve.gpio.threshold: (missing) is required: valve is analog and a gpio is on or off; fix: add threshold: <the value of valve at and above which the line is driven>']);
  const relay = checkFieldMapping(mustRead({ outputs: { valve: { relay: { pin: 22 } } } }), [], [valve]);
  t.is(relay.length, 1);
  t.regex(relay[0]!, /io\.outputs\.valve\.relay\.threshold: \(missing\) is required: valve is analog and a relay is on or off/);
  t.deepEqual(checkFieldMapping(mustRead({ outputs: { valve: { gpio: { pin: 22, threshold: 0.5 } } } }), [], [valve]), []);
  t.deepEqual(checkFieldMapping(mustRead({ outputs: { valve: { relay: { pin: 22, threshold: 0 } } } }), [], [valve]), [], 'a threshold of 0 is a threshold');
});

test('fieldResources lists each pin, and an ADS1115 chip\'s address once for all its inputs', (t) => {
  const io = mustRead({
    inputs: {
      tempC: { tmp102: { address: 0x48 } },
      levelV: { ads1115: { address: 0x49, input: 'AIN0' } },
      flowV: { ads1115: { address: 0x49, input: 'AIN1' } },
      pressV: { ads1115: { address: 0x4a, input: 'AIN0' } },
      door: { gpio: { pin: 17 } },
      railV: { ina219: { address: 0x41, measure: 'busV' } },
      setpoint: { plant: {} },
    },
    outputs: { heater: { gpio: { pin: 22 } }, pump: { relay: { pin: 23 } }, flow: { plant: {} } },
  });
  const r = fieldResources(io);
  t.deepEqual(r.pins, [
    { path: ['io', 'inputs', 'door', 'gpio', 'pin'], value: 17, what: 'io.inputs.door' },
    { path: ['io', 'outputs', 'heater', 'gpio', 'pin'], value: 22, what: 'io.outputs.heater' },
    { path: ['io', 'outputs', 'pump', 'relay', 'pin'], value: 23, what: 'io.outputs.pump' },
  ]);
  t.deepEqual(r.addresses, [
    { path: ['io', 'inputs', 'tempC', 'tmp102', 'address'], value: 0x48, what: 'io.inputs.tempC' },
    { path: ['io', 'inputs', 'levelV', 'ads1115', 'address'], value: 0x49, what: 'ADS1115 (io.inputs.levelV)' },
    { path: ['io', 'inputs', 'pressV', 'ads1115', 'address'], value: 0x4a, what: 'ADS1115 (io.inputs.pressV)' },
    { path: ['io', 'inputs', 'railV', 'ina219', 'address'], value: 0x41, what: 'io.inputs.railV' },
  ]);
});

test('fieldResources keeps a TMP102 and an ADS1115 on one address apart, so the board check sees the clash', (t) => {
  const io = mustRead({ inputs: { a: { ads1115: { address: 0x48, input: 'AIN0' } }, b: { tmp102: { address: 0x48 } }, c: { ads1115: { address: 0x48, input: 'AIN1' } } } });
  t.deepEqual(fieldResources(io).addresses.map((a) => [a.value, a.what]), [[0x48, 'ADS1115 (io.inputs.a)'], [0x48, 'io.inputs.b']]);
});

test('usesPlant: no io section, or any plant entry, needs the plant link; an all-field mapping does not', (t) => {
  t.true(usesPlant(undefined));
  t.true(usesPlant(mustRead(tank)));
  t.true(usesPlant(mustRead({ outputs: { heater: { plant: {} } } })));
  t.false(usesPlant(mustRead({ inputs: { door: { gpio: { pin: 4 } } }, outputs: { heater: { gpio: { pin: 5 } } } })));
  t.false(usesPlant(mustRead({})));
});

// A gain of 0 would make the signal a constant, and the simulator's bench would ask the model for
// (v - offset) / 0 volts: it is refused with the mapping, before anything starts.
test('an ADS1115 gain of 0 is a config error (it would make the signal a constant)', (t) => {
  const io = mustRead({ inputs: { levelV: { ads1115: { address: 0x48, input: 'AIN0', gain: 0 } } } });
  const errors = checkFieldMapping(io, [{ name: 'levelV', kind: 'analog', toleranceAbs: 0.1 }], [], SRC);
  t.is(errors.length, 1);
  t.regex(errors[0]!, /io\.inputs\.levelV\.ads1115\.gain: 0 makes the signal a constant; fix: /);
});

test('two inputs of one ADS1115 must share its range and rate: the chip has one converter', (t) => {
  const io = mustRead({ inputs: { a: { ads1115: { address: 0x48, input: 'AIN0', fsrV: 6.144 } }, b: { ads1115: { address: 0x48, input: 'AIN1', fsrV: 2.048 } }, c: { ads1115: { address: 0x49, input: 'AIN1', fsrV: 2.048 } } } });
  const specs = ['a', 'b', 'c'].map((name) => ({ name, kind: 'analog' as const, toleranceAbs: 0.1 }));
  const errors = checkFieldMapping(io, specs, [], SRC);
  t.is(errors.length, 1, errors.join('\n'));
  t.regex(errors[0]!, /io\.inputs\.b\.ads1115: .* differs from a on the same chip \(0x48: fsrV 6\.144/);
});
