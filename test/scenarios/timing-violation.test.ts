import test from 'ava';
import { faultBoards, judgeLostCycles } from '../../src/scenarios/timing-violation.ts';

const fault = { kind: 'fault', spec: 'kill:b1' };
const lost = (cycle: number) => ({ kind: 'lost-cycle', board: 'plant', cycle });
const late = (board: string, cycle: number) => ({ kind: 'late', board, cycle, detail: 'phase 0 27 ms late' });

test('the boards a fault names are read from the resolved fault lines', (t) => {
  t.deepEqual([...faultBoards([fault, { kind: 'fault', spec: 'cut:b2-b3/serial@3s+3s' }, { kind: 'status', board: 'b1' }])].sort(), ['b1', 'b2', 'b3']);
});

test('a lost cycle with a healthy board woken late next to it is the environment\'s', (t) => {
  const v = judgeLostCycles([fault, late('b2', 77), late('b3', 78), lost(78)], { cycles: 120, lostCycles: 1, wrongOutputs: 40 });
  t.true(v.environment);
  t.regex(v.detail, /cycle 78: b2 .*b3/);
});

test('a lost cycle that only the faulty board was late for is a real failure', (t) => {
  t.false(judgeLostCycles([fault, late('b1', 40), lost(40)], { cycles: 120, lostCycles: 1, wrongOutputs: 79 }).environment);
});

test('a lost cycle with nobody late near it, or wrong outputs before the first loss, is a real failure', (t) => {
  t.false(judgeLostCycles([fault, late('b2', 20), lost(40)], { cycles: 120, lostCycles: 1, wrongOutputs: 79 }).environment);
  t.false(judgeLostCycles([fault, late('b2', 100), lost(100)], { cycles: 120, lostCycles: 1, wrongOutputs: 30 }).environment, 'wrong outputs before cycle 100');
  t.false(judgeLostCycles([fault, late('b2', 10), lost(10), lost(50)], { cycles: 120, lostCycles: 2, wrongOutputs: 100 }).environment, 'one of two losses unexplained');
});

test('a run without lost cycles has nothing to excuse', (t) => {
  t.false(judgeLostCycles([fault, late('b2', 10)], { cycles: 120, lostCycles: 0, wrongOutputs: 0 }).environment);
});

test('a link fault delays no process: late wakes of the boards it names are the machine\'s, a hang\'s are the fault\'s', (t) => {
  const lost = (cycle: number) => ({ kind: 'lost-cycle', cycle });
  const late = (board: string, cycle: number) => ({ kind: 'late', board, cycle, detail: 'phase 0 40 ms late' });
  const corrupt = { kind: 'fault', spec: 'corrupt:b1-b3/serial:0.001' };
  t.true(judgeLostCycles([corrupt, late('b1', 166), late('b3', 166), lost(166)], { cycles: 300, lostCycles: 1, wrongOutputs: 0 }).environment);
  const hang = { kind: 'fault', spec: 'hang:b1' };
  t.false(judgeLostCycles([hang, late('b1', 90), lost(90)], { cycles: 300, lostCycles: 1, wrongOutputs: 0 }).environment);
});
