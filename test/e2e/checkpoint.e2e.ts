/**
 * A checkpoint workload (examples/schedule: it reads the wall clock and draws random delays) on
 * the whole simulated rig: one board steps it, the others hold its checkpoints. Killing the
 * primary costs the cycles the membership takes to notice (no output: the output stage holds)
 * but never a committed output (the new primary re-releases the newest checkpoint's), never two
 * outputs for one cycle, never two drivers. A PSU lost on the primary migrates it first: nothing lost.
 */
import test from 'ava';
import { migrate } from '../../src/cli/migrate.ts';
import { resolveConsoleTarget } from '../../src/console/client.ts';
import { simulateJudged } from '../helpers/e2e-sim.ts';

const extra = { workload: 'examples/schedule/workload.ts', durationMs: 10_000 };
// Failover downtime: the voter's detection (about 2 cycles) and the new primary's query round;
// 3-4 cycles measured at 20 Hz on a 2-core machine, one more allowed for a loaded one.
const failoverLostCyclesMax = 5;

test.serial('checkpoint workload: the primary is killed; a backup resumes from the newest checkpoint and no committed output is lost', async (t) => {
  const { summary, lines } = await simulateJudged(t, ['kill:active@3.37s'], () => [], extra);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const resumed = events.filter((e) => e.kind === 'resumed' && typeof e.epoch === 'number' && e.epoch >= 0);
  t.is(resumed.length, 1, 'one backup resumed from a checkpoint');
  t.is(summary.lostCommitted, 0);
  t.is(summary.duplicatedOutputs, 0);
  t.is(summary.dualDriven, 0);
  t.true(summary.lostCycles <= failoverLostCyclesMax, `${summary.lostCycles} cycles without output during the failover`);
});

test.serial('checkpoint workload: a PSU lost on the primary moves it to another board with no cycle lost', async (t) => {
  const { summary, lines } = await simulateJudged(t, ['psu:active:a@3s'], () => [], extra);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.true(events.some((e) => e.kind === 'handover-done'), 'the active role was handed over');
  t.true(events.some((e) => e.kind === 'resumed' && typeof e.epoch === 'number' && e.epoch >= 0), 'the new primary resumed from the old one\'s checkpoint');
  t.is(summary.lostCycles, 0);
  t.is(summary.lostCommitted, 0);
  t.is(summary.duplicatedOutputs, 0);
  t.is(summary.dualDriven, 0);
});

test.serial('checkpoint workload: ftc migrate moves it to b3 through b3\'s console; the final checkpoint goes with it and no cycle is lost', async (t) => {
  const said: string[] = [];
  const { summary, lines, duringResult } = await simulateJudged(t, [], () => [], {
    ...extra,
    during: {
      atMs: 4000,
      run: async (runDir) => migrate({ workload: 'schedule', board: 'b3', path: resolveConsoleTarget('b3', runDir), waitMs: 3000, out: (l) => said.push(l) }),
    },
  });
  for (const l of said) t.log(l);
  t.is(duringResult, 0, 'ftc migrate exited 0');
  t.regex(said.join('\n'), /schedule: migrated \(final checkpoint pulled by the new primary\) from b1 to b3 in \d+ ms/);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.true(events.some((e) => e.kind === 'resumed' && e.board === 'b3' && typeof e.epoch === 'number' && e.epoch >= 0), 'b3 resumed from b1\'s checkpoint');
  t.is(summary.lostCycles, 0);
  t.is(summary.lostCommitted, 0);
  t.is(summary.duplicatedOutputs, 0);
  t.is(summary.dualDriven, 0);
});
