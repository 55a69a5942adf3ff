import type { ExecutionContext } from 'ava';
import { runSwarm } from '../../src/sim/swarm.ts';
import { tankWorld } from '../helpers/tank.ts';

/** npm test's share of the swarm: 1,000 seeds in two files (two ava processes, two cores). */
export const swarmCycles = 400;

export function swarmSlice(t: ExecutionContext, from: number, seeds: number): void {
  const s = runSwarm(tankWorld, from, seeds, swarmCycles, 1000, () => performance.now());
  t.log(`seeds ${from}..${from + seeds - 1}: ${(s.seeds / (s.elapsedMs / 1000)).toFixed(1)} seeds/s, worst gap ${s.worstGapSingle} cycles single-fault (${s.worstGapDouble} double-fault), worst detection ${s.worstDetect}, worst rejoin ${s.worstRejoin} cycles`);
  for (const f of s.failed) t.log(`${f.first}\n  reproduce: ${f.line}`);
  t.is(s.seeds, seeds);
  t.is(s.violations, 0, `failing seeds: ${s.failed.map((f) => f.seed).join(', ')}`);
  t.is(s.worstGapSingle, 0, 'under a single fault no cycle goes without an output');
}
