/**
 * The checkpoint class's core, story by story (src/checkpoint/core.ts): output commit, failover
 * from the newest checkpoint, the stale primary that can release nothing, deltas; and the seeded
 * swarm over crashes, hangs and partitions of the primary at every point of the protocol.
 */
import test from 'ava';
import fc from 'fast-check';
import { CheckpointCore, makeCheckpointConfig, type CkptEffect, type CkptMsg, type MembershipView } from '../../src/checkpoint/core.ts';
import { applyDelta, makeDelta } from '../../src/checkpoint/delta.ts';
import { planFor, runCheckpointSeed, runCheckpointSwarm } from '../../src/sim/checkpoint-sim.ts';

const core = (self: number) => new CheckpointCore(makeCheckpointConfig({ self, boards: 3, chunkBytesMax: 64, stateBytesMax: 4096, outputsMax: 4, retryMs: 20 }));
const all: MembershipView = { member: true, primary: 0, membersMask: 0b111 };
const sends = (fx: CkptEffect[]) => fx.flatMap((e) => (e.kind === 'send' ? [{ msg: e.msg, to: e.to }] : []));
const of = <K extends CkptEffect['kind']>(fx: CkptEffect[], kind: K) => fx.filter((e): e is Extract<CkptEffect, { kind: K }> => e.kind === kind);

/** A rig of three cores with a hand-driven network: `run` delivers until nothing is in flight. */
function rig() {
  const cores = [core(0), core(1), core(2)];
  const views: MembershipView[] = [all, all, all];
  const released: { by: number; epoch: number; outputs: readonly number[] }[] = [];
  const resumed: { by: number; epoch: number }[] = [];
  let queue: { from: number; to: number; msg: CkptMsg }[] = [];
  let now = 0;
  const cut = new Set<number>();
  const absorb = (from: number, fx: CkptEffect[]) => {
    for (const e of fx) {
      if (e.kind === 'send') for (let to = 0; to < 3; to++) { if (to !== from && (e.to === undefined || e.to === to) && !cut.has(to) && !cut.has(from)) queue.push({ from, to, msg: e.msg }); }
      if (e.kind === 'release') released.push({ by: from, epoch: e.epoch, outputs: e.outputs });
      if (e.kind === 'resume') resumed.push({ by: from, epoch: e.epoch });
    }
  };
  const run = (rounds = 20) => {
    for (let r = 0; r < rounds; r++) {
      now += 1;
      // A board cut off neither gets nor sends anything, whenever the message was queued.
      const q = queue.filter((p) => !cut.has(p.to) && !cut.has(p.from));
      queue = [];
      for (let b = 0; b < 3; b++) absorb(b, cores[b]!.step(now, q.filter((p) => p.to === b).map((p) => p.msg), views[b]!));
    }
  };
  const complete = (b: number, bytes: number[], outputs: number[]) => absorb(b, cores[b]!.complete(cores[b]!.nextEpoch, Uint8Array.from(bytes), outputs, views[b]!));
  return { cores, views, released, resumed, run, complete, cut, drop: () => { queue = []; } };
}

test('the first primary finds no checkpoint anywhere and starts from init; an epoch is released once a backup acknowledges it', (t) => {
  const r = rig();
  r.run();
  t.deepEqual(r.resumed, [{ by: 0, epoch: -1 }], 'board 0 resumed from nothing');
  t.is(r.cores[0]!.role, 'primary');
  r.complete(0, [1, 2, 3], [7]);
  t.deepEqual(r.released, [], 'nothing released before an acknowledgement');
  r.run();
  t.deepEqual(r.released, [{ by: 0, epoch: 0, outputs: [7] }]);
  t.is(r.cores[1]!.heldEpoch, 0);
  t.is(r.cores[2]!.heldEpoch, 0);
});

test('a primary cut off from both backups computes epochs but releases none of them', (t) => {
  const r = rig();
  r.run();
  r.cut.add(0);
  for (let e = 0; e < 5; e++) { r.complete(0, [e], [e]); r.run(3); }
  t.deepEqual(r.released, []);
});

test('the primary dies after a backup acknowledged an epoch it never released: the new primary resumes from it and releases it', (t) => {
  const r = rig();
  r.run();
  r.complete(0, [10], [1]);
  r.run();
  t.is(r.released.length, 1);
  // Epoch 1 reaches board 2 only; its ack is lost with the primary.
  r.cut.add(1);
  r.complete(0, [11], [2]);
  r.run(1); // chunks delivered to 2
  r.cut.delete(1);
  r.cut.add(0); // the primary dies before the ack comes back
  r.run(3);
  t.deepEqual(r.released.map((x) => x.epoch), [0], 'epoch 1 is committed at board 2 but was never released');
  const after: MembershipView = { member: true, primary: 1, membersMask: 0b110 };
  r.views[1] = after;
  r.views[2] = after;
  r.run();
  t.deepEqual(r.resumed.at(-1), { by: 1, epoch: 1 }, 'board 1 pulled epoch 1 from board 2 and resumed from it');
  t.deepEqual(r.released.at(-1), { by: 1, epoch: 1, outputs: [2] }, 'and released its outputs: the committed output is not lost');
  t.is(r.cores[1]!.nextEpoch, 2);
});

test('an old primary that comes back from a partition can release nothing once a backup has promised the new term', (t) => {
  const r = rig();
  r.run();
  r.complete(0, [1], [1]);
  r.run();
  r.cut.add(0);
  const after: MembershipView = { member: true, primary: 1, membersMask: 0b110 };
  r.views[1] = after;
  r.views[2] = after;
  r.run();
  t.is(r.cores[1]!.role, 'primary');
  r.cut.delete(0); // healed; board 0 still believes it is primary (its view lags)
  const releasedBefore = r.released.filter((x) => x.by === 0).length;
  r.complete(0, [99], [99]);
  r.run();
  t.is(r.released.filter((x) => x.by === 0).length, releasedBefore, 'board 0 got no acknowledgement for its stale term');
  t.true(r.cores[1]!.term > 0 && r.cores[2]!.term === r.cores[1]!.term);
});

test('a new term is above every term seen and names its owner (term mod 4)', (t) => {
  const r = rig();
  r.run();
  const t0 = r.cores[0]!.term;
  r.views[1] = { member: true, primary: 1, membersMask: 0b111 };
  r.views[2] = r.views[1];
  r.views[0] = r.views[1];
  r.run();
  const t1 = r.cores[1]!.term;
  t.true(t1 > t0);
  t.is(t1 % 4, 1);
  t.is(r.cores[0]!.role, 'backup');
});

test('deltas: applying makeDelta(base, next) to base gives next, for any two states', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), (a, b) => {
    const d = makeDelta(a, b);
    const back = applyDelta(a, d, 4096);
    return back !== null && Buffer.from(back).equals(Buffer.from(b));
  }), { numRuns: 500, seed: 11 });
  const base = new Uint8Array(4096).fill(3);
  const next = base.slice();
  next[100] = 9;
  next[2000] = 9;
  t.true(makeDelta(base, next).length < 32, 'two changed bytes cost two span headers, not the state');
  t.is(applyDelta(base, Uint8Array.of(1, 2), 4096), null, 'a truncated delta is refused');
});

test('the seeded swarm: 400 seeds of crashes, hangs and partitions of the primary, message loss, duplication and reordering: no violation', (t) => {
  const s = runCheckpointSwarm(1, 400);
  for (const f of s.failed.slice(0, 5)) t.log(`seed ${f.seed}: ${f.first} (reproduce: runCheckpointSeed(planFor(${f.seed})))`);
  t.is(s.violations, 0);
  t.true(s.applied > 400 * 40, `epochs applied: ${s.applied}`);
});

test('a seeded run is a function of its seed', (t) => {
  const a = runCheckpointSeed(planFor(77));
  const b = runCheckpointSeed(planFor(77));
  t.deepEqual(a, b);
});
