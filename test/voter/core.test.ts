import test from 'ava';
import { BoardCore, type Effect, type Inbound } from '../../src/voter/core.ts';
import { makeVoterConfig, VoterConfigError } from '../../src/voter/config.ts';
import { tankWorkload } from '../../src/workload/tank.ts';

const sensors = { sensors: () => [0.5, 0] };

test('a bad config names the field, the value and the fix', (t) => {
  const e = t.throws(() => makeVoterConfig({ self: 0, msgDelayMaxMs: 4 }), { instanceOf: VoterConfigError });
  t.regex(e.message, /msgDelayMaxMs = 4; .*shortest phase/);
  t.throws(() => makeVoterConfig({ self: 3 }), { message: /self = 3; use 0\.\.2/ });
  t.throws(() => makeVoterConfig({ self: 0, leaseCycles: 2 }), { message: /leaseCycles = 2; .*steps down/ });
  t.throws(() => makeVoterConfig({ self: 0, rankOrder: [0, 0, 1] }), { message: /rankOrder/ });
  t.throws(() => makeVoterConfig({ self: 0, reformQuietCycles: 5 }), { message: /reformQuietCycles = 5; .*live rig/ });
  t.throws(() => makeVoterConfig({ self: 0, lateToleranceCycles: 1.5 }), { message: /lateToleranceCycles = 1\.5/ });
});

test('a lone member sends its input at the cycle start, then a vote, and without a majority selects nobody', (t) => {
  const core = new BoardCore(makeVoterConfig({ self: 0 }), tankWorkload);
  const fx: Effect[] = [];
  for (const now of [0, 3, 6, 8.5]) fx.push(...core.step(now, [], sensors));
  const sent = fx.filter((e) => e.kind === 'send').map((e) => (e.kind === 'send' ? e.msg.t : ''));
  t.deepEqual(sent, ['input', 'vote', 'proposal']);
  t.true(fx.some((e) => e.kind === 'output' && e.cycle === 0));
  t.true(fx.some((e) => e.kind === 'alarm' && e.code === 'noMajority'));
  t.false(fx.some((e) => e.kind === 'select' && e.board !== null));
});

function backToBack(untilMs: number, degradedFromMs = Infinity) {
  const cores = [0, 1, 2].map((self) => new BoardCore(makeVoterConfig({ self }), tankWorkload));
  const boxes: Inbound[][] = [[], [], []];
  const selects: (number | null)[][] = [];
  for (let now = 0; now < untilMs; now += 0.5) {
    cores.forEach((c, i) => {
      const health = i === 0 && now >= degradedFromMs ? 'degraded' as const : 'ok' as const;
      const fx = c.step(now, boxes[i]!, { ...sensors, health });
      boxes[i] = [];
      for (const e of fx) {
        if (e.kind === 'send') for (let j = 0; j < 3; j++) if (j !== i) boxes[j]!.push({ msg: e.msg, rxMs: now });
        if (e.kind === 'select') (selects[e.cycle] ??= [])[i] = e.board;
      }
    });
  }
  return { cores, selects };
}

test('three cores wired back to back drive every cycle from board 0 and agree on the digest', (t) => {
  const { cores, selects } = backToBack(200);
  t.true(selects.length >= 19);
  for (const s of selects) t.deepEqual(s, [0, 0, 0]);
  const snap = cores[1]!.snapshot();
  t.is(snap.mode, 'triplex');
  t.is(snap.active, 0);
  t.deepEqual(snap.members, [0, 1, 2]);
  const last = snap.recentVotes[snap.recentVotes.length - 1]!;
  t.is(new Set(Object.values(last.digests)).size, 1);
  t.is(last.majority, last.digests[0] ?? -1);
});

test('flipStateBit changes the state; a joining board has none to flip; handover needs a member target', (t) => {
  const core = new BoardCore(makeVoterConfig({ self: 0 }), tankWorkload);
  const before = tankWorkload.encode(core.state!);
  t.true(core.flipStateBit(126));
  t.notDeepEqual(tankWorkload.encode(core.state!), before);
  t.false(core.requestHandover(0), 'already active');
  t.true(core.requestHandover());
  const joiner = new BoardCore(makeVoterConfig({ self: 1, startAs: 'joining' }), tankWorkload);
  t.false(joiner.flipStateBit(1));
  t.false(joiner.requestHandover(2));
  t.is(joiner.snapshot().role, 'joining');
});

test('an active board whose own health turns degraded hands over to the next board without a lost cycle', (t) => {
  const { cores, selects } = backToBack(300, 100);
  t.deepEqual(selects[5], [0, 0, 0]);
  const first = selects.findIndex((s) => s?.[0] === 1);
  t.true(first >= 10 && first <= 13, `board 1 selected from cycle ${first}`);
  for (let k = 0; k < selects.length; k++) t.deepEqual(selects[k], k < first ? [0, 0, 0] : [1, 1, 1], `cycle ${k}`);
  t.is(cores[2]!.snapshot().active, 1);
});

test('all three cores woken a period late together skip that cycle without a stale vote and stay members', (t) => {
  const cores = [0, 1, 2].map((self) => new BoardCore(makeVoterConfig({ self }), tankWorkload));
  const boxes: Inbound[][] = [[], [], []];
  const selects: (number | null)[][] = [];
  const fx: Effect[] = [];
  for (let now = 0; now < 200; now += 0.5) {
    if (now > 52 && now < 66) continue; // the OS holds every process from 52 ms to 66 ms
    cores.forEach((c, i) => {
      const out = c.step(now, boxes[i]!, sensors);
      boxes[i] = [];
      for (const e of out) {
        fx.push(e);
        if (e.kind === 'send') for (let j = 0; j < 3; j++) if (j !== i) boxes[j]!.push({ msg: e.msg, rxMs: now });
        if (e.kind === 'select') (selects[e.cycle] ??= [])[i] = e.board;
      }
    });
  }
  t.false(fx.some((e) => e.kind === 'send' && e.msg.t === 'vote' && e.msg.cycle === 5), 'nobody sent a stale vote for cycle 5');
  t.is(selects[5], undefined, 'cycle 5 is lost: nobody computed it');
  t.true(fx.some((e) => e.kind === 'event' && e.code === 'late'));
  t.false(fx.some((e) => e.kind === 'event' && e.code === 'demoted'));
  for (let k = 7; k < 19; k++) t.deepEqual(selects[k], [0, 0, 0], `cycle ${k}`);
  t.true(cores.every((c) => c.snapshot().members.length === 3 && c.role === 'member'));
});
