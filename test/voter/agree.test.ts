import test from 'ava';
import { agreeInputs } from '../../src/voter/agree.ts';
import type { SignalSpec } from '../../src/workload/types.ts';

const spec: SignalSpec[] = [
  { name: 'level', kind: 'analog', toleranceAbs: 0.02 },
  { name: 'switch', kind: 'discrete' },
];

test('mid-value select masks one wild analog sample and majority masks one wrong discrete sample', (t) => {
  const a = agreeInputs(spec, [[0.5, 1], [0.9, 0], [0.5, 1]]);
  t.deepEqual(a.values, [0.5, 1]);
  t.deepEqual(a.disagree, [0, 1]);
});

test('identical samples agree exactly, whether two or three boards voted', (t) => {
  const x = 0.1 + 0.2;
  t.deepEqual(agreeInputs(spec, [[x, 0], [x, 0], [x, 0]]), { values: [x, 0], disagree: [] });
  t.deepEqual(agreeInputs(spec, [[x, 0], [x, 0]]), { values: [x, 0], disagree: [] });
});

test('two boards within tolerance average; a missing or non-finite sample is ignored', (t) => {
  t.deepEqual(agreeInputs(spec, [[0.5, 1], [0.51, 1]]).values, [0.505, 1]);
  t.deepEqual(agreeInputs(spec, [[Number.NaN, 1], [0.4, 1], [0.4, 1]]), { values: [0.4, 1], disagree: [] });
});

test('two discrete samples that differ have no majority: the smaller value, flagged', (t) => {
  t.deepEqual(agreeInputs(spec, [[0.5, 1], [0.5, 0]]), { values: [0.5, 0], disagree: [1] });
});
