import test from 'ava';
import { swarmSlice } from './swarm-helper.ts';

test('500 random single-fault, double-fault and rig-wide schedules (seeds 1-500) violate no invariant', (t) => {
  swarmSlice(t, 1, 500);
});
