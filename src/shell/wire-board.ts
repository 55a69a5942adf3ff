/**
 * The one place a board is put together from its parts, for `ftc run` (src/shell/run-board.ts:
 * real adapters), a board process of `ftc sim` (src/rig/board-main.ts: ptys, loopback UDP,
 * simulated GPIO and watchdog) and the seeded simulator (src/sim/board-swarm.ts: every adapter
 * simulated, virtual time). The callers open their adapters; this builds the frame codec, the
 * redundant LinkSet over the serial and UDP links, the johnny-five peripherals, the field I/O and
 * the BoardController, and starts it.
 */
import { FrameCodec, type FrameAuth } from '../bus/frame.ts';
import { LinkSet, SerialTransport, UdpTransport, type PeerConfig, type Transport } from '../bus/linkset.ts';
import type { BoardLog } from '../eventlog/eventlog.ts';
import { startPeripherals, type Peripherals, type PeripheralsOptions } from '../peripherals/peripherals.ts';
import type { Clock } from '../ports/clock.ts';
import type { GpioChip } from '../ports/gpio.ts';
import type { Scheduler } from '../ports/scheduler.ts';
import type { DatagramLink, SerialLink } from '../ports/serial.ts';
import type { VoterConfig } from '../voter/config.ts';
import type { EventLoopSample, HeapSample } from '../watchdog/event-loop-monitor.ts';
import type { NicMonitorOptions } from '../watchdog/nic-monitor.ts';
import type { ThermalMonitorOptions } from '../watchdog/thermal-monitor.ts';
import type { PsuRailWiring } from '../watchdog/psu-monitor.ts';
import type { Workload } from '../workload/types.ts';
import { BoardController, maintenanceButtonActions, type BoardParts, type ProcessIo } from './board.ts';

export interface BoardWiring<S> {
  self: string;
  /** All boards of the rig in voter id order (b1 = 0); the frame layer's ids are index + 1. */
  boards: readonly string[];
  boot: number;
  resetReason: string;
  rateHz: number;
  t0Ms: number;
  startAs?: BoardParts<S>['startAs'];
  voter: Partial<VoterConfig>;
  workload: Workload<S>;
  process?: BoardParts<S>['process'];
  forensics?: BoardParts<S>['forensics'];
  clock: Clock;
  scheduler: Scheduler;
  log: BoardLog;
  auth: FrameAuth;
  links: {
    /** Serial links already open, one or more per peer. */
    serial: ReadonlyArray<{ peer: string; link: SerialLink }>;
    /** One datagram socket shared by every peer, and each peer's address on it. */
    udp: { link: DatagramLink; peers: ReadonlyArray<{ peer: string; address: string }> } | null;
    downAfterMs?: number;
    pingIntervalMs?: number;
  };
  gpio: GpioChip;
  psuRails: PsuRailWiring[];
  nic: NicMonitorOptions | null;
  thermal?: ThermalMonitorOptions;
  watchdog: BoardParts<S>['watchdog'];
  console: BoardParts<S>['console'];
  /** The johnny-five parts' pins (LEDs, select relays, maintenance button, alarm), or null for none. */
  peripherals: Pick<PeripheralsOptions, 'gpio' | 'toChipPin'> | null;
  /** The workload's field I/O; `peripherals` drive the select relays. */
  io: (peripherals: Peripherals | null) => ProcessIo;
  pullResetLine: BoardParts<S>['pullResetLine'];
  injectExternal?: BoardParts<S>['injectExternal'];
  eventLoop?: () => EventLoopSample;
  heap?: () => HeapSample;
}

/** The LinkSet of a board: every peer gets its serial links and its UDP address, redundantly. */
export function buildLinks(w: Pick<BoardWiring<unknown>, 'self' | 'boards' | 'boot' | 'auth' | 'links' | 'clock'>): LinkSet {
  const selfIdx = w.boards.indexOf(w.self);
  if (selfIdx < 0) throw new RangeError(`wireBoard: board ${w.self} is not one of the rig's boards (${w.boards.join(', ')})`);
  const peers: PeerConfig[] = [];
  for (const peer of w.boards) {
    if (peer === w.self) continue;
    const id = w.boards.indexOf(peer) + 1;
    const transports: Transport[] = [];
    for (const s of w.links.serial) if (s.peer === peer) transports.push(new SerialTransport({ peerId: id, link: s.link, name: `serial:${peer}` }));
    const udp = w.links.udp;
    for (const u of udp?.peers ?? []) if (u.peer === peer) transports.push(new UdpTransport({ peerId: id, link: udp!.link, peerAddress: u.address, name: `udp:${peer}` }));
    peers.push({ id, transports });
  }
  return new LinkSet({
    selfId: selfIdx + 1, epoch: w.boot, codec: new FrameCodec(w.auth), peers, clock: w.clock,
    ...(w.links.downAfterMs !== undefined ? { downAfterMs: w.links.downAfterMs } : {}),
    ...(w.links.pingIntervalMs !== undefined ? { pingIntervalMs: w.links.pingIntervalMs } : {}),
  });
}

/**
 * Opens each peer's serial link with `open`; a link that fails is logged (`link-error`) and left
 * out: the board still runs on its other links, as it would with a cable unplugged.
 */
export async function openSerialPeers(
  wanted: ReadonlyArray<{ peer: string; path: string; baudRate?: number }>,
  open: (o: { path: string; baudRate?: number }) => Promise<SerialLink>,
  log: BoardLog,
): Promise<Array<{ peer: string; link: SerialLink }>> {
  const out: Array<{ peer: string; link: SerialLink }> = [];
  for (const s of wanted) {
    try {
      out.push({ peer: s.peer, link: await open(s.baudRate === undefined ? { path: s.path } : { path: s.path, baudRate: s.baudRate }) });
    } catch (e) {
      log.append('link-error', { peer: s.peer, medium: 'serial', path: s.path, error: (e as Error).message });
    }
  }
  return out;
}

/** Builds the board from its parts and starts it (watchdog armed, console served, tick loop running). */
export async function wireBoard<S>(w: BoardWiring<S>): Promise<BoardController<S>> {
  const links = buildLinks(w);
  let controller: BoardController<S> | null = null;
  const peripherals = w.peripherals
    ? await startPeripherals({ chip: w.gpio, ...w.peripherals, callbacks: maintenanceButtonActions(w.log, () => controller as BoardController<unknown> | null) })
    : null;
  controller = new BoardController<S>({
    self: w.self, boards: w.boards, boot: w.boot, resetReason: w.resetReason, rateHz: w.rateHz, t0Ms: w.t0Ms,
    ...(w.startAs !== undefined ? { startAs: w.startAs } : {}),
    voter: w.voter, workload: w.workload, ...(w.process ? { process: w.process } : {}), ...(w.forensics ? { forensics: w.forensics } : {}), clock: w.clock, scheduler: w.scheduler, links, io: w.io(peripherals), log: w.log,
    gpio: w.gpio, psuRails: w.psuRails, nic: w.nic, ...(w.thermal ? { thermal: w.thermal } : {}), watchdog: w.watchdog, console: w.console, peripherals,
    pullResetLine: w.pullResetLine,
    ...(w.injectExternal ? { injectExternal: w.injectExternal } : {}),
    ...(w.eventLoop ? { eventLoop: w.eventLoop } : {}),
    ...(w.heap ? { heap: w.heap } : {}),
  });
  await controller.start();
  return controller;
}
