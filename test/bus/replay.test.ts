import test from 'ava';
import fc from 'fast-check';
import { ReplayWindow } from '../../src/bus/replay.ts';
import { checkProperty } from './_property.ts';

/** Obviously-correct reference: remembers every (epoch, seq) per source. */
function referenceVerdict(
  seen: Map<number, { epoch: number; top: number; set: Set<number> }>,
  w: number,
  source: number,
  epoch: number,
  seq: number,
): string {
  const s = seen.get(source);
  if (!s || epoch > s.epoch) {
    seen.set(source, { epoch, top: seq, set: new Set([seq]) });
    return 'fresh';
  }
  if (epoch < s.epoch) return 'stale';
  if (seq > s.top) {
    s.top = seq;
    s.set.add(seq);
    return 'fresh';
  }
  if (s.top - seq >= w) return 'stale';
  if (s.set.has(seq)) return 'replay';
  s.set.add(seq);
  return 'fresh';
}

for (const windowSize of [32, 64, 128, 96]) {
  const verdicts = new Set<string>();
  test(`the ${windowSize}-wide replay window agrees with a remember-everything reference`, (t) => {
    checkProperty(
      t,
      fc.property(
        fc.array(
          fc.record({
            source: fc.integer({ min: 1, max: 2 }),
            // Mostly the same epoch, sometimes a restart, rarely a frame from an old epoch.
            epochStep: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1),
            // Sequences wander around the highest seen: ahead, inside and beyond the window.
            seqStep: fc.oneof(fc.integer({ min: -2 * windowSize, max: 40 }), fc.integer({ min: -40, max: 3 })),
            nearWrap: fc.boolean(),
          }),
          { maxLength: 400 },
        ),
        (events) => {
          const win = new ReplayWindow({ windowSize, sourceIdMax: 2 });
          const ref = new Map();
          const cursor = new Map<number, { epoch: number; top: number }>();
          return events.every((e) => {
            const c = cursor.get(e.source) ?? { epoch: 5, top: e.nearWrap ? 0xffffffff - 3 * windowSize : 3 * windowSize };
            c.epoch = Math.max(0, c.epoch + e.epochStep);
            const seq = Math.min(0xffffffff, Math.max(0, c.top + e.seqStep));
            c.top = Math.max(c.top, seq);
            cursor.set(e.source, c);
            const verdict = win.accept(e.source, c.epoch, seq);
            verdicts.add(verdict);
            return verdict === referenceVerdict(ref, windowSize, e.source, c.epoch, seq);
          });
        },
      ),
      500,
    );
    t.deepEqual([...verdicts].sort(), ['fresh', 'replay', 'stale'], 'the runs exercised every verdict');
  });
}

test('a board that restarts with a higher epoch is accepted from sequence 0, and its old frames become stale', (t) => {
  const w = new ReplayWindow();
  t.is(w.accept(2, 5, 1000), 'fresh');
  t.is(w.accept(2, 6, 0), 'fresh');
  t.is(w.accept(2, 5, 1001), 'stale');
  t.is(w.accept(2, 6, 0), 'replay');
  t.deepEqual(w.position(2), { epoch: 6, seq: 0 });
});

test('check() alone does not consume a sequence number; sources outside 1..N are refused', (t) => {
  const w = new ReplayWindow({ sourceIdMax: 4 });
  t.is(w.check(1, 0, 7), 'fresh');
  t.is(w.check(1, 0, 7), 'fresh');
  t.is(w.accept(1, 0, 7), 'fresh');
  t.is(w.check(1, 0, 7), 'replay');
  t.is(w.check(0, 0, 1), 'badSource');
  t.is(w.check(5, 0, 1), 'badSource');
  t.throws(() => new ReplayWindow({ windowSize: 100 }), { message: /windowSize/ });
  t.throws(() => new ReplayWindow({ sourceIdMax: 0 }), { message: /sourceIdMax/ });
});
