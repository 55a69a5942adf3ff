import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimGpioChip } from '../../src/adapters/sim/gpio.ts';
import { FrameCodec } from '../../src/bus/frame.ts';
import { LinkSet, UdpTransport } from '../../src/bus/linkset.ts';
import { MemoryNetwork } from '../../src/bus/testing.ts';
import { EventLog } from '../../src/eventlog/eventlog.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { timerScheduler } from '../../src/ports/scheduler.ts';
import { BoardController } from '../../src/shell/board.ts';
import { decodeMsg, JOIN_IN_SERVICE } from '../../src/voter/codec.ts';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';
import { tankWorkload } from '../helpers/tank.ts';
import { devWatchdogStandIn } from '../watchdog/dev-stand-in.ts';

// BoardController runs its tick loop on real timers: these tests run a board for a few periods
// at 100 Hz (tens of ms) and wait only on the shutdown itself or on bounded conditions.

const wdtTimeoutMs = 15_000;

/** One board (b1) with the simulator's parts, a stand-in /dev/watchdog and a listening peer b2. */
function board(onSelect: (cycle: number, board: string | null) => void = () => {}) {
  // Real time, plus a jump the test can add (a stalled process, as the supervisor sees it).
  let jumpMs = 0;
  const clock: Clock = { nowMs: () => performance.now() + jumpMs };
  const dev = devWatchdogStandIn();
  const net = new MemoryNetwork();
  const codec = new FrameCodec({ mode: 'none-lab' });
  const linkOf = (selfId: number, peerId: number) => new LinkSet({
    selfId, epoch: 1, codec, clock,
    peers: [{ id: peerId, transports: [new UdpTransport({ peerId, link: net.link(`b${selfId}`), peerAddress: `b${peerId}`, name: `udp:b${peerId}` })] }],
  });
  const peer = linkOf(2, 1);
  const log = new EventLog({ dir: mkdtempSync(join(tmpdir(), 'ftc-shutdown-')), board: 'b1', boot: 1, clock });
  const gpio = new SimGpioChip({ clock, name: 'b1-gpio' });
  const controller = new BoardController({
    self: 'b1', boards: ['b1', 'b2', 'b3'], boot: 1, resetReason: 'power-on', rateHz: 100, t0Ms: clock.nowMs(),
    voter: {}, workload: tankWorkload, clock, scheduler: timerScheduler(clock), links: linkOf(1, 2),
    io: { sensors: () => [0.5, 0], present: () => {}, select: onSelect },
    log, gpio,
    psuRails: [{ name: 'psu-a', powerGoodPin: 5, activeLow: true }, { name: 'psu-b', powerGoodPin: 6, activeLow: true }],
    nic: null,
    watchdog: { hw: new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir }), timeoutMs: wdtTimeoutMs, feedPeriodMs: 1000 },
    console: null, peripherals: null, pullResetLine: () => {},
  });
  /** The voter messages b2 received from b1 so far. */
  const heardByPeer = () => {
    net.pump();
    return peer.drain().map((f) => decodeMsg(f.payload)).flatMap((d) => (d.ok ? [d.msg] : []));
  };
  const events = (kind: string) => log.readLast(200).events.filter((e) => e.kind === kind);
  return { controller, dev, heardByPeer, events, jump: (ms: number) => { jumpMs += ms; } };
}

async function until(what: string, predicate: () => boolean, boundMs = 2000): Promise<void> {
  const deadline = performance.now() + boundMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`not within ${boundMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test.serial('an orderly shutdown leaves for service (its Join reaches the peer), stops, and disarms /dev/watchdog with a final V', async (t) => {
  const b = board();
  await b.controller.start();
  const startedMs = performance.now();
  const stopping = b.controller.shutdown('SIGTERM');
  t.is(b.controller.shutdown('SIGINT'), stopping, 'a second call is the same shutdown');
  await stopping;
  t.true(performance.now() - startedMs < 1000, 'bounded: a few periods');
  t.is(b.controller.core.role, 'service');
  const joins = b.heardByPeer().filter((m) => m.t === 'join');
  t.true(joins.length >= 1 && joins.every((m) => m.t === 'join' && m.ready === JOIN_IN_SERVICE), 'the peer heard a Join marked in service');
  t.regex(b.dev.written(), /^\.*V$/, 'fed, then the magic V');
  t.is(b.events('service-leave').length, 1);
  const [done] = b.events('shutdown');
  t.like(done, { reason: 'SIGTERM', watchdog: 'disarmed', service: 'left the voting set' });
  const ticks = b.controller.timing.ticks;
  await new Promise((r) => setTimeout(r, 50));
  t.is(b.controller.timing.ticks, ticks, 'the tick loop has stopped');
});

test.serial('after supervision expired, a shutdown closes /dev/watchdog without the V: the board still resets', async (t) => {
  const b = board();
  await b.controller.start();
  await until('a first tick', () => b.controller.timing.ticks > 0);
  // The next tick comes more than half the watchdog timeout after the last: supervision expires.
  b.jump(wdtTimeoutMs);
  await until('the gate to stop the feed', () => b.events('watchdog-withheld').length > 0);
  const before = b.dev.written();
  await b.controller.shutdown('SIGTERM');
  t.false(b.dev.written().includes('V'), 'no magic V');
  t.is(b.dev.written(), before, 'nothing written after expiry');
  t.like(b.events('shutdown')[0], { watchdog: 'not disarmed: the board resets' });
});

test.serial('the button hold toggles service; the console shows it and refuses what does not apply', async (t) => {
  const b = board();
  await b.controller.start();
  const backend = b.controller.backend();
  t.like(await backend.service('return'), { ok: false, message: 'this board is not out for service' });
  t.true(b.controller.toggleService('button').ok);
  t.like(await backend.status(), { role: 'service', members: [] });
  t.like((await backend.members())[0], { board: 'b1', state: 'service', role: 'service' });
  t.like(await backend.service('leave'), { ok: false, message: 'already out for service' });
  t.true(b.controller.toggleService('button').ok, 'a second hold brings it back');
  t.is(b.controller.core.role, 'joining');
  t.deepEqual(b.events('service-leave').map((e) => e.cause), ['button']);
  t.deepEqual(b.events('service-return').map((e) => e.cause), ['button']);
  await b.controller.shutdown('test over');
});

test.serial('leaving the voting set opens this board\'s select relays at once, instead of leaving its last choice latched', async (t) => {
  const selects: Array<string | null> = [];
  const b = board((_cycle, sel) => selects.push(sel));
  await b.controller.start();
  // Alone with a silent peer set, b1 selects nobody; pretend its relays were closed for b1.
  selects.length = 0;
  t.true(b.controller.toggleService('button').ok);
  await until('a tick after leaving', () => selects.length > 0);
  t.is(selects[0], null, 'the first select after leaving is "none"');
  await b.controller.shutdown('test over');
});
