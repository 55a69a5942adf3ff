import test from 'ava';
import { swarmSlice } from './swarm-helper.ts';

test('500 random single-fault and double-fault schedules (seeds 1-500) violate no invariant', (t) => {
  swarmSlice(t, 1, 500);
});
