import test from 'ava';
import { canonicalJson, parseTrace, summarize } from '../../src/rig/summary.ts';
import type { ReferenceCycle, TraceRecord } from '../../src/rig/summary.ts';

/** Reference outputs for cycles 1..n: a tiny deterministic "workload". */
function reference(n: number): ReferenceCycle[] {
  return Array.from({ length: n }, (_, i) => ({ cycle: i + 1, outputs: { valve: (i * 7) % 3, pump: i % 2 === 0 } }));
}

/** The plant saw the reference, driven by `board`, except where `edit` says otherwise. */
function traceOf(ref: ReferenceCycle[], board = 'b1'): TraceRecord[] {
  return ref.map((r) => ({ cycle: r.cycle, board, outputs: r.outputs }));
}

test('a clean run: every cycle once, right outputs, one board, gaps of one period', (t) => {
  const ref = reference(100);
  t.deepEqual(summarize({ trace: traceOf(ref), reference: ref, events: [], periodMs: 10 }), {
    event: 'summary', cycles: 100, lostCycles: 0, wrongOutputs: 0, dualDriven: 0, failovers: 0, maxGapMs: 10,
  });
});

test('the active board is killed at cycle 40: 3 cycles are lost before b2 takes over, one failover', (t) => {
  const ref = reference(100);
  const trace = [...traceOf(ref.slice(0, 39), 'b1'), ...traceOf(ref.slice(42), 'b2')];
  // Every surviving board logs the same failover (same epoch); it counts once.
  const events = [
    { kind: 'vote', cycle: 39 },
    { kind: 'failover', from: 'b1', to: 'b2', cycle: 43, epoch: 2, board: 'b2' },
    { kind: 'failover', from: 'b1', to: 'b2', cycle: 43, epoch: 2, board: 'b3' },
  ];
  const s = summarize({ trace, reference: ref, events, periodMs: 10 });
  t.like(s, { cycles: 100, lostCycles: 3, wrongOutputs: 0, dualDriven: 0, failovers: 1 });
  t.is(s.maxGapMs, 40, 'from cycle 39 to cycle 43 is 4 periods');
});

test('a lying board that reaches the plant shows as wrong outputs, counted once per cycle', (t) => {
  const ref = reference(10);
  const trace = traceOf(ref);
  trace[4] = { ...trace[4]!, outputs: { valve: 9, pump: true } };
  trace.push({ cycle: 5, board: 'b1', outputs: { valve: 8, pump: true } });
  t.is(summarize({ trace, reference: ref, events: [], periodMs: 10 }).wrongOutputs, 1);
});

test('two boards driving the same cycle is dual-driven; a board repeating itself is not', (t) => {
  const ref = reference(10);
  const trace = [...traceOf(ref), { cycle: 3, board: 'b2', outputs: ref[2]!.outputs }, { cycle: 4, board: 'b1', outputs: ref[3]!.outputs }];
  const s = summarize({ trace, reference: ref, events: [], periodMs: 10 });
  t.is(s.dualDriven, 1);
  t.is(s.wrongOutputs, 0, 'same outputs from the second master are still dual-driven, not wrong');
});

test('outputs compare by value: key order in the trace does not matter', (t) => {
  const ref = [{ cycle: 1, outputs: { a: 1, b: { c: 2, d: [1, 2] } } }];
  const trace = [{ cycle: 1, board: 'b1', outputs: { b: { d: [1, 2], c: 2 }, a: 1 } }];
  t.is(summarize({ trace, reference: ref, events: [], periodMs: 10 }).wrongOutputs, 0);
  t.is(canonicalJson({ b: 1, a: [{ y: 1, x: 2 }] }), '{"a":[{"x":2,"y":1}],"b":1}');
});

test('outputs that stop before the end of the run count as a gap up to the end', (t) => {
  const ref = reference(100);
  const s = summarize({ trace: traceOf(ref.slice(0, 50)), reference: ref, events: [], periodMs: 10 });
  t.is(s.lostCycles, 50);
  t.is(s.maxGapMs, 510);
  t.is(summarize({ trace: [], reference: ref, events: [], periodMs: 10 }).maxGapMs, 1010);
});

test('with the plant receive times in the trace, the gap is measured, not inferred', (t) => {
  const ref = reference(5);
  const trace = traceOf(ref).map((r, i) => ({ ...r, tMs: 1000 + i * 10 + (i === 3 ? 37.5 : 0) }));
  // Receive times 1000, 1010, 1020, 1067.5, 1040 -> sorted 1000 1010 1020 1040 1067.5: max 27.5.
  t.is(summarize({ trace, reference: ref, events: [], periodMs: 10 }).maxGapMs, 27.5);
});

test('failovers without an epoch are told apart by cycle and new active board; other kinds do not count', (t) => {
  const events = [
    { event: 'failover', cycle: 10, to: 'b2' },
    { event: 'failover', cycle: 10, to: 'b2' },
    { event: 'failover', cycle: 90, to: 'b3' },
    { event: 'handover', cycle: 50, to: 'b1' },
  ];
  t.is(summarize({ trace: [], reference: [], events, periodMs: 10 }).failovers, 2);
});

test('cycles outside the reference (the ragged edges of a run) are ignored', (t) => {
  const ref = reference(10);
  const trace = [...traceOf(ref), { cycle: 11, board: 'b2', outputs: 'anything' }, { cycle: 0, board: 'b3', outputs: null }];
  t.like(summarize({ trace, reference: ref, events: [], periodMs: 10 }), { wrongOutputs: 0, dualDriven: 0, maxGapMs: 10 });
});

test('the plant trace parses from JSON Lines, skipping and counting damaged lines', (t) => {
  const text = '{"cycle":1,"board":"b1","outputs":{"v":1}}\n{"cycle":2,"board":"b1","outp\nnot json\n{"cycle":"3","board":"b1","outputs":1}\n\n{"cycle":3,"board":"b2","outputs":[]}\n';
  const { records, skippedLines } = parseTrace(text);
  t.deepEqual(records.map((r) => r.cycle), [1, 3]);
  t.is(skippedLines, 3);
});

test('a zero period is a programmer error', (t) => {
  t.throws(() => summarize({ trace: [], reference: [], events: [], periodMs: 0 }), { instanceOf: RangeError });
});
