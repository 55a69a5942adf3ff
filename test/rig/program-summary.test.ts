/**
 * The process class's figures (programSummary, src/rig/summary.ts): from the boards' program
 * events and the supervisor's process-exit of a board, each stamped with `mono` (ms), how many
 * instances ran at once on two boards, how often the program was started again, and the longest
 * time nothing ran.
 */
import test from 'ava';
import { programSummary, type SummaryEvent } from '../../src/rig/summary.ts';

const BOARDS = ['b1', 'b2', 'b3'] as const;

const start = (board: string, mono: number): SummaryEvent => ({ kind: 'program-start', board, mono, pid: 100, argv: 'prog' });
const stopped = (board: string, mono: number): SummaryEvent => ({ kind: 'program-stopped', board, mono, pid: 100 });
const exited = (board: string, mono: number): SummaryEvent => ({ kind: 'program-exit', board, mono, pid: 100, code: 1, signal: null });
const boardDied = (child: string, mono: number): SummaryEvent => ({ kind: 'process-exit', child, name: child, mono, code: null, signal: 'SIGKILL' });

test('one board running the whole time: no dual activity, no restart, no outage', (t) => {
  t.deepEqual(programSummary([start('b1', 0)], BOARDS, 5000), { dualActive: 0, restarts: 0, outageMsMax: 0 });
  // Stopped exactly at the end is the same.
  t.deepEqual(programSummary([start('b1', 0), stopped('b1', 5000)], BOARDS, 5000), { dualActive: 0, restarts: 0, outageMsMax: 0 });
});

test('no program events at all: all zero', (t) => {
  t.deepEqual(programSummary([], BOARDS, 5000), { dualActive: 0, restarts: 0, outageMsMax: 0 });
});

test('b1 from 0 to 1000, b2 from 1300: an outage of 300 ms, one restart, no dual activity', (t) => {
  const events = [start('b1', 0), stopped('b1', 1000), start('b2', 1300)];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 0, restarts: 1, outageMsMax: 300 });
});

test('b2 starts at 900 while b1 runs to 1000: one dual-active pair, no outage', (t) => {
  const events = [start('b1', 0), start('b2', 900), stopped('b1', 1000)];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 1, restarts: 1, outageMsMax: 0 });
});

test('a hand-over exactly at the stop time is neither dual nor an outage', (t) => {
  const events = [start('b1', 0), stopped('b1', 1000), start('b2', 1000)];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 0, restarts: 1, outageMsMax: 0 });
});

test('a board killed (process-exit of child b1 at 500) ends its program: b2 at 1700 → outage 1200', (t) => {
  const events = [start('b1', 0), boardDied('b1', 500), start('b2', 1700)];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 0, restarts: 1, outageMsMax: 1200 });
  // Without the process-exit, b1 would be taken to run on, overlapping b2.
  t.deepEqual(programSummary([start('b1', 0), start('b2', 1700)], BOARDS, 5000), { dualActive: 1, restarts: 1, outageMsMax: 0 });
});

test('process-exit of a child that is not a board (the plant) closes nothing', (t) => {
  const events = [start('b1', 0), boardDied('plant', 500), start('b2', 1700)];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 1, restarts: 1, outageMsMax: 0 });
});

test('the program exiting and restarting in place counts a restart and the gap between', (t) => {
  const events = [start('b1', 0), exited('b1', 400), start('b1', 650), exited('b1', 800), start('b1', 850)];
  t.deepEqual(programSummary(events, BOARDS, 2000), { dualActive: 0, restarts: 2, outageMsMax: 250 });
});

test('a second program-start on a running board closes the first span: a restart, never dual', (t) => {
  const events = [start('b1', 0), start('b1', 500)];
  t.deepEqual(programSummary(events, BOARDS, 2000), { dualActive: 0, restarts: 1, outageMsMax: 0 });
});

test('a span still open at the end closes at endMono; nothing running at the end is a trailing outage', (t) => {
  // b2 open at the end: closed at endMono, no trailing outage.
  t.deepEqual(programSummary([start('b1', 0), stopped('b1', 1000), start('b2', 1100)], BOARDS, 3000), { dualActive: 0, restarts: 1, outageMsMax: 100 });
  // Nothing runs after 1000 and the run ends at 3000: a 2000 ms outage.
  t.deepEqual(programSummary([start('b1', 0), stopped('b1', 1000)], BOARDS, 3000), { dualActive: 0, restarts: 0, outageMsMax: 2000 });
  // A board that dies near the end: the trailing outage wins over an earlier short one.
  const events = [start('b1', 0), stopped('b1', 1000), start('b2', 1200), boardDied('b2', 2500)];
  t.deepEqual(programSummary(events, BOARDS, 4000), { dualActive: 0, restarts: 1, outageMsMax: 1500 });
});

test('the time before the first start is not an outage', (t) => {
  t.deepEqual(programSummary([start('b1', 2000)], BOARDS, 5000), { dualActive: 0, restarts: 0, outageMsMax: 0 });
});

test('events without mono are ignored', (t) => {
  const events: SummaryEvent[] = [
    start('b1', 0),
    { kind: 'program-stopped', board: 'b1' }, // no mono: b1 runs on
    { kind: 'program-start', board: 'b2' }, // no mono: b2 never started
    { kind: 'process-exit', child: 'b1', mono: '700' }, // mono not a number: ignored too
    stopped('b1', 1000),
    start('b2', 1300),
  ];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 0, restarts: 1, outageMsMax: 300 });
});

test('overlaps are counted per pair of instances on two boards', (t) => {
  // b1 0–1000, b2 500–1500, b3 800–2000: pairs b1/b2, b1/b3, b2/b3 overlap.
  const events = [start('b1', 0), start('b2', 500), start('b3', 800), stopped('b1', 1000), stopped('b2', 1500), stopped('b3', 2000)];
  t.deepEqual(programSummary(events, BOARDS, 2000), { dualActive: 3, restarts: 2, outageMsMax: 0 });
});

test('the legacy `event` key is read like `kind`, and the outage is rounded to whole ms', (t) => {
  const events: SummaryEvent[] = [
    { event: 'program-start', board: 'b1', mono: 10.2 },
    { event: 'program-stopped', board: 'b1', mono: 1000.4 },
    { event: 'program-start', board: 'b2', mono: 1300.9 },
  ];
  t.deepEqual(programSummary(events, BOARDS, 5000), { dualActive: 0, restarts: 1, outageMsMax: 301 });
});
