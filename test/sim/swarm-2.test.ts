import test from 'ava';
import { swarmSlice } from './swarm-helper.ts';

test('500 more random fault schedules (seeds 501-1000) violate no invariant', (t) => {
  swarmSlice(t, 501, 500);
});
