/**
 * One board of `ftc sim`, as a real OS process (ring 3: the shell). It wires the same pieces a
 * board on the bench uses — the voter core, the frame layer over real ptys (serialport's native
 * binding) and UDP, the supervision gate and a watchdog, PSU/NIC monitors, the event log and the
 * serial console — to simulated GPIO, a simulated watchdog that really resets the process, and the
 * plant process (sensors in, outputs and select lines out).
 *
 * The tick loop reads the clock once per tick, steps the LinkSet and the core with that time,
 * carries out the core's effects, then runs the watchdog service. It sleeps until the core's next
 * phase deadline (at most `tickMaxMs`), so a stalled event loop shows up as missed deadlines and
 * a starved watchdog, exactly as on a board.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { openSerialLink } from '../adapters/real/serial.ts';
import { openDatagramLink } from '../adapters/real/udp.ts';
import { SimGpioChip } from '../adapters/sim/gpio.ts';
import { createHmacSha256 } from '../bus/auth-node.ts';
import { FrameCodec } from '../bus/frame.ts';
import { LinkSet, SerialTransport, UdpTransport, type Transport } from '../bus/linkset.ts';
import type { ConsoleBackend, FaultInfo, LinkInfo, MemberInfo, VoteInfo } from '../console/backend.ts';
import { verifyPassword as verifyConsolePassword } from '../console/password.ts';
import { serveConsole } from '../console/server.ts';
import { EventLog } from '../eventlog/eventlog.ts';
import type { DatagramLink, SerialLink } from '../ports/serial.ts';
import type { Clock } from '../ports/clock.ts';
import { decodeMsg, encodeMsg, msgTypeOf } from '../voter/codec.ts';
import { makeVoterConfig } from '../voter/config.ts';
import { BoardCore, type Effect, type Inbound } from '../voter/core.ts';
import { Supervisor as TaskSupervisor } from '../watchdog/core-supervisor.ts';
import { EventLoopMonitor, eventLoopDelayMeasurement, heapSample, heapUsedMeasurement } from '../watchdog/event-loop-monitor.ts';
import { NicMonitor } from '../watchdog/nic-monitor.ts';
import { PsuMonitor } from '../watchdog/psu-monitor.ts';
import { SimWatchdog, formatResetReason } from '../watchdog/sim-watchdog.ts';
import { WatchdogService } from '../watchdog/watchdog-service.ts';
import { tankWorkload } from '../workload/tank.ts';
import { attachToSupervisor, childEnv, emitEvent, watchdogReset } from './child.ts';
import { simVoterTiming } from './sim-timing.ts';
import { SIM_BOARDS, boardIndex, boardName, monoMs, simPorts, type BoardControl, type PlantMsg, type SimChildConfig } from './sim-protocol.ts';

/** Longest sleep between ticks: pings, link up/down and the watchdog feed need a regular step. */
const tickMaxMs = 20;
/** Sensor readings kept (by cycle): a few cycles ahead and behind. */
const readingsKeptMax = 16;
/** Status lines to the supervisor (dashboard), per second. */
const statusPeriodMs = 200;
/** Simulated power-good inputs (sim GPIO pin numbers), active low like open-drain PG outputs. */
const pgoodPins = { a: 5, b: 6 } as const;

const monoClock: Clock = { nowMs: monoMs };

/** A DatagramLink that drops traffic to and from blocked peers: `cut:b1-b2/udp` and partitions. */
class BlockableDatagramLink implements DatagramLink {
  blocked = new Set<string>();
  constructor(readonly inner: DatagramLink) {}
  get localAddress() { return this.inner.localAddress; }
  get datagramBytesMax() { return this.inner.datagramBytesMax; }
  get stats() { return this.inner.stats; }
  send(data: Uint8Array, to: string): boolean {
    if (this.blocked.has(to)) return true; // the wire eats it: the sender cannot tell
    return this.inner.send(data, to);
  }
  onMessage(listener: (data: Uint8Array, from: string) => void): void {
    this.inner.onMessage((d, from) => {
      if (!this.blocked.has(from)) listener(d, from);
    });
  }
  close() { return this.inner.close(); }
}

function bondingText(slaves: Record<string, boolean>): string {
  const names = Object.keys(slaves);
  const active = names.find((n) => slaves[n]) ?? 'None';
  const anyUp = names.some((n) => slaves[n]);
  return [
    'Ethernet Channel Bonding Driver: v6.1.0-sim',
    '',
    'Bonding Mode: fault-tolerance (active-backup)',
    `Primary Slave: ${names[0]} (primary_reselect always)`,
    `Currently Active Slave: ${active}`,
    `MII Status: ${anyUp ? 'up' : 'down'}`,
    'MII Polling Interval (ms): 100',
    'Up Delay (ms): 0',
    'Down Delay (ms): 0',
    'Peer Notification Delay (ms): 0',
    '',
    ...names.flatMap((n, i) => [
      `Slave Interface: ${n}`,
      `MII Status: ${slaves[n] ? 'up' : 'down'}`,
      `Speed: ${slaves[n] ? '1000 Mbps' : 'Unknown'}`,
      `Duplex: ${slaves[n] ? 'full' : 'Unknown'}`,
      `Link Failure Count: ${slaves[n] ? 0 : 1}`,
      `Permanent HW addr: dc:a6:32:00:00:0${i}`,
      'Slave queue ID: 0',
      '',
    ]),
  ].join('\n');
}

/**
 * A controller wants the CPU when its deadline comes, not after a test suite's time slice: on a
 * board the unit runs with CPUSchedulingPolicy/Nice; here raise our priority when allowed (root).
 */
function raisePriority(): string {
  try {
    setPriority(-10);
    return 'nice -10';
  } catch {
    return 'nice 0 (not permitted: run as root or grant CAP_SYS_NICE for steadier deadlines)';
  }
}

export async function boardMain(cfg: SimChildConfig): Promise<void> {
  const priority = raisePriority();
  const env = childEnv();
  const self = env.name ?? 'b1';
  const selfIdx = boardIndex(self);
  const ports = simPorts(cfg.basePort);
  const startMs = monoMs();
  const faults: FaultInfo[] = [];
  const faultsMax = 64;
  const noteFault = (f: FaultInfo) => {
    faults.push(f);
    if (faults.length > faultsMax) faults.shift();
  };

  // ---- event log: every event also goes to the supervisor (ftc sim --json reads the same events)
  const log = new EventLog({ dir: cfg.logDir, board: self, boot: env.boot, clock: monoClock });
  log.onAppend((e) => emitEvent(e as unknown as Record<string, unknown>));
  log.append('boot', { reason: env.resetReason, pid: process.pid, priority });

  // ---- control from the supervisor (faults inside the process); the first is the rig's t0
  const pendingControl: BoardControl[] = [];
  let resolveStart: (t0Ms: number) => void = () => {};
  const started = new Promise<number>((res) => (resolveStart = res));
  attachToSupervisor((m) => {
    const c = m as unknown as BoardControl;
    if (c.t === 'start') resolveStart(c.t0Ms);
    else pendingControl.push(c);
  });

  // ---- links: a pty to each peer (serialport's real binding) + one UDP socket, redundantly
  const key = Buffer.from(cfg.keyHex, 'hex');
  const codec = new FrameCodec({ mode: 'hmac', key, mac: createHmacSha256() });
  const udp = new BlockableDatagramLink(await openDatagramLink({ host: '127.0.0.1', port: ports.bus(selfIdx) }));
  const serialLinks: SerialLink[] = [];
  const peers = [];
  for (const peer of SIM_BOARDS) {
    if (peer === self) continue;
    const pi = boardIndex(peer);
    const transports: Transport[] = [];
    const path = cfg.serial[self]?.[peer];
    if (path) {
      try {
        const link = await openSerialLink({ path });
        serialLinks.push(link);
        transports.push(new SerialTransport({ peerId: pi + 1, link, name: `serial:${peer}` }));
      } catch (e) {
        log.append('link-error', { peer, medium: 'serial', error: (e as Error).message });
      }
    }
    transports.push(new UdpTransport({ peerId: pi + 1, link: udp, peerAddress: `127.0.0.1:${ports.bus(pi)}`, name: `udp:${peer}` }));
    peers.push({ id: pi + 1, transports });
  }
  const links = new LinkSet({ selfId: selfIdx + 1, epoch: env.boot, codec, peers, clock: monoClock, downAfterMs: 300, pingIntervalMs: 100 });
  links.onLinkChange((peerId, transport, up) => log.append(up ? 'link-up' : 'link-down', { peer: boardName(peerId - 1), transport }));

  // ---- the voter core, once the supervisor has said when cycle 0 starts
  emitEvent({ kind: 'ready', board: self });
  const t0Ms = await started;
  const periodMs = 1000 / cfg.rateHz;
  const core = new BoardCore(
    makeVoterConfig({
      self: selfIdx,
      ...simVoterTiming(periodMs),
      epochStartMs: t0Ms,
      startAs: env.boot > 1 ? 'joining' : 'member',
    }),
    tankWorkload,
  );

  // ---- the plant: sensor readings in, outputs and select lines out
  const plantIo = await openDatagramLink({ host: '127.0.0.1', port: ports.boardPlant(selfIdx) });
  const plantAddr = `127.0.0.1:${ports.plant}`;
  const readings = new Map<number, readonly number[]>();
  let lastReading: readonly number[] = [0, 0];
  plantIo.onMessage((data) => {
    try {
      const m = JSON.parse(Buffer.from(data).toString('utf8')) as PlantMsg;
      if (m.t !== 'sens') return;
      readings.set(m.cycle, m.values);
      if (readings.size > readingsKeptMax) readings.delete(Math.min(...readings.keys()));
    } catch {
      /* not a plant datagram */
    }
  });
  const toPlant = (m: PlantMsg) => plantIo.send(Buffer.from(JSON.stringify(m)), plantAddr);
  let stuckSensor = false;
  const local = {
    sensors: (cycle: number): readonly number[] => {
      const r = readings.get(cycle);
      if (r && !stuckSensor) lastReading = r;
      return lastReading;
    },
    health: 'ok' as 'ok' | 'degraded',
  };

  // ---- board health: PSU power-good lines on simulated GPIO, the bond from a simulated /proc
  const gpio = new SimGpioChip({ clock: monoClock, name: `${self}-gpio` });
  gpio.drive(pgoodPins.a, 0); // active low: 0 = power good
  gpio.drive(pgoodPins.b, 0);
  const psu = new PsuMonitor(gpio, { rails: [{ name: 'a', powerGoodPin: pgoodPins.a, activeLow: true }, { name: 'b', powerGoodPin: pgoodPins.b, activeLow: true }], debounceMs: 20, readingStaleMs: 2000 }, monoClock);
  const nicRoot = join(cfg.runDir, self, 'nic');
  const slaves: Record<string, boolean> = { eth0: true, eth1: true };
  const writeBond = () => {
    mkdirSync(join(nicRoot, 'proc/net/bonding'), { recursive: true });
    writeFileSync(join(nicRoot, 'proc/net/bonding/bond0'), bondingText(slaves));
  };
  writeBond();
  const nic = new NicMonitor({ bond: 'bond0', root: nicRoot, source: 'proc' }, monoClock);
  const healthCauses = new Map<string, string>();
  const onHealth = (what: string) => (c: { to: string; cause: string; handOver: boolean }) => {
    log.append('health', { what, state: c.to, cause: c.cause });
    if (c.handOver) healthCauses.set(what, c.cause);
    else healthCauses.delete(what);
    local.health = healthCauses.size > 0 ? 'degraded' : 'ok';
  };
  psu.onChange(onHealth('psu'));
  nic.onChange(onHealth('nic'));

  // ---- watchdog: supervision of the tick loop gates the (simulated) hardware feed
  const loopMonitor = new EventLoopMonitor(10);
  loopMonitor.start();
  const supervisor = new TaskSupervisor(
    {
      entities: [{ name: 'tick', checkpoints: ['tick'], deadline: [{ start: 'tick', end: 'tick', minMs: 0, maxMs: cfg.watchdogTimeoutMs / 2, failuresTolerance: 0 }] }],
      measurements: [
        { name: eventLoopDelayMeasurement, limit: cfg.watchdogTimeoutMs / 2, exceededTolerance: 0, staleMs: 5000 },
        // Heap budget: a leak is a slow death; reset while the others still carry the cycle.
        { name: heapUsedMeasurement, limit: 512, exceededTolerance: 2, staleMs: 5000 },
      ],
    },
    monoMs(),
  );
  const hw = new SimWatchdog({
    clock: monoClock,
    timeoutMs: cfg.watchdogTimeoutMs,
    onReset: (r) => {
      log.append('watchdog-reset', { reason: formatResetReason(r) });
      watchdogReset(formatResetReason(r));
    },
  });
  const wdt = await WatchdogService.start({
    hw,
    supervisor,
    gate: { timeoutMs: cfg.watchdogTimeoutMs, feedPeriodMs: Math.max(tickMaxMs * 2, cfg.watchdogTimeoutMs / 5) },
    clock: monoClock,
    eventLoop: () => loopMonitor.sample(),
    heap: heapSample,
    onStopped: (reason) => log.append('watchdog-withheld', { reason }),
  });
  let lastFeedMs = monoMs();

  // ---- effects of the core
  let lastActive: number | null = null;
  let handoverPending = false;
  const votes: VoteInfo[] = [];
  const votesMax = 64;
  const applyEffects = (fx: Effect[]) => {
    for (const e of fx) {
      switch (e.kind) {
        case 'send': {
          const payload = encodeMsg(e.msg);
          links.send(msgTypeOf(e.msg), payload, e.to === undefined ? undefined : e.to + 1);
          break;
        }
        case 'output':
          toPlant({ t: 'out', b: self, cycle: e.cycle, outputs: [...e.outputs], safe: e.safe });
          break;
        case 'select':
          toPlant({ t: 'sel', b: self, cycle: e.cycle, sel: e.board === null ? null : boardName(e.board) });
          break;
        case 'fence':
          // The reset line: in the simulator the supervisor pulls it (restarts that process).
          log.append('fence', { target: boardName(e.board), cycle: e.cycle });
          break;
        case 'alarm':
          log.append('alarm', { code: e.code, cycle: e.cycle, board: e.board === undefined ? undefined : boardName(e.board), detail: e.detail });
          break;
        case 'event':
          log.append(e.code, { cycle: e.cycle, board: e.board === undefined ? undefined : boardName(e.board), detail: e.detail });
          if (e.code === 'handover') handoverPending = true;
          break;
      }
    }
  };

  const control = (c: BoardControl, nowMs: number) => {
    const at = nowMs - startMs;
    switch (c.t) {
      case 'stall': {
        log.append('fault', { what: `stall ${c.ms} ms` });
        noteFault({ atMs: at, source: 'injected', what: `stall ${c.ms}ms`, state: 'cleared' });
        const until = monoMs() + c.ms;
        while (monoMs() < until) { /* the event loop is busy: nothing else runs */ }
        break;
      }
      case 'flip':
        log.append('fault', { what: `flip state bit ${c.bit}`, applied: core.flipStateBit(c.bit) });
        noteFault({ atMs: at, source: 'injected', what: `flip bit ${c.bit}`, state: 'cleared' });
        break;
      case 'udp-block':
        udp.blocked = new Set(c.peers.map((p) => `127.0.0.1:${ports.bus(boardIndex(p))}`));
        log.append('fault', { what: c.peers.length ? `udp to ${c.peers.join(',')} cut` : 'udp restored' });
        break;
      case 'psu':
        gpio.drive(pgoodPins[c.rail], c.ok ? 0 : 1);
        noteFault({ atMs: at, source: 'injected', what: `psu ${c.rail} ${c.ok ? 'restored' : 'lost'}`, state: c.ok ? 'cleared' : 'active' });
        break;
      case 'nic':
        slaves[c.slave] = c.up;
        writeBond();
        noteFault({ atMs: at, source: 'injected', what: `nic ${c.slave} ${c.up ? 'up' : 'down'}`, state: c.up ? 'cleared' : 'active' });
        break;
      case 'handover':
        core.requestHandover(c.to === undefined ? undefined : boardIndex(c.to));
        break;
    }
  };

  // ---- console on its pty
  const backend = makeBackend();
  const consolePath = cfg.console[self];
  if (consolePath) {
    try {
      const link = await openSerialLink({ path: consolePath });
      serveConsole({ link, clock: monoClock, backend, board: self, boards: [...SIM_BOARDS], passwordHash: null, verifyPassword: verifyConsolePassword, injectEnabled: true });
    } catch (e) {
      log.append('console-error', { error: (e as Error).message });
    }
  }

  // ---- the tick loop
  let lastStatusMs = 0;
  let lastNicPollMs = 0;
  const tick = () => {
    let now = monoMs();
    // The simulated hardware counts first: a stall shows up here as a missed feed.
    hw.poll(now);
    while (pendingControl.length) {
      control(pendingControl.shift()!, now);
      now = monoMs();
      hw.poll(now);
    }
    links.step(now);
    const inbox: Inbound[] = [];
    for (const f of links.drain()) {
      const d = decodeMsg(f.payload);
      if (d.ok) inbox.push({ msg: d.msg, rxMs: f.atMs });
    }
    const fx = core.step(now, inbox, local);
    applyEffects(fx);
    supervisor.checkpoint('tick', 'tick', now);
    if (wdt.tick(now)) lastFeedMs = now;
    if (now - lastNicPollMs >= 500) {
      lastNicPollMs = now;
      nic.poll();
      psu.poll?.();
    }
    const snap = core.snapshot();
    if (snap.active !== lastActive) {
      if (lastActive !== null && snap.active !== null && snap.role === 'member') {
        log.append(handoverPending ? 'handover-done' : 'failover', { from: boardName(lastActive), to: boardName(snap.active), cycle: snap.cycle, epoch: `${snap.cycle}:${snap.active}` });
      }
      handoverPending = false;
      lastActive = snap.active;
    }
    for (const v of snap.recentVotes) {
      if (votes.length && votes[votes.length - 1]!.cycle >= v.cycle) continue;
      votes.push(voteInfo(v));
      if (votes.length > votesMax) votes.shift();
    }
    if (now - lastStatusMs >= statusPeriodMs) {
      lastStatusMs = now;
      emitEvent({ kind: 'status', board: self, boot: env.boot, role: snap.role, mode: snap.mode, cycle: snap.cycle, active: snap.active === null ? null : boardName(snap.active), members: snap.members.map(boardName), health: local.health, psu: psu.state, nic: nic.state, links: linkInfos(), lastVote: votes[votes.length - 1] ?? null });
    }
    const wake = Math.min(core.nextWakeMs(), now + tickMaxMs);
    setTimeout(tick, Math.max(0, wake - monoMs()));
  };

  function voteInfo(v: { cycle: number; digests: Record<number, number>; majority: number | null; selected: number | null }): VoteInfo {
    const agree: string[] = [];
    const dissent: string[] = [];
    const missing: string[] = [];
    for (let b = 0; b < SIM_BOARDS.length; b++) {
      const d = v.digests[b];
      if (d === undefined) missing.push(boardName(b));
      else if (v.majority !== null && d === v.majority) agree.push(boardName(b));
      else dissent.push(boardName(b));
    }
    const outcome = v.majority === null ? 'split' : dissent.length === 0 && missing.length === 0 ? 'unanimous' : 'majority';
    return { cycle: v.cycle, outcome, agree, dissent, missing, digest: v.majority === null ? '' : (v.majority >>> 0).toString(16).padStart(8, '0') };
  }

  function linkInfos(): LinkInfo[] {
    const snap = links.snapshot();
    const now = monoMs();
    const out: LinkInfo[] = [];
    for (const p of snap.peers) {
      for (const t of p.transports) {
        const c = t.counters;
        out.push({
          peer: boardName(p.id - 1),
          medium: t.name.startsWith('serial') ? 'serial' : 'udp',
          state: t.up ? (t.crcErrorRate > 0 ? 'degraded' : 'up') : 'down',
          rttMs: t.rttMs,
          lossPct: Math.round(t.crcErrorRate * 1000) / 10,
          crcErrors: c.crcErrors,
          authErrors: c.forged + c.unauthenticated + c.unexpectedTag,
          framesRx: c.framesOk,
          framesTx: c.txFrames,
          lastRxAgoMs: t.lastHeardMs === null ? null : Math.round(now - t.lastHeardMs),
        });
      }
    }
    return out;
  }

  function makeBackend(): ConsoleBackend {
    const role = () => {
      const s = core.snapshot();
      if (s.role !== 'member') return s.role === 'joining' ? 'joining' : 'standby';
      return s.active === selfIdx ? 'active' : 'standby';
    };
    return {
      status: () => {
        const s = core.snapshot();
        return {
          board: self, boot: env.boot, bootReason: env.resetReason, uptimeMs: Math.round(monoMs() - startMs), cycle: s.cycle, rateHz: cfg.rateHz,
          epoch: env.boot, role: role(), activeBoard: s.active === null ? null : boardName(s.active), mode: s.mode, members: s.members.map(boardName),
          health: local.health === 'ok' ? 'ok' : 'degraded', lastVote: votes[votes.length - 1] ?? null,
        };
      },
      members: () => {
        const s = core.snapshot();
        const snap = links.snapshot();
        return SIM_BOARDS.map((b, i): MemberInfo => {
          const peer = snap.peers.find((p) => p.id === i + 1);
          const heard = peer ? Math.max(...peer.transports.map((t) => t.lastHeardMs ?? -Infinity)) : -Infinity;
          return {
            board: b, state: s.members.includes(i) ? 'member' : 'unknown', role: s.active === i ? 'active' : s.members.includes(i) ? 'standby' : 'down',
            boot: i === selfIdx ? env.boot : null, cycle: i === selfIdx ? s.cycle : null,
            lastSeenAgoMs: i === selfIdx || heard === -Infinity ? null : Math.round(monoMs() - heard), health: 'ok',
          };
        });
      },
      votes: (n) => votes.slice(-n),
      links: () => linkInfos(),
      wdt: () => {
        const r = supervisor.report();
        return {
          device: hw.name, armed: true, timeoutMs: hw.timeoutMs, timeleftMs: Math.max(0, Math.round(hw.timeoutMs - (monoMs() - lastFeedMs))),
          lastFeedAgoMs: Math.round(monoMs() - lastFeedMs), feeding: wdt.gate.state !== 'stopped', withheldReason: wdt.gate.stopReason ?? null,
          checks: r.entities.map((e) => ({ name: e.name, ok: e.status === 'OK', detail: e.status })),
        };
      },
      psu: () => ({
        supplies: (['a', 'b'] as const).map((rail) => {
          const ok = gpio.level(pgoodPins[rail]) === 0;
          return { name: `psu-${rail}`, ok, volts: null, amps: null, detail: ok ? 'power good' : 'power-good deasserted' };
        }),
      }),
      nic: () => ({ bond: 'bond0', mode: 'active-backup', activeSlave: Object.keys(slaves).find((s) => slaves[s]) ?? null, interfaces: Object.entries(slaves).map(([name, up]) => ({ name, up, speedMbps: up ? 1000 : null, rxErrors: 0, txErrors: 0 })) }),
      log: (n) => log.readLast(n).events,
      faults: () => [...faults],
      handover: (b) => {
        const ok = core.requestHandover(boardIndex(b));
        return { ok, message: ok ? `handover to ${b} requested; it takes effect at a cycle boundary once a majority agrees` : `cannot hand over to ${b}: it is not a member, or this board is not a member` };
      },
      fence: (b) => ({ ok: false, message: `fencing ${b} needs a majority: the voter fences a board only when two boards agree it is faulty (one board's word never fences another)` }),
      inject: (spec) => {
        const now = monoMs();
        switch (spec.kind) {
          case 'flip': control({ t: 'flip', bit: 17 }, now); return { ok: true, message: 'flipped one bit of the workload state' };
          case 'stall': setTimeout(() => control({ t: 'stall', ms: spec.forMs ?? 1000 }, monoMs()), 0); return { ok: true, message: 'stalling the event loop' };
          case 'psu': control({ t: 'psu', rail: spec.supply, ok: false }, now); return { ok: true, message: `psu ${spec.supply} lost` };
          case 'nic': control({ t: 'nic', slave: spec.iface, up: false }, now); return { ok: true, message: `${spec.iface} down` };
          default: return { ok: false, message: `${spec.kind} is injected by the simulator (ftc sim --fault), not from a board's console` };
        }
      },
    };
  }

  tick();
}
