/**
 * The board shell (ring 3): wires one board's parts — the voter core, the redundant links, the
 * process I/O, supervision gating a hardware watchdog, the PSU and NIC monitors, the event log,
 * the serial console and the johnny-five peripherals — and runs the tick loop. The same class
 * runs on a Raspberry Pi (`ftc run`, real adapters) and in a board process of `ftc sim`
 * (simulated GPIO, plant and watchdog): only the parts handed to it differ.
 *
 * The tick loop reads the clock once per tick and passes that time to everything it steps. It
 * sleeps until the core's next phase deadline (at most `tickMaxMs`), so a stalled event loop
 * shows up exactly as on a board: missed deadlines, then a starved watchdog.
 */
import type { ProcessSpec } from '../process/spec.ts';
import { KILL_WAIT_MS, ProcessRunner } from './process-runner.ts';
import { buildBundle, type ForensicsBundle } from '../forensics/bundle.ts';
import { FORENSICS_STEPS_MAX, StepRecorder } from '../forensics/recorder.ts';
import { storeBundle } from '../forensics/store.ts';
import { MsgType } from '../bus/msgtypes.ts';
import { membershipWorkload } from '../checkpoint/membership-workload.ts';
import { CheckpointRunner } from './checkpoint-runner.ts';
import type { LinkSet } from '../bus/linkset.ts';
import type { ActionResult, BoardRole, ConsoleBackend, FaultInfo, FaultSpec, LinkInfo, MemberInfo, VoteInfo } from '../console/backend.ts';
import { verifyPassword } from '../console/password.ts';
import { serveConsole } from '../console/server.ts';
import type { BoardLog } from '../eventlog/eventlog.ts';
import type { PeripheralCallbacks, Peripherals } from '../peripherals/peripherals.ts';
import type { Clock } from '../ports/clock.ts';
import type { Cancel, Scheduler } from '../ports/scheduler.ts';
import type { GpioChip } from '../ports/gpio.ts';
import type { SerialLink } from '../ports/serial.ts';
import type { HwWatchdog } from '../ports/watchdog.ts';
import { decodeMsg, encodeMsg, msgTypeOf } from '../voter/codec.ts';
import { makeVoterConfig, type VoterConfig } from '../voter/config.ts';
import { BoardCore, type Effect, type Inbound, type Role, type VoteRecord } from '../voter/core.ts';
import { digestHex, sameDigest } from '../voter/hash.ts';
import { Supervisor as TaskSupervisor } from '../watchdog/core-supervisor.ts';
import { eventLoopDelayMeasurement, heapSample, heapUsedMeasurement, type EventLoopSample, type HeapSample } from '../watchdog/event-loop-monitor.ts';
import { NicMonitor, type NicMonitorOptions } from '../watchdog/nic-monitor.ts';
import { ThermalMonitor, type ThermalMonitorOptions } from '../watchdog/thermal-monitor.ts';
import { PsuMonitor, type PsuRailWiring } from '../watchdog/psu-monitor.ts';
import { WatchdogService } from '../watchdog/watchdog-service.ts';
import type { Workload } from '../workload/types.ts';

/** Supervised: how long a program this board must stop has outlived SIGKILL (src/shell/process-runner.ts). */
const programUnstoppableMeasurement = 'programUnstoppableMs';

/** Longest sleep between ticks: pings, link up/down and the watchdog feed need a regular step. */
export const tickMaxMs = 20;
/** Votes kept for the console. */
const votesMax = 64;
/** Faults kept for the console. */
const faultsMax = 64;
/** NIC/PSU polling period (the bonding file is re-read, INA219s are sampled). */
const healthPollMs = 500;
/** Votes carried by each status line (5 status lines a second cover 40 Hz). */
const statusVotesMax = 8;
/** Heap budget: a leak is a slow death; reset while the others still carry the cycle. */
const heapUsedMbMax = 512;
/**
 * Periods the tick loop keeps running after an orderly stop has left for service: the Join goes
 * out at the next tick and is repeated at each cycle start while the peers still count this board
 * (they vote it out within one or two cycles). Bounded: a stop must not wait on the peers.
 */
const shutdownDrainCycles = 3;

/**
 * The workload's field I/O as this board sees it. Contract: `sensors(cycle)` returns this board's
 * own sample for that cycle without blocking (the latest one if that cycle's has not arrived);
 * `present` and `select` never throw (an I/O failure is counted by the adapter).
 */
export interface ProcessIo {
  sensors(cycle: number): readonly number[];
  /** This board's outputs for a cycle; they reach the actuators only if >= 2 boards select it. */
  /** `epoch`: a checkpoint workload's committed epoch presented at a later cycle (re-released after a failover). */
  present(cycle: number, outputs: readonly number[], safe: boolean, epoch?: number): void;
  /** This board's select line(s) for a cycle: which board it believes drives (null: none). */
  select(cycle: number, board: string | null): void;
}

export interface BoardParts<S> {
  self: string;
  /** All boards of the rig, in voter id order (b1 = 0). */
  boards: readonly string[];
  boot: number;
  resetReason: string;
  rateHz: number;
  /** Local monotonic time at which cycle 0 starts (with startAs 'cold': this board's own grid, used only if it hears nobody). */
  t0Ms: number;
  /**
   * How the voter starts (src/voter/config.ts). Default: 'member' on boot 1 (a simulator whose
   * boards share t0), 'joining' after. Real boards use 'cold': no shared clock, listen first.
   */
  startAs?: 'member' | 'joining' | 'cold';
  /** Timing assumptions and policy handed to the voter (see src/voter/config.ts). */
  voter: Partial<VoterConfig>;
  workload: Workload<S>;
  /** The process class: run this program on the primary, its state directory replicated (src/process). */
  process?: { spec: ProcessSpec; stateDir: string };
  /**
   * Forensics (src/forensics): the last steps are kept, and a board that is outvoted (or finds
   * its state differs while catching up) writes a bundle into `dir` for `ftc forensics`.
   */
  forensics?: { dir: string; workload: ForensicsBundle['workload']; configHash: string | null };
  clock: Clock;
  /** Wakes the tick loop: timers on a board and in `ftc sim`, virtual time in the seeded simulator. */
  scheduler: Scheduler;
  links: LinkSet;
  io: ProcessIo;
  log: BoardLog;
  gpio: GpioChip;
  psuRails: PsuRailWiring[];
  nic: NicMonitorOptions | null;
  /** The SoC's temperature (a thermal zone): a hot board hands its work over (src/watchdog/core-thermal.ts). Absent: not watched. */
  thermal?: ThermalMonitorOptions;
  watchdog: { hw: HwWatchdog & { poll?(nowMs: number): void }; timeoutMs: number; feedPeriodMs: number };
  console: { link: SerialLink; passwordHash: string | null; allowInject: boolean } | null;
  peripherals: Peripherals | null;
  /** Console `fence <board>`: pull that board's reset line (real: GPIO; sim: the supervisor). */
  pullResetLine(board: string): void;
  /** Console `inject <spec>` for faults the board cannot make itself (sim only). */
  injectExternal?(spec: FaultSpec): ActionResult;
  /**
   * Supervision inputs. Default: the tick loop's own lateness (the tick runs at least every
   * tickMaxMs, so a blocked event loop shows as a late tick, with no timer of its own) and the
   * V8 heap; the seeded simulator hands in the lateness it injected and a fixed heap.
   */
  eventLoop?: () => EventLoopSample;
  heap?: () => HeapSample;
}

export class BoardController<S> {
  readonly core: BoardCore<S>;
  /** The checkpoint class's runner, when the workload is a checkpoint one. */
  readonly checkpoint: CheckpointRunner<S> | null;
  /** The process class's runner, when the board runs a program (BoardParts.process). */
  readonly process: ProcessRunner | null;
  readonly selfIdx: number;
  readonly faults: FaultInfo[] = [];
  readonly votes: VoteInfo[] = [];
  readonly local: { sensors: (cycle: number) => readonly number[]; health: 'ok' | 'degraded' };
  readonly #p: BoardParts<S>;
  readonly #startMs: number;
  readonly #psu: PsuMonitor;
  readonly #nic: NicMonitor | null;
  readonly #thermal: ThermalMonitor | null;
  readonly #supervisor: TaskSupervisor;
  readonly #recorder: StepRecorder<S> | null;
  /** The latest tick since supervision last sampled the event-loop delay. */
  #tickLateMaxSinceSampleMs = 0;
  #wdt: WatchdogService | null = null;
  #lastFeedMs: number;
  #lastActive: number | null = null;
  #lastRole: Role | null = null;
  #lastLedActive: number | null | undefined = undefined;
  #handoverPending = false;
  #lastHealthPollMs = 0;
  #cancelTick: Cancel | null = null;
  /** When the tick loop asked to be woken, and how late it was (deadline-keeping figures). */
  #wakeAtMs = 0;
  readonly timing = { ticks: 0, lateOver1Ms: 0, lateOver5Ms: 0, lateMaxMs: 0, lateMaxSinceStatusMs: 0 };
  /** Since start, for the metrics: votes by outcome, failovers this board took, fences it pulled. */
  readonly counts = { votes: {} as Record<string, number>, failovers: 0, handovers: 0, fences: 0 };
  #stopped = false;
  #silent = false;
  readonly #healthCauses = new Map<string, string>();
  #shutdown: Promise<void> | null = null;

  constructor(parts: BoardParts<S>) {
    this.#p = parts;
    this.selfIdx = parts.boards.indexOf(parts.self);
    if (this.selfIdx < 0) throw new Error(`board ${parts.self} is not one of the rig's boards (${parts.boards.join(', ')})`);
    this.#startMs = parts.clock.nowMs();
    this.#lastFeedMs = this.#startMs;
    // A checkpoint workload runs on the primary alone (src/shell/checkpoint-runner.ts); the
    // lockstep core then runs an empty workload and gives it the rig's membership.
    const checkpoint = parts.workload.class === 'checkpoint' || parts.process !== undefined;
    // A lockstep workload is stepped through the recorder when forensics are on (no extra encode: it keeps the digest's bytes).
    this.#recorder = parts.forensics && !checkpoint ? new StepRecorder(parts.workload) : null;
    this.core = new BoardCore(
      makeVoterConfig({ ...parts.voter, self: this.selfIdx, periodMs: 1000 / parts.rateHz, epochStartMs: parts.t0Ms, startAs: parts.startAs ?? (parts.boot > 1 ? 'joining' : 'member') }),
      (checkpoint ? membershipWorkload(parts.workload as Workload<unknown>) : this.#recorder?.workload ?? parts.workload) as Workload<S>,
    );
    this.process = parts.process ? new ProcessRunner({
      selfIdx: this.selfIdx, boards: parts.boards, spec: parts.process.spec, stateDir: parts.process.stateDir, log: parts.log, clock: parts.clock,
      periodMs: 1000 / parts.rateHz, send: (type, payload, to) => void parts.links.send(type, payload, to), handOver: () => void this.requestHandover(),
      // Its watchdog's timeout, plus the wait after SIGKILL before it withholds the feed (a program it cannot kill), plus two cycles.
      takeoverDelayMs: parts.watchdog.timeoutMs + KILL_WAIT_MS + 2 * (1000 / parts.rateHz),
    }) : null;
    this.checkpoint = checkpoint && !parts.process ? new CheckpointRunner({
      selfIdx: this.selfIdx, boards: parts.boards, workload: parts.workload, io: parts.io, log: parts.log, periodMs: 1000 / parts.rateHz,
      send: (type, payload, to) => void parts.links.send(type, payload, to),
    }) : null;
    this.local = { sensors: (c) => parts.io.sensors(c), health: 'ok' };
    parts.links.onLinkChange((peerId, transport, up) => parts.log.append(up ? 'link-up' : 'link-down', { peer: this.#name(peerId - 1), transport }));
    this.#psu = new PsuMonitor(parts.gpio, { rails: parts.psuRails, debounceMs: 20, readingStaleMs: 2000 }, parts.clock);
    this.#nic = parts.nic ? new NicMonitor(parts.nic, parts.clock) : null;
    this.#psu.onChange(this.#onHealth('psu'));
    this.#nic?.onChange(this.#onHealth('nic'));
    this.#thermal = parts.thermal ? new ThermalMonitor(parts.thermal, parts.clock) : null;
    this.#thermal?.onChange(this.#onHealth('thermal'));
    const wdtTimeoutMs = parts.watchdog.timeoutMs;
    this.#supervisor = new TaskSupervisor(
      {
        // The tick loop is the supervised entity: a tick must come at least every half timeout.
        entities: [{ name: 'tick', checkpoints: ['tick'], deadline: [{ start: 'tick', end: 'tick', minMs: 0, maxMs: wdtTimeoutMs / 2, failuresTolerance: 0 }] }],
        measurements: [
          { name: eventLoopDelayMeasurement, limit: wdtTimeoutMs / 2, exceededTolerance: 0, staleMs: 5000 },
          { name: heapUsedMeasurement, limit: heapUsedMbMax, exceededTolerance: 2, staleMs: 5000 },
          // A program that outlives SIGKILL's wait cannot be stopped here: the watchdog's reset stops it.
          ...(parts.process ? [{ name: programUnstoppableMeasurement, limit: 0, exceededTolerance: 0, staleMs: wdtTimeoutMs }] : []),
        ],
      },
      this.#startMs,
    );
  }

  #name(i: number): string {
    const n = this.#p.boards[i];
    if (n === undefined) throw new RangeError(`board index ${i}`);
    return n;
  }

  #onHealth(what: string) {
    return (c: { to: string; cause: string; handOver: boolean }) => {
      this.#p.log.append('health', { what, state: c.to, cause: c.cause });
      if (c.handOver) this.#healthCauses.set(what, c.cause);
      else this.#healthCauses.delete(what);
      this.local.health = this.#healthCauses.size > 0 ? 'degraded' : 'ok';
      this.#p.peripherals?.setAlarm(this.local.health !== 'ok' ? 'beep' : 'off');
    };
  }

  noteFault(f: Omit<FaultInfo, 'atMs'>): void {
    this.faults.push({ ...f, atMs: Math.round(this.#p.clock.nowMs() - this.#startMs) });
    if (this.faults.length > faultsMax) this.faults.shift();
  }

  /** Arms the watchdog, starts the console and the tick loop. */
  async start(): Promise<void> {
    const p = this.#p;
    this.#wdt = await WatchdogService.start({
      hw: p.watchdog.hw,
      supervisor: this.#supervisor,
      gate: { timeoutMs: p.watchdog.timeoutMs, feedPeriodMs: p.watchdog.feedPeriodMs },
      clock: p.clock,
      eventLoop: p.eventLoop ?? (() => this.#sampleTickLateness()),
      heap: p.heap ?? heapSample,
      onStopped: (reason) => {
        p.log.append('watchdog-withheld', { reason });
        this.#goSilent();
      },
    });
    if (p.console) {
      serveConsole({
        link: p.console.link, clock: p.clock, backend: this.backend(), board: p.self, boards: [...p.boards],
        passwordHash: p.console.passwordHash, verifyPassword, injectEnabled: p.console.allowInject,
      });
    }
    // The first tick runs now: the board is stepped (and its LEDs and relays set) before start() returns.
    this.#schedule(this.tick(p.clock.nowMs()));
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTick?.();
    this.#cancelTick = null;
  }

  /**
   * Supervision stopped feeding the hardware watchdog: this board will be reset whatever it does
   * now. It goes silent at once (fail-silent): no more frames, votes or selects, its relays open,
   * so its peers vote it out and never vote a board back in that is about to vanish. Only the
   * watchdog's own countdown keeps running (the simulator's watchdog is polled by the tick).
   */
  #goSilent(): void {
    if (this.#silent) return;
    this.#silent = true;
    this.#p.io.select(this.core.cycle, null);
    this.#p.peripherals?.setRole('voted-out');
  }

  /** True once supervision has given up on this board (see #goSilent). */
  get silent(): boolean {
    return this.#silent;
  }

  /** Time left before the hardware watchdog would fire (timeout minus the time since the last feed), ms. */
  watchdogMarginMs(): number {
    return this.#p.watchdog.hw.timeoutMs - (this.#p.clock.nowMs() - this.#lastFeedMs);
  }

  /** The boot's number and why it happened (power-on, watchdog, restart), for the metrics. */
  get bootInfo(): { boot: number; reason: string } {
    return { boot: this.#p.boot, reason: this.#p.resetReason };
  }

  /** The johnny-five parts this board drives (LEDs, relays, button), if it has them. */
  get peripherals(): Peripherals | null {
    return this.#p.peripherals;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The event-loop delay as the tick loop sees it: its latest wake since the last sample, or the one still pending. */
  #sampleTickLateness(): EventLoopSample {
    const pendingMs = Math.max(0, this.#p.clock.nowMs() - this.#wakeAtMs);
    const maxMs = Math.max(this.#tickLateMaxSinceSampleMs, this.#wakeAtMs > 0 ? pendingMs : 0);
    this.#tickLateMaxSinceSampleMs = 0;
    return { maxMs, p99Ms: maxMs, meanMs: maxMs, count: 1 };
  }

  #schedule(atMs: number): void {
    this.#wakeAtMs = atMs;
    this.#cancelTick = this.#p.scheduler.at(atMs, (now) => {
      this.#cancelTick = null;
      if (this.#stopped) return;
      this.#schedule(this.tick(now));
    });
  }

  /** Fault injection: busy the event loop (no tick, no feed) for `ms`. */
  stall(ms: number): void {
    this.#p.log.append('fault', { what: `stall ${ms} ms` });
    this.noteFault({ source: 'injected', what: `stall ${ms}ms`, state: 'cleared' });
    const until = this.#p.clock.nowMs() + ms;
    while (this.#p.clock.nowMs() < until) { /* the event loop is busy: nothing else runs */ }
  }

  /** Fault injection: flip one bit of the workload state. */
  flip(bit: number): void {
    const applied = this.core.flipStateBit(bit);
    this.#p.log.append('fault', { what: `flip state bit ${bit}`, applied });
    this.noteFault({ source: 'injected', what: `flip bit ${bit}`, state: 'cleared' });
  }

  /** Ask to hand the active role to `to` (default: next-ranked member). Console, button, monitors. */
  requestHandover(to?: string): ActionResult {
    const ok = this.core.requestHandover(to === undefined ? undefined : this.#p.boards.indexOf(to));
    const target = to ?? 'the next-ranked board';
    return { ok, message: ok ? `handover to ${target} requested: it takes effect at a cycle boundary once a majority agrees` : `cannot hand over to ${target}: this board is not a member or the target is not a member` };
  }

  /**
   * Take this board out of the voting set for service (`cause`: who asked, for the log). The
   * peers vote it out as a board that left on its own: no fence, no snapshot until it returns.
   */
  leaveForService(cause: string): ActionResult {
    const wasService = this.core.role === 'service';
    const ok = this.core.leaveForService();
    if (ok) this.#p.log.append('service-leave', { cause, cycle: this.core.snapshot().cycle });
    return {
      ok,
      message: ok ? 'left the voting set for service: the peers vote this board out without fencing it; `service return` (or another hold of the button) brings it back'
        : wasService ? 'already out for service' : 'this board is one of only two members: the other could not drive alone',
    };
  }

  /** Back from service: rejoins through a snapshot, voted in after its clean cycles. */
  returnFromService(cause: string): ActionResult {
    const ok = this.core.returnFromService();
    if (ok) this.#p.log.append('service-return', { cause, cycle: this.core.snapshot().cycle });
    return { ok, message: ok ? 'back from service: rejoining through a snapshot, voted in after its clean cycles' : 'this board is not out for service' };
  }

  /** The maintenance button held: out for service, or back when it already is. */
  toggleService(cause: string): ActionResult {
    return this.core.role === 'service' ? this.returnFromService(cause) : this.leaveForService(cause);
  }

  /**
   * Orderly stop (systemctl stop, ^C): leave for service so the peers vote this board out without
   * fencing it, keep ticking at most shutdownDrainCycles periods so they hear it, stop the tick
   * loop, close the watchdog (disarmed only if supervision had not stopped the feed: a board
   * whose supervision expired must still reset), release the relays, log 'shutdown'. Idempotent.
   */
  shutdown(reason: string): Promise<void> {
    this.#shutdown ??= this.#shutdownOnce(reason);
    return this.#shutdown;
  }

  async #shutdownOnce(reason: string): Promise<void> {
    const already = this.core.role === 'service';
    const left = already ? { ok: true, message: 'already out for service' } : this.leaveForService(`shutdown: ${reason}`);
    if (left.ok && !already && !this.#stopped) {
      const until = this.#p.clock.nowMs() + shutdownDrainCycles * this.core.cfg.periodMs;
      await new Promise<void>((resolve) => this.#p.scheduler.at(until, () => resolve()));
    }
    this.stop();
    this.process?.stop(`shutdown: ${reason}`);
    const wdt = this.#wdt;
    const watchdog = !wdt ? 'never armed' : (await wdt.close()) ? 'disarmed' : 'not disarmed: the board resets';
    await this.#p.peripherals?.close();
    this.#p.log.append('shutdown', { reason, service: left.ok ? 'left the voting set' : `stayed: ${left.message}`, watchdog });
  }

  /**
   * One step of the whole board at local time `nowMs`: the hardware watchdog's countdown, the
   * links (pings, up/down), the frames received since the last tick into the voter core, its
   * effects out, supervision and the feed, the PSU/NIC polls, the LEDs. Returns the local time at
   * which the board wants its next tick (the core's next phase deadline, at most tickMaxMs on).
   * Nothing here reads a timer: the caller decides when the board runs (start() with the parts'
   * scheduler, or a simulator stepping it under virtual time).
   */
  tick(nowMs: number): number {
    const p = this.#p;
    const now = nowMs;
    if (this.#wakeAtMs > 0) {
      const late = now - this.#wakeAtMs;
      const t = this.timing;
      t.ticks++;
      if (late > 1) t.lateOver1Ms++;
      if (late > 5) t.lateOver5Ms++;
      if (late > t.lateMaxMs) t.lateMaxMs = late;
      if (late > t.lateMaxSinceStatusMs) t.lateMaxSinceStatusMs = late;
      if (late > this.#tickLateMaxSinceSampleMs) this.#tickLateMaxSinceSampleMs = late;
    }
    // The hardware counts first: a stall shows up here as a missed feed (the sim watchdog resets).
    p.watchdog.hw.poll?.(now);
    if (this.#silent) return now + tickMaxMs;
    p.links.step(now);
    const inbox: Inbound[] = [];
    for (const f of p.links.drain()) {
      if (f.type === MsgType.Checkpoint) {
        (this.process ?? this.checkpoint)?.receive(f.payload);
        continue;
      }
      const d = decodeMsg(f.payload);
      if (d.ok) inbox.push({ msg: d.msg, rxMs: f.atMs });
    }
    this.#apply(this.core.step(now, inbox, this.local));
    (this.process ?? this.checkpoint)?.tick(now, { member: this.core.role === 'member', primary: this.core.active, membersMask: this.core.members }, this.core.cycle);
    this.#supervisor.checkpoint('tick', 'tick', now);
    if (this.process) this.#supervisor.measure(programUnstoppableMeasurement, this.process.unstoppableMs(now), now);
    if (this.#wdt?.tick(now)) this.#lastFeedMs = now;
    if (now - this.#lastHealthPollMs >= healthPollMs) {
      this.#lastHealthPollMs = now;
      this.#nic?.poll();
      this.#thermal?.poll();
      void this.#psu.poll();
    }
    this.#track();
    return Math.max(now, Math.min(this.core.nextWakeMs(), now + tickMaxMs));
  }

  #apply(fx: Effect[]): void {
    const p = this.#p;
    const name = (b: number | undefined) => (b === undefined ? undefined : this.#name(b));
    for (const e of fx) {
      switch (e.kind) {
        case 'send':
          p.links.send(msgTypeOf(e.msg), encodeMsg(e.msg), e.to === undefined ? undefined : e.to + 1);
          break;
        case 'output':
          // A checkpoint workload's outputs come from its runner, released on commit.
          if (!this.checkpoint) p.io.present(e.cycle, e.outputs, e.safe);
          break;
        case 'select':
          p.io.select(e.cycle, e.board === null ? null : this.#name(e.board));
          break;
        case 'fence':
          // Only a majority makes the core emit this; the reset line is pulled by one board.
          p.log.append('fence', { target: this.#name(e.board), cycle: e.cycle });
          this.counts.fences++;
          p.pullResetLine(this.#name(e.board));
          break;
        case 'alarm':
          p.log.append('alarm', { code: e.code, cycle: e.cycle, target: name(e.board), detail: e.detail });
          break;
        case 'event':
          p.log.append(e.code, { cycle: e.cycle, target: name(e.board), detail: e.detail });
          if (e.code === 'handover') this.#handoverPending = true;
          if (e.code === 'demoted' && (e.detail === 'outvoted' || e.detail === 'catchUpMismatch')) this.#writeForensics(e.cycle, e.detail);
          break;
      }
    }
  }

  /** The bundle of an outvoted board: written at once (a rare, bounded write), its path logged. */
  #writeForensics(cycle: number, reason: string): void {
    const f = this.#p.forensics;
    if (!f || !this.#recorder) return;
    try {
      const bundle = buildBundle({
        board: this.#p.self, boards: this.#p.boards, selfIdx: this.selfIdx, boot: this.#p.boot, cycle, reason,
        atMs: this.#p.clock.nowMs(),
        workload: f.workload, configHash: f.configHash, votes: [...this.core.votesAfter(cycle - FORENSICS_STEPS_MAX - 8).filter((v) => v.cycle !== cycle), ...[this.core.votesOfCycle(cycle)].filter((v) => v !== null)], steps: this.#recorder.steps(),
      });
      this.#p.log.append('forensics', { cycle, reason, bundle: storeBundle(f.dir, bundle) });
    } catch (e) {
      // A full disk loses the bundle, not the board.
      this.#p.log.append('forensics-error', { cycle, error: (e as Error).message });
    }
  }

  /** Role changes (failover / handover), LEDs, and the votes kept for the console. Cheap: it runs every tick. */
  #track(): void {
    const core = this.core;
    const active = core.active;
    const role = core.role;
    if (active !== this.#lastActive) {
      // Logged once for the rig, by the board that takes the role over.
      if (this.#lastActive !== null && active === this.selfIdx && role === 'member') {
        if (this.#handoverPending) this.counts.handovers++;
        else this.counts.failovers++;
        this.#p.log.append(this.#handoverPending ? 'handover-done' : 'failover', {
          from: this.#name(this.#lastActive), to: this.#name(active), cycle: core.cycle, epoch: `${core.cycle}:${active}`,
        });
      }
      this.#handoverPending = false;
      this.#lastActive = active;
    }
    if (role !== 'member' && this.#lastRole === 'member') {
      // Out of the voting set (voted out, stepped down, service): open this board's select relays
      // now. The core emits no more selects until it is a member again, and relays left closed
      // would lend its vote in the hardware 2-out-of-3 ladder to whichever board still selects.
      this.#p.io.select(core.cycle, null);
    }
    if (role !== this.#lastRole || active !== this.#lastLedActive) {
      this.#lastLedActive = active;
      this.#p.peripherals?.setRole(role === 'service' ? 'service' : role !== 'member' ? 'voted-out' : active === this.selfIdx ? 'active' : 'standby');
    }
    this.#lastRole = role;
    const last = this.votes[this.votes.length - 1]?.cycle ?? -1;
    if (core.lastVoteCycle > last) {
      for (const v of core.votesAfter(last)) {
        const info = this.#voteInfo(v);
        this.counts.votes[info.outcome] = (this.counts.votes[info.outcome] ?? 0) + 1;
        this.votes.push(info);
        if (this.votes.length > votesMax) this.votes.shift();
      }
    }
  }

  #voteInfo(v: VoteRecord): VoteInfo {
    const agree: string[] = [];
    const dissent: string[] = [];
    const missing: string[] = [];
    this.#p.boards.forEach((b, i) => {
      const d = v.digests[i];
      if (d === undefined) missing.push(b);
      else if (v.majority !== null && sameDigest(d, v.majority)) agree.push(b);
      else dissent.push(b);
    });
    const outcome = v.majority === null ? 'split' : dissent.length === 0 && missing.length === 0 ? 'unanimous' : 'majority';
    return { cycle: v.cycle, outcome, agree, dissent, missing, digest: v.majority === null ? '' : digestHex(v.majority) };
  }

  linkInfos(): LinkInfo[] {
    const now = this.#p.clock.nowMs();
    return this.#p.links.snapshot().peers.flatMap((peer) =>
      peer.transports.map((t): LinkInfo => ({
        peer: this.#name(peer.id - 1),
        medium: t.name.startsWith('serial') ? 'serial' : 'udp',
        state: t.up ? (t.crcErrorRate > 0 ? 'degraded' : 'up') : 'down',
        rttMs: t.rttMs,
        lossPct: Math.round(t.crcErrorRate * 1000) / 10,
        crcErrors: t.counters.crcErrors,
        authErrors: t.counters.forged + t.counters.unauthenticated + t.counters.unexpectedTag,
        framesRx: t.counters.framesOk,
        framesTx: t.counters.txFrames,
        lastRxAgoMs: t.lastHeardMs === null ? null : Math.round(now - t.lastHeardMs),
      })),
    );
  }

  /** One line for the supervisor / dashboard. */
  statusLine(): Record<string, unknown> {
    const s = this.core.snapshot();
    return {
      kind: 'status', board: this.#p.self, boot: this.#p.boot, role: s.role, mode: s.mode, cycle: s.cycle,
      active: s.active === null ? null : this.#name(s.active), members: s.members.map((m) => this.#name(m)),
      health: this.local.health, psu: this.#psu.state, psuRails: this.#psu.rails().map((r) => ({ name: r.name, ok: r.good })),
      nic: this.#nic?.state ?? 'unknown', ...(this.#thermal ? { thermal: this.#thermal.state, tempC: this.#thermal.core.lastC } : {}), links: this.linkInfos(),
      lastVote: this.votes[this.votes.length - 1] ?? null,
      // Status goes out a few times a second, i.e. every few cycles: carry the latest votes so a
      // reader (the sim dashboard, --json) misses none at the rates the simulator runs.
      recentVotes: this.votes.slice(-statusVotesMax),
      timing: { ...this.timing, lateMaxMs: Math.round(this.timing.lateMaxMs * 10) / 10, lateMaxSinceStatusMs: Math.round(this.timing.lateMaxSinceStatusMs * 10) / 10 },
      ...(this.checkpoint ? { checkpoint: this.checkpoint.statusLine } : {}),
      ...(this.process ? { process: this.process.statusLine } : {}),
    };
  }

  /** statusLine() and restart the per-status figures. */
  takeStatusLine(): Record<string, unknown> {
    const line = this.statusLine();
    this.timing.lateMaxSinceStatusMs = 0;
    return line;
  }

  backend(): ConsoleBackend {
    const p = this.#p;
    const clock = p.clock;
    return {
      status: () => {
        const s = this.core.snapshot();
        const role: BoardRole = s.role === 'joining' || s.role === 'service' ? s.role : s.role !== 'member' ? 'standby' : s.active === this.selfIdx ? 'active' : 'standby';
        return {
          board: p.self, boot: p.boot, bootReason: p.resetReason, uptimeMs: Math.round(clock.nowMs() - this.#startMs), cycle: s.cycle, rateHz: p.rateHz,
          epoch: p.boot, role, activeBoard: s.active === null ? null : this.#name(s.active), mode: s.mode, members: s.members.map((m) => this.#name(m)),
          health: this.local.health === 'ok' ? 'ok' : 'degraded', lastVote: this.votes[this.votes.length - 1] ?? null,
          workload: { name: p.workload.name, class: p.workload.class ?? 'lockstep' },
        };
      },
      members: () => {
        const s = this.core.snapshot();
        const peers = p.links.snapshot().peers;
        return p.boards.map((b, i): MemberInfo => {
          const heard = peers.find((x) => x.id === i + 1)?.transports.reduce((m, t) => Math.max(m, t.lastHeardMs ?? -Infinity), -Infinity) ?? -Infinity;
          const member = s.members.includes(i);
          const selfOut = i === this.selfIdx && (s.role === 'joining' || s.role === 'service') ? s.role : null;
          return {
            board: b, state: member ? 'member' : selfOut ?? 'unknown',
            role: s.active === i ? 'active' : member ? 'standby' : selfOut === 'service' ? 'service' : 'down', boot: i === this.selfIdx ? p.boot : null, cycle: i === this.selfIdx ? s.cycle : null,
            lastSeenAgoMs: i === this.selfIdx || heard === -Infinity ? null : Math.round(clock.nowMs() - heard), health: i === this.selfIdx && this.local.health !== 'ok' ? 'degraded' : 'ok',
          };
        });
      },
      votes: (n) => this.votes.slice(-n),
      links: () => this.linkInfos(),
      wdt: () => {
        const r = this.#supervisor.report();
        const now = clock.nowMs();
        return {
          device: p.watchdog.hw.name, armed: this.#wdt !== null, timeoutMs: p.watchdog.hw.timeoutMs,
          timeleftMs: Math.max(0, Math.round(p.watchdog.hw.timeoutMs - (now - this.#lastFeedMs))), lastFeedAgoMs: Math.round(now - this.#lastFeedMs),
          feeding: this.#wdt?.gate.state !== 'stopped', withheldReason: this.#wdt?.gate.stopReason ?? null,
          checks: r.entities.map((e) => ({ name: e.name, ok: e.status === 'OK', detail: e.status })),
        };
      },
      psu: () => ({
        supplies: this.#psu.core.rails(clock.nowMs()).map((r) => ({
          name: r.name, ok: r.good, volts: r.reading ? r.reading.busMv / 1000 : null, amps: r.reading ? r.reading.currentMa / 1000 : null,
          detail: r.fault ?? 'power good',
        })),
      }),
      nic: () => {
        const info = this.#nic?.lastInfo ?? null;
        return {
          bond: p.nic?.bond ?? null, mode: info?.mode ?? null, activeSlave: info?.activeSlave ?? null,
          interfaces: (info?.slaves ?? []).map((s) => ({ name: s.name, up: s.miiUp, speedMbps: null, rxErrors: 0, txErrors: 0 })),
        };
      },
      log: (n) => p.log.readLast(n).events,
      faults: () => [...this.faults],
      handover: (b) => this.requestHandover(b),
      service: (a) => (a === 'leave' ? this.leaveForService('console') : this.returnFromService('console')),
      fence: (b) => ({ ok: false, message: `${b} is fenced only when a majority of boards agree it is faulty; one board's word (or one console's) never fences another` }),
      inject: (spec) => {
        switch (spec.kind) {
          case 'flip': this.flip(17); return { ok: true, message: 'flipped one bit of the workload state' };
          case 'stall': p.scheduler.at(clock.nowMs(), () => this.stall(spec.forMs ?? 1000)); return { ok: true, message: `stalling the event loop for ${spec.forMs ?? 1000} ms` };
          default: return p.injectExternal?.(spec) ?? { ok: false, message: `${spec.kind} cannot be injected from this board's console` };
        }
      },
    };
  }
}

/**
 * The maintenance button's actions, for startPeripherals (which runs before the controller that
 * is handed the peripherals exists): a press hands the active role away, a hold takes the board
 * out for service or brings it back.
 */
export function maintenanceButtonActions(log: BoardLog, board: () => BoardController<unknown> | null): PeripheralCallbacks {
  return {
    onHandoverRequest: () => {
      const r = board()?.requestHandover();
      log.append('button', { action: 'press: hand the active role away', ok: r?.ok ?? false });
    },
    onLeaveForService: () => {
      const r = board()?.toggleService('button');
      log.append('button', { action: 'hold: out for service, or back', ok: r?.ok ?? false, detail: r?.message ?? 'not started yet' });
    },
  };
}
