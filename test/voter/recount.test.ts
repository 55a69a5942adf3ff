/**
 * The commit-time recount, as it was seen in the multi-process simulator: one board's process
 * woke too late for its vote phase, and a second board's vote reached the active board a moment
 * after the count deadline. Without the recount the active board counted one vote, selected
 * nobody, and the cycle had a single select: lost.
 */
import test from 'ava';
import { BoardCore, type Effect, type Inbound } from '../../src/voter/core.ts';
import type { Msg } from '../../src/voter/codec.ts';
import { makeVoterConfig } from '../../src/voter/config.ts';
import { tankWorkload } from '../helpers/tank.ts';

const sensors = { sensors: () => [0.5, 0] };
const stepMs = 0.25;

interface Rig {
  /** Board `from`'s message to `to`, sent at `sentMs`, arrives at the returned time. */
  arrival?: (from: number, to: number, msg: Msg, sentMs: number) => number;
  /** Board i is not stepped at this time (its process is descheduled). */
  held?: (board: number, nowMs: number) => boolean;
  /** Called before the cores are stepped at nowMs (fault injection). */
  before?: (nowMs: number, cores: BoardCore<unknown>[]) => void;
}

function run(untilMs: number, o: Rig) {
  const cfg = (self: number) => makeVoterConfig({ self });
  const cores = [0, 1, 2].map((self) => new BoardCore(cfg(self), tankWorkload));
  const inFlight: Array<{ to: number; atMs: number; msg: Msg }> = [];
  const fx: Array<{ board: number; e: Effect }> = [];
  for (let now = 0; now < untilMs; now += stepMs) {
    o.before?.(now, cores as BoardCore<unknown>[]);
    cores.forEach((core, i) => {
      if (o.held?.(i, now)) return;
      const inbox: Inbound[] = [];
      for (let k = inFlight.length - 1; k >= 0; k--) {
        const m = inFlight[k]!;
        if (m.to === i && m.atMs <= now) {
          inbox.unshift({ msg: m.msg, rxMs: m.atMs });
          inFlight.splice(k, 1);
        }
      }
      for (const e of core.step(now, inbox, sensors)) {
        fx.push({ board: i, e });
        if (e.kind !== 'send') continue;
        for (let j = 0; j < 3; j++) {
          if (j === i || (e.to !== undefined && e.to !== j)) continue;
          inFlight.push({ to: j, msg: e.msg, atMs: o.arrival?.(i, j, e.msg, now) ?? now + stepMs });
        }
      }
    });
  }
  return { cores, fx };
}

/** The output stage: the board selected by two boards for cycle k, or null (a lost cycle). */
function driverOf(fx: ReadonlyArray<{ e: Effect }>, k: number): number | null {
  const n = [0, 0, 0];
  for (const { e } of fx) if (e.kind === 'select' && e.cycle === k && e.board !== null) n[e.board]!++;
  const d = n.findIndex((x) => x >= 2);
  return d < 0 ? null : d;
}

/** The story's cycle k and its deadlines; `lateVoteMs` falls between the count and the commit. */
function cycleK() {
  const cfg = makeVoterConfig({ self: 0 });
  const P = cfg.periodMs;
  const k = 40;
  const at = (frac: number) => (k + frac) * P;
  return { cfg, P, k, computeMs: at(cfg.inputDeadlineFrac), lateVoteMs: (at(cfg.voteDeadlineFrac) + at(cfg.commitDeadlineFrac)) / 2 };
}

test('a vote that misses the count but arrives before the commit still gets the cycle driven', (t) => {
  const { cfg, P, k, computeMs, lateVoteMs } = cycleK();
  const { cores, fx } = run((k + 10) * P, {
    // Board 2 sleeps through its vote phase by more than lateMaxMs: it sits cycle k out.
    held: (b, now) => b === 2 && now > computeMs - stepMs && now < computeMs + cfg.lateMaxMs + 1,
    // Board 1's vote of cycle k reaches board 0 after board 0 has counted.
    arrival: (from, to, msg, sentMs) => (from === 1 && to === 0 && msg.t === 'vote' && msg.cycle === k ? lateVoteMs : sentMs + stepMs),
  });

  t.true(fx.some(({ board, e }) => board === 2 && e.kind === 'event' && e.code === 'late' && e.cycle === k), 'board 2 was late for cycle k');
  t.true(fx.some(({ board, e }) => board === 0 && e.kind === 'alarm' && e.code === 'noMajority' && e.cycle === k), 'board 0 counted without board 1 vote');
  t.is(driverOf(fx, k), 0, 'cycle k is driven by the active board all the same');
  for (let c = 1; c < k + 8; c++) t.not(driverOf(fx, c), null, `cycle ${c} has a driver`);
  t.deepEqual(cores.map((c) => c.role), ['member', 'member', 'member']);
  t.false(fx.some(({ e }) => e.kind === 'event' && e.code === 'demoted'), 'nobody stepped down');
});

test('a late vote that shows the recounting board is the odd one out makes it step down, never drive', (t) => {
  const { P, k, lateVoteMs } = cycleK();
  const { fx } = run((k + 4) * P, {
    // One bit of board 0's state flips during cycle k's input phase: its digest differs.
    before: (now, cores) => { if (now === (k + 0.1) * P) t.true(cores[0]!.flipStateBit(3)); },
    // Both peers' votes reach board 0 only after its count: it learns it was outvoted at the commit.
    arrival: (_from, to, msg, sentMs) => (to === 0 && msg.t === 'vote' && msg.cycle === k ? lateVoteMs : sentMs + stepMs),
  });
  t.true(fx.some(({ board, e }) => board === 0 && e.kind === 'event' && e.code === 'demoted' && e.detail === 'outvoted' && e.cycle === k));
  t.false(fx.some(({ board, e }) => board === 0 && e.kind === 'select' && e.cycle === k && e.board !== null), 'board 0 selects nobody');
  t.is(driverOf(fx, k), 1, 'the next-ranked board drives the same cycle');
});
