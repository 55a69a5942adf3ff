import test from 'ava';
import { boardSwarmSeeds, boardSwarmSlice } from './board-swarm-helper.ts';

test(`${boardSwarmSeeds} whole boards' seeds (${boardSwarmSeeds + 1}-${2 * boardSwarmSeeds}): single, double and rig-wide faults with the machine's own, no invariant violated`, async (t) => {
  t.timeout(600_000);
  await boardSwarmSlice(t, boardSwarmSeeds + 1, boardSwarmSeeds);
});
