/**
 * Forensics (src/forensics): the recorder keeps the last steps at no extra encode, a bundle names
 * each step's cycle from the votes, and the analysis says what changed: a state changed between
 * cycles (a flipped bit: the field and the bit), a step that is not deterministic (the field), or
 * nothing at all for a clean run.
 */
import test from 'ava';
import { analyseBundle, diffValues } from '../../src/forensics/analyse.ts';
import { buildBundle, parseBundle } from '../../src/forensics/bundle.ts';
import { StepRecorder, stepDigest } from '../../src/forensics/recorder.ts';
import { storeBundle } from '../../src/forensics/store.ts';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VoteRecord } from '../../src/voter/core.ts';
import type { Workload } from '../../src/workload/types.ts';

interface S { level: number; count: number; hist: number[] }
let encodes = 0;
const tank = (drift = () => 0): Workload<S> => ({
  name: 'tank', version: '1', inputs: [{ name: 'in', kind: 'analog' }], outputs: [{ name: 'pump', kind: 'discrete' }], safeOutputs: [0],
  init: () => ({ level: 1.5, count: 0, hist: [0, 0] }),
  step: (s, [x]) => ({ state: { level: s.level + x! * 0.1 + drift(), count: s.count + 1, hist: [s.hist[1]!, x!] }, outputs: [s.level > 2 ? 0 : 1] }),
  encode: (s) => { encodes++; return new TextEncoder().encode(JSON.stringify(s)); },
  decode: (b) => JSON.parse(new TextDecoder().decode(b)) as S,
  digest: () => 0,
});

/** Steps the wrapped workload as the core does: step, then encode the result for the digest. */
function run(rec: StepRecorder<S>, cycles: number, between?: (c: number, s: S) => S): S {
  let s = rec.workload.init();
  for (let c = 0; c < cycles; c++) {
    if (between) s = between(c, s);
    const r = rec.workload.step(s, [c % 3]);
    rec.workload.encode(r.state);
    s = r.state;
  }
  return s;
}

const votesOf = (rec: StepRecorder<S>, firstCycle: number): VoteRecord[] =>
  rec.steps().map((st, i) => ({ cycle: firstCycle + i, digests: { 0: stepDigest(st)!, 1: stepDigest(st)! }, majority: stepDigest(st)!, selected: 0 }));

const bundleOf = (rec: StepRecorder<S>, cycles: number) => buildBundle({
  board: 'b1', boards: ['b1', 'b2', 'b3'], selfIdx: 0, boot: 1, cycle: cycles - 1, reason: 'outvoted', atMs: 0,
  workload: { name: 'tank', version: '1', id: null, codeHash: null, modulePath: null, options: {} }, configHash: null,
  votes: votesOf(rec, cycles - rec.steps().length), steps: rec.steps(),
});

test('the recorder keeps the last stepsMax steps, the after-state from the core\'s own encode, the before-state only when it changed outside step', (t) => {
  const rec = new StepRecorder(tank(), 8);
  encodes = 0;
  run(rec, 20);
  const steps = rec.steps();
  t.is(steps.length, 8);
  // One encode per cycle (the digest's) plus the first step's before (init is not a step's result).
  t.is(encodes, 20 + 1);
  t.true(steps.every((s) => s.before === null && s.after !== null));
  t.is(JSON.parse(new TextDecoder().decode(steps.at(-1)!.after!)).count, 20);
});

test('a state changed between two cycles (a flipped bit) is found, with the field and the bit', (t) => {
  const rec = new StepRecorder(tank(), 16);
  run(rec, 12, (c, s) => {
    if (c !== 9) return s;
    const f = new Float64Array([s.level]);
    new BigUint64Array(f.buffer)[0]! ^= 1n << 40n;
    return { ...s, level: f[0]! };
  });
  const a = analyseBundle(parseBundle(JSON.stringify(bundleOf(rec, 12)), 'test'), tank());
  t.is(a.findings.length, 1);
  const f = a.findings[0]!;
  if (f.kind !== 'changed-between-cycles') return t.fail(f.kind);
  t.is(f.afterCycle, 8);
  t.is(f.beforeCycle, 9);
  t.deepEqual(f.fields.map((d) => [d.path, d.bit]), [['level', 40]]);
  t.true(a.lines.some((l) => /^ {2}level: .* \(one bit apart: bit 40 of the float64, in the significand\)$/.test(l)), a.lines.join('\n'));
});

test('a step that is not deterministic is found on replay, with the field', (t) => {
  let n = 0;
  const rec = new StepRecorder(tank(() => (n++ === 5 ? 1e-9 : 0)), 16);
  run(rec, 10);
  const a = analyseBundle(bundleOf(rec, 10), tank());
  t.is(a.findings.length, 1);
  const f = a.findings[0]!;
  if (f.kind !== 'replay-differs') return t.fail(f.kind);
  t.is(f.cycle, 5);
  t.deepEqual(f.fields.map((d) => d.path), ['level']);
});

test('a clean run: every step replays, no finding, and the report says where else to look', (t) => {
  const rec = new StepRecorder(tank(), 16);
  run(rec, 10);
  const a = analyseBundle(bundleOf(rec, 10), tank());
  t.deepEqual(a.findings, []);
  t.is(a.stepsReplayed, 10, 'the first from init (its before-state is kept), the rest from the step before');
  t.regex(a.lines.at(-1)!, /every kept step replays/);
});

test('field diffs walk objects, arrays and typed arrays, and stop at 20', (t) => {
  t.deepEqual(diffValues({ a: [1, 2], b: { c: 'x' } }, { a: [1, 3], b: { c: 'y' }, d: 1 }).map((d) => d.path), ['a[1]', 'b.c', 'd']);
  t.deepEqual(diffValues(new Float64Array([1, 2]), new Float64Array([1, 2, 3])).map((d) => d.path), ['(state).length']);
  t.is(diffValues(Array.from({ length: 50 }, () => 0), Array.from({ length: 50 }, () => 1)).length, 20);
});

test('bundles are rotated: at most filesMax files, and a bundle over bytesMax drops its oldest steps', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-forensics-'));
  const rec = new StepRecorder(tank(), 32);
  run(rec, 40);
  const b = bundleOf(rec, 40);
  for (let c = 0; c < 5; c++) storeBundle(dir, { ...b, cycle: c }, 3, 1 << 20);
  t.is(readdirSync(dir).length, 3);
  const small = storeBundle(dir, { ...b, cycle: 99 }, 3, 4000);
  const kept = JSON.parse(readFileSync(small, 'utf8')) as { steps: unknown[] };
  t.true(kept.steps.length < 32 && kept.steps.length >= 1);
  t.true(readFileSync(small).length <= 4000);
});

test('a bundle of another format, or not JSON, is refused with a fix', (t) => {
  t.throws(() => parseBundle('{', 'x.json'), { message: /x\.json: not JSON .*fix: / });
  t.throws(() => parseBundle('{"format":"other"}', 'x.json'), { message: /format "other" is not ftc-forensics\/1; fix: / });
});
