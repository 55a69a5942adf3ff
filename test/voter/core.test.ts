import test from 'ava';
import { BoardCore, type Effect, type Inbound } from '../../src/voter/core.ts';
import type { Msg } from '../../src/voter/codec.ts';
import { makeVoterConfig, VoterConfigError } from '../../src/voter/config.ts';
import { digestHex } from '../../src/voter/hash.ts';
import { tankWorkload } from '../helpers/tank.ts';

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

interface Sent { board: number; atMs: number; e: Effect }
interface WireOptions {
  /** Board i's own health at time now. */
  health?: (board: number, nowMs: number) => 'ok' | 'degraded';
  /** Every core is held (not stepped) while this is true: the OS delaying all three at once. */
  held?: (nowMs: number) => boolean;
  /** Called before the cores are stepped at nowMs (operator actions). */
  before?: (nowMs: number, cores: BoardCore<unknown>[]) => void;
  /** Lose this message on its way from board `from` to board `to`. */
  drop?: (from: number, to: number, msg: Msg) => boolean;
  /** Board i's core, if not the default member running the tank. */
  core?: (self: number) => BoardCore<unknown> | undefined;
}

/** Three cores wired back to back (a message arrives at the next step, 0.5 ms later), every effect kept. */
function wire(untilMs: number, o: WireOptions = {}) {
  const cores = [0, 1, 2].map((self) => o.core?.(self) ?? new BoardCore(makeVoterConfig({ self }), tankWorkload));
  const boxes: Inbound[][] = [[], [], []];
  const selects: (number | null)[][] = [];
  const fx: Sent[] = [];
  for (let now = 0; now < untilMs; now += 0.5) {
    if (o.held?.(now)) continue;
    o.before?.(now, cores as BoardCore<unknown>[]);
    cores.forEach((c, i) => {
      const out = c.step(now, boxes[i]!, { ...sensors, health: o.health?.(i, now) ?? 'ok' });
      boxes[i] = [];
      for (const e of out) {
        fx.push({ board: i, atMs: now, e });
        if (e.kind === 'select') (selects[e.cycle] ??= [])[i] = e.board;
        if (e.kind !== 'send') continue;
        for (let j = 0; j < 3; j++) if (j !== i && (e.to === undefined || e.to === j) && !o.drop?.(i, j, e.msg)) boxes[j]!.push({ msg: e.msg, rxMs: now });
      }
    });
  }
  return { cores, selects, fx };
}

function backToBack(untilMs: number, degradedFromMs = Infinity) {
  return wire(untilMs, { health: (i, now) => (i === 0 && now >= degradedFromMs ? 'degraded' : 'ok') });
}

/**
 * The 2-out-of-3 output stage: the board that at least two boards select drives cycle k with the
 * outputs it presented, and at least one other board presented the same outputs. Null: lost.
 */
function driverOf(fx: readonly Sent[], k: number): number | null {
  const count = [0, 0, 0];
  const outputs = new Map<number, string>();
  for (const { board, e } of fx) {
    if (e.kind === 'select' && e.cycle === k && e.board !== null) count[e.board]!++;
    if (e.kind === 'output' && e.cycle === k) outputs.set(board, JSON.stringify(e.outputs));
  }
  const driver = count.findIndex((n) => n >= 2);
  const out = outputs.get(driver);
  if (driver < 0 || out === undefined) return null;
  return [...outputs.values()].filter((x) => x === out).length >= 2 ? driver : null;
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
  // Digests are { hi, lo } objects, one per board: compare their values, not the objects.
  t.is(new Set(Object.values(last.digests).map(digestHex)).size, 1);
  t.not(last.digests[0], undefined);
  t.deepEqual(last.majority, last.digests[0]);
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
  // The OS holds every process from 52 ms to 66 ms.
  const { cores, selects, fx: sent } = wire(200, { held: (now) => now > 52 && now < 66 });
  const fx = sent.map((s) => s.e);
  t.false(fx.some((e) => e.kind === 'send' && e.msg.t === 'vote' && e.msg.cycle === 5), 'nobody sent a stale vote for cycle 5');
  t.is(selects[5], undefined, 'cycle 5 is lost: nobody computed it');
  t.true(fx.some((e) => e.kind === 'event' && e.code === 'late'));
  t.false(fx.some((e) => e.kind === 'event' && e.code === 'demoted'));
  for (let k = 7; k < 19; k++) t.deepEqual(selects[k], [0, 0, 0], `cycle ${k}`);
  t.true(cores.every((c) => c.snapshot().members.length === 3 && c.role === 'member'));
});

test('a board held for service is voted out without a fence or a snapshot, and voted back in after it returns', (t) => {
  const P = 10;
  const leaveAtMs = 103; // cycle 10, after b2 sent its input
  const returnAtMs = 700; // in service for ~60 cycles: longer than reformQuietCycles, so it would have re-formed or rejoined by now if it were going to
  const untilMs = 1100;
  const roles: string[] = [];
  let leaveOk: boolean | undefined;
  let returnOk: boolean | undefined;
  const { cores, fx } = wire(untilMs, {
    before: (now, cs) => {
      if (now === leaveAtMs) {
        leaveOk = cs[2]!.leaveForService();
        t.false(cs[2]!.leaveForService(), 'already in service');
        t.false(cs[2]!.flipStateBit(3), 'no state while in service');
      }
      if (now === returnAtMs) returnOk = cs[2]!.returnFromService();
      if (now > leaveAtMs && now < returnAtMs) roles.push(cs[2]!.role);
    },
  });
  t.true(leaveOk);
  t.true(returnOk);
  t.true(roles.length > 0 && roles.every((r) => r === 'service'), 'b2 stays in service: it never rejoins by itself');
  const lastCycle = Math.floor(untilMs / P) - 2;
  for (let k = 0; k <= lastCycle; k++) t.not(driverOf(fx, k), null, `cycle ${k} has a driver with a majority behind it`);
  t.false(fx.some(({ e }) => e.kind === 'fence'), 'nobody is fenced');
  const out = fx.filter(({ e }) => e.kind === 'event' && e.code === 'votedOut' && e.board === 2);
  t.deepEqual([...new Set(out.map((x) => x.board))].sort(), [0, 1], 'both peers vote b2 out');
  t.true(out.every((x) => x.atMs < leaveAtMs + 3 * P), `voted out within 3 cycles (at ${out.map((x) => x.atMs).join(', ')} ms)`);
  const inService = (x: Sent) => x.atMs > leaveAtMs && x.atMs < returnAtMs;
  t.false(fx.some((x) => inService(x) && x.e.kind === 'send' && x.e.msg.t === 'chunk'), 'no snapshot chunk while b2 is in service');
  t.false(fx.some((x) => inService(x) && x.e.kind === 'event' && x.e.code === 'snapshotSent'), 'no snapshot while b2 is in service');
  const b2Sent = fx.filter((x) => inService(x) && x.board === 2 && x.e.kind === 'send').map((x) => (x.e.kind === 'send' ? x.e.msg : null));
  t.true(b2Sent.length >= (returnAtMs - leaveAtMs) / P / 10, `b2 keeps announcing itself (${b2Sent.length} messages)`);
  t.true(b2Sent.every((m) => m?.t === 'join' && m.ready === 2), 'b2 sends only Joins marked in-service');
  t.true(fx.some(({ board, e }) => board === 2 && e.kind === 'event' && e.code === 'demoted' && e.detail === 'leftForService'));
  // Back: a snapshot, an observer, voted in after cleanCyclesToRejoin clean cycles.
  const after = (x: Sent) => x.atMs >= returnAtMs;
  t.true(fx.some((x) => after(x) && x.e.kind === 'event' && x.e.code === 'snapshotSent' && x.e.board === 2), 'a snapshot goes to b2 after it returns');
  const backIn = fx.find((x) => after(x) && x.board === 0 && x.e.kind === 'event' && x.e.code === 'votedIn' && x.e.board === 2);
  t.truthy(backIn, 'b2 is voted back in');
  const cyclesToRejoin = Math.ceil((backIn!.atMs - returnAtMs) / P);
  t.true(cyclesToRejoin <= makeVoterConfig({ self: 0 }).cleanCyclesToRejoin + 6, `back in ${cyclesToRejoin} cycles after it returned`);
  t.true(cores.every((c) => c.role === 'member' && c.snapshot().members.length === 3));
  t.is(cores[0]!.snapshot().active, 0, 'b0 drove throughout and still does');
});

test('the active board leaving for service at a cycle start: the next board drives that very cycle', (t) => {
  const P = 10;
  const k = 10;
  const { cores, selects, fx } = wire(400, { before: (now, cs) => { if (now === k * P) t.true(cs[0]!.leaveForService()); } });
  t.deepEqual(selects[k - 1], [0, 0, 0]);
  t.deepEqual(selects[k], [undefined, 1, 1], `cycle ${k}: b1 drives`);
  t.is(driverOf(fx, k), 1);
  for (let c = 0; c < 38; c++) t.not(driverOf(fx, c), null, `cycle ${c}`);
  t.false(fx.some(({ e }) => e.kind === 'fence'));
  t.is(cores[0]!.snapshot().role, 'service');
  t.deepEqual(cores[1]!.snapshot().members, [1, 2]);
  t.is(cores[2]!.snapshot().active, 1);
  t.false(cores[1]!.leaveForService(), 'one of two members may not leave: the other could not drive alone');
  t.false(cores[1]!.returnFromService(), 'not in service');
});

test('a peer that misses the first in-service Join hears the next one before it would fence', (t) => {
  let joinsToB0 = 0;
  const { cores, fx } = wire(400, {
    before: (now, cs) => { if (now === 103) cs[2]!.leaveForService(); },
    // b0 ranks first among the boards left: it is the one that would pull b2's reset line.
    drop: (from, to, m) => from === 2 && to === 0 && m.t === 'join' && joinsToB0++ === 0,
  });
  t.true(joinsToB0 >= 2, 'the first Join to b0 was lost, a later one went through');
  t.false(fx.some(({ e }) => e.kind === 'fence'), 'nobody is fenced');
  t.deepEqual(cores[0]!.snapshot().members, [0, 1]);
});

test('a board running another workload (another id) is never let in: the members say so, send it no snapshot, and drive on', (t) => {
  const P = makeVoterConfig({ self: 0 }).periodMs;
  const other = { ...tankWorkload, id: ((tankWorkload.id ?? 0) ^ 0x5a5a5a5a) >>> 0 || 1 };
  const { cores, fx } = wire(300 * P, { core: (self) => (self === 2 ? new BoardCore(makeVoterConfig({ self, startAs: 'joining' }), other) : undefined) });
  t.not(tankWorkload.id, undefined, 'the loader gave the tank an id');
  const said = fx.filter(({ e }) => e.kind === 'event' && e.code === 'workloadMismatch' && e.board === 2);
  t.deepEqual([...new Set(said.map((x) => x.board))].sort(), [0, 1], 'both members name b3 as running another workload');
  t.true(said.length <= 4, `said once in a while, not every cycle (${said.length} times)`);
  t.false(fx.some(({ e }) => e.kind === 'event' && e.code === 'snapshotSent' && e.board === 2), 'no snapshot for it');
  t.not(cores[2]!.role, 'member');
  t.deepEqual(cores[0]!.snapshot().members, [0, 1]);
  const lastCycle = Math.floor((300 * P) / P) - 2;
  for (let k = 20; k <= lastCycle; k++) t.not(driverOf(fx, k), null, `cycle ${k} has a driver`);
});
