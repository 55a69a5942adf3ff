import type { ExecutionContext } from 'ava';
import { SIM_RATE_HZ_DEFAULT } from '../../src/rig/sim-timing.ts';
import { runBoardSwarm } from '../../src/sim/board-swarm.ts';
import { tank } from '../helpers/tank.ts';

/** npm test's share of the whole-board swarm: 500 seeds at `ftc sim`'s rate, in two files (two ava processes, two cores). */
export const boardSwarmSeeds = 250;

export async function boardSwarmSlice(t: ExecutionContext, from: number, seeds: number): Promise<void> {
  const s = await runBoardSwarm(tank, from, seeds, SIM_RATE_HZ_DEFAULT, SIM_RATE_HZ_DEFAULT, () => performance.now());
  t.log(
    `seeds ${from}..${from + seeds - 1} at ${SIM_RATE_HZ_DEFAULT} Hz: ${(s.seeds / (s.elapsedMs / 1000)).toFixed(2)} seeds/s; worst rejoin ${Math.round(s.rejoinMsMax)} ms ` +
    `(p99 ${Math.round(s.rejoinMsP99)} ms) from the first frame, worst detection ${Math.round(s.detectMsMax)} ms, worst re-form ${Math.round(s.reformMsMax)} ms, ` +
    `worst gap ${Math.round(s.worstGapMs)} ms outside excused spells`,
  );
  for (const f of s.failed) t.log(`${f.first}\n  reproduce: ${f.line}`);
  t.is(s.seeds, seeds);
  t.is(s.violations, 0, `failing seeds: ${s.failed.map((f) => f.seed).join(', ')}`);
  t.is(s.worstGapCycles, 0, 'under a single fault no cycle goes without an output');
}
