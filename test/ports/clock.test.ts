import test from 'ava';
import { VirtualClock, monotonicClock } from '../../src/ports/clock.ts';

test('a virtual clock moves only when told, and never backwards', (t) => {
  const clock = new VirtualClock(100);
  t.is(clock.nowMs(), 100);
  clock.advance(2.5);
  t.is(clock.nowMs(), 102.5);
  t.throws(() => clock.advance(-1), { instanceOf: RangeError });
  t.throws(() => clock.set(50), { instanceOf: RangeError });
  clock.set(200);
  t.is(clock.nowMs(), 200);
});

test('the monotonic clock does not go backwards', (t) => {
  let last = monotonicClock.nowMs();
  for (let i = 0; i < 10_000; i++) {
    const now = monotonicClock.nowMs();
    t.true(now >= last);
    last = now;
  }
});
