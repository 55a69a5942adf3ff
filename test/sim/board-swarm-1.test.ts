import test from 'ava';
import { boardSwarmSeeds, boardSwarmSlice } from './board-swarm-helper.ts';

test(`${boardSwarmSeeds} whole boards' seeds (1-${boardSwarmSeeds}): single, double and rig-wide faults with the machine's own, no invariant violated`, async (t) => {
  t.timeout(600_000);
  await boardSwarmSlice(t, 1, boardSwarmSeeds);
});
