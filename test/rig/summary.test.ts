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

// ---- wrong outputs judged per cycle, from what the boards presented (trace field `presented`)

/** The tank's outputs (pump command, overflow valve) for a cycle of a fault-free run. */
function tankOut(cycle: number, offset = 0): { pump: number; overflowValve: number } {
  return { pump: Math.round((0.3 + 0.01 * ((cycle * 13) % 40) + offset) * 1000) / 1000, overflowValve: cycle % 17 === 0 ? 1 : 0 };
}

/** A trace record as the plant writes it: the driver's outputs and what every board presented. */
function plantRecord(cycle: number, board: string, presented: Record<string, unknown>): TraceRecord {
  return { cycle, board, outputs: presented[board], presented, tMs: cycle * 200 };
}

test('a cycle lost in the middle of a run is one lost cycle; the outputs after it follow the boards, not the fault-free run, and are not wrong', (t) => {
  // The fault-free run of the seed: 60 cycles.
  const ref = Array.from({ length: 60 }, (_, c) => ({ cycle: c, outputs: tankOut(c) }));
  // The rig's run: b1 drives. Cycle 30 is lost (two boards woken late at once): the plant applies
  // safe outputs, its level drifts from the fault-free run, and from then on all three boards,
  // healthy and agreeing, compute outputs that differ from the reference.
  const trace: TraceRecord[] = [];
  for (let c = 0; c < 60; c++) {
    if (c === 30) continue;
    const o = c < 30 ? tankOut(c) : tankOut(c, 0.05);
    trace.push(plantRecord(c, 'b1', { b1: o, b2: { ...o }, b3: { overflowValve: o.overflowValve, pump: o.pump } }));
  }
  const s = summarize({ trace, reference: ref, events: [], periodMs: 200 });
  t.like(s, { cycles: 60, lostCycles: 1, wrongOutputs: 0, dualDriven: 0 });
  t.is(s.maxGapMs, 400, 'cycle 29 to cycle 31');
  // The same trace judged the old way (no `presented`): every cycle after the loss looks wrong.
  const old = trace.map(({ presented: _p, ...r }) => r);
  t.is(summarize({ trace: old, reference: ref, events: [], periodMs: 200 }).wrongOutputs, 29);
});

test('a lying driver whose outputs differ from the two other boards\' and still reach the plant is one wrong output', (t) => {
  const ref = Array.from({ length: 20 }, (_, c) => ({ cycle: c, outputs: tankOut(c) }));
  const trace = ref.map((r) => plantRecord(r.cycle, 'b2', { b1: r.outputs, b2: r.outputs, b3: r.outputs }));
  // Cycle 12: b2 (driving) computed from a flipped state bit; b1 and b3 agree with each other.
  // The output stage let it through anyway (the fault under test): wrong, however the reference reads.
  const liar = { pump: 0.99, overflowValve: 1 };
  trace[12] = plantRecord(12, 'b2', { b1: tankOut(12), b2: liar, b3: tankOut(12) });
  t.like(summarize({ trace, reference: ref, events: [], periodMs: 200 }), { lostCycles: 0, wrongOutputs: 1, dualDriven: 0 });
  // And it stays wrong after a lost cycle, when the reference no longer tells right from wrong:
  // the majority b1 + b3 does.
  const drifted = ref.map((r) => (r.cycle === 5 ? null : plantRecord(r.cycle, 'b2', { b1: tankOut(r.cycle, 0.05), b2: tankOut(r.cycle, 0.05), b3: tankOut(r.cycle, 0.05) }))).filter((r): r is TraceRecord => r !== null);
  drifted[11] = plantRecord(12, 'b2', { b1: tankOut(12, 0.05), b2: liar, b3: tankOut(12, 0.05) });
  t.like(summarize({ trace: drifted, reference: ref, events: [], periodMs: 200 }), { lostCycles: 1, wrongOutputs: 1 });
});

test('when no two boards presented the same outputs, the driver\'s are wrong unless they were the only ones presented', (t) => {
  const ref = [0, 1, 2, 3].map((c) => ({ cycle: c, outputs: tankOut(c) }));
  const trace = [
    // Three different answers: the driver's matches no other board's.
    plantRecord(0, 'b1', { b1: tankOut(0, 0.1), b2: tankOut(0, 0.2), b3: tankOut(0, 0.3) }),
    // Duplex (b3 out), the two members disagree.
    plantRecord(1, 'b1', { b1: tankOut(1, 0.1), b2: tankOut(1) }),
    // Only the driver's outputs had reached the plant: nothing to judge them by.
    plantRecord(2, 'b1', { b1: tankOut(2, 0.1) }),
    // Outputs no board presented.
    { cycle: 3, board: 'b1', outputs: tankOut(3, 0.1), presented: { b1: tankOut(3) } },
  ];
  t.is(summarize({ trace, reference: ref, events: [], periodMs: 200 }).wrongOutputs, 3);
});

test('a second master with the majority\'s outputs is dual-driven but not wrong; with other outputs the cycle is wrong once', (t) => {
  const ref = [0, 1].map((c) => ({ cycle: c, outputs: tankOut(c) }));
  const p0 = { b1: tankOut(0), b2: tankOut(0), b3: tankOut(0) };
  const p1 = { b1: tankOut(1), b2: tankOut(1, 0.1), b3: tankOut(1) };
  const trace = [plantRecord(0, 'b1', p0), plantRecord(0, 'b3', p0), plantRecord(1, 'b1', p1), plantRecord(1, 'b2', p1), plantRecord(1, 'b2', p1)];
  t.like(summarize({ trace, reference: ref, events: [], periodMs: 200 }), { dualDriven: 2, wrongOutputs: 1 });
});

test('an old trace without `presented` is judged against the fault-free reference, as before', (t) => {
  const ref = Array.from({ length: 10 }, (_, c) => ({ cycle: c, outputs: tankOut(c) }));
  // Written by a plant from before the field: cycle 4 differs from the reference.
  const text = ref.map((r) => JSON.stringify({ cycle: r.cycle, board: 'b1', outputs: r.cycle === 4 ? tankOut(4, 0.1) : r.outputs, tMs: r.cycle * 200 })).join('\n') + '\n';
  const { records } = parseTrace(text);
  t.is(records[0]!.presented, undefined);
  t.like(summarize({ trace: records, reference: ref, events: [], periodMs: 200 }), { lostCycles: 0, wrongOutputs: 1 });
  // The reference is the only judge there: equal to it is right, whatever the key order.
  const right = records.map((r) => (r.cycle === 4 ? { ...r, outputs: { overflowValve: tankOut(4).overflowValve, pump: tankOut(4).pump } } : r));
  t.is(summarize({ trace: right, reference: ref, events: [], periodMs: 200 }).wrongOutputs, 0);
});

test('the plant\'s trace lines with `presented` parse and keep it', (t) => {
  const line = JSON.stringify({ cycle: 7, board: 'b2', outputs: { pump: 0.4, overflowValve: 0 }, presented: { b1: { pump: 0.4, overflowValve: 0 }, b2: { pump: 0.4, overflowValve: 0 } }, tMs: 1400.5 });
  const { records, skippedLines } = parseTrace(line + '\n');
  t.is(skippedLines, 0);
  t.deepEqual(Object.keys(records[0]!.presented ?? {}), ['b1', 'b2']);
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
