/**
 * The whole-board simulator: three real boards — the board shell wired by the same function as
 * `ftc run` and `ftc sim` (src/shell/wire-board.ts) with its LinkSet, SerialTransport and
 * UdpTransport, frame codec with HMAC, replay windows, supervision and watchdog feed gate, PSU and
 * NIC monitors, johnny-five peripherals on the simulated IO plugin, event log — run in virtual
 * time on simulated processes, cables and a UDP network (src/sim/world.ts, sim-links.ts). The
 * output stage closes each cycle the way the plant process of `ftc sim` does, and the referee
 * (src/sim/judge.ts) checks every cycle against the ground truth.
 *
 * It simulates what `ftc sim` runs: boards that start together from a shared t0 (boot 1) and
 * rejoin after a restart, a supervisor that restarts an exited process, and pulls the reset line
 * of a fenced board that did not reset itself in time.
 */
import { bondingText } from '../adapters/sim/bonding.ts';
import { SimGpioChip } from '../adapters/sim/gpio.ts';
import { createHmacSha256 } from '../bus/auth-node.ts';
import type { LogEvent } from '../eventlog/eventlog.ts';
import { MemoryEventLog } from '../eventlog/memory-log.ts';
import { SIM_FENCE_GRACE_MS, SIM_LINK_TIMING, SIM_RESTART_DELAY_MS, SIM_START_DELAY_MS, SIM_WATCHDOG_FEED_PERIOD_MS, SIM_WATCHDOG_TIMEOUT_MS, simPeripheralPins, simPins, simPsuRails } from '../rig/sim-board.ts';
import { SIM_BOARDS } from '../rig/sim-protocol.ts';
import { simVoterTiming } from '../rig/sim-timing.ts';
import type { BoardController, ProcessIo } from '../shell/board.ts';
import { wireBoard } from '../shell/wire-board.ts';
import { defaultVoterConfig, type VoterConfig } from '../voter/config.ts';
import { SimWatchdog, formatResetReason } from '../watchdog/sim-watchdog.ts';
import { boardExercise, startWarmUp, warmUpTiming } from '../shell/warm-up.ts';
import { FrameCodec, type FrameAuth } from '../bus/frame.ts';
import type { SerialLink } from '../ports/serial.ts';
import { describeBoardFault, type BoardFault } from './board-faults.ts';
import { RigJudge, type JudgeReport } from './judge.ts';
import { PTY_QUIET, UDP_QUIET } from './latency-data.ts';
import { sampleLatency } from './latency.ts';
import { wakeLateMs, type MachineProfile } from './machine.ts';
import { faultySample, type SimWorld } from './plant.ts';
import type { PlantModel } from '../workload/types.ts';
import { Prng } from './prng.ts';
import { SimSerialCable, SimUdpNetwork, type LinkCondition, type SimDatagramLink } from './sim-links.ts';
import { DriftingClock, SimProcess, World } from './world.ts';

export interface BoardSimOptions {
  /** The workload and its plant. */
  world: SimWorld;
  seed: number;
  rateHz: number;
  /** Cycles of the run (from cycle 0). */
  cycles: number;
  faults: readonly BoardFault[];
  machine: MachineProfile;
  /** Overrides of the voter timing `ftc sim` uses (src/rig/sim-timing.ts). */
  voter?: Partial<VoterConfig>;
  /** johnny-five parts on every board (default true). */
  peripherals?: boolean;
  /** Keep every board's events (for `--events` and story tests). */
  keepEvents?: boolean;
  /** Liveness bounds (ms); defaults below. */
  bounds?: Partial<SimBounds>;
}

export interface SimBounds {
  /** From a repaired board's first frame to voted back in. */
  rejoinMs: number;
  detectMs: number;
  reformMs: number;
  settleMs: number;
  /** A hold-up longer than this is a fault of its board (default: the voter's lateMaxMs). */
  lateFaultMs: number;
}

export interface StampedEvent {
  /** ms from cycle 0 (true time). */
  tMs: number;
  event: LogEvent;
}

export interface BoardSimResult {
  seed: number;
  report: JudgeReport;
  events: StampedEvent[];
  faults: string[];
  /** Virtual ms simulated and world events run. */
  simulatedMs: number;
  worldEvents: number;
  boots: number[];
}

/** ms since the Unix epoch at true time 0: the `t` field of events (any fixed date will do). */
const WALL_EPOCH_MS = 1_767_225_600_000; // 2026-01-01T00:00:00Z
/** UDP addresses of the simulated boards. */
const udpAddress = (i: number) => `10.77.0.${i + 1}:47100`;
const plantLatency = UDP_QUIET;
/** The output stage closes cycle k at the latest (k + closeFrac) periods after cycle 0, as src/rig/plant-main.ts does. */
const closeFrac = defaultVoterConfig.outputDeadlineFrac;
/** Cycles of records the output stage keeps ahead of the closing point. */
const pendingCyclesMax = 64;
/** Events kept for --events (a run that writes more is looping). */
const keptEventsMax = 200_000;

interface Slot {
  idx: number;
  name: string;
  proc: SimProcess;
  boot: number;
  controller: BoardController<unknown> | null;
  wdt: SimWatchdog | null;
  gpio: SimGpioChip | null;
  /** Set while the process is down and its restart is scheduled. */
  bootPending: boolean;
  slaves: Record<string, boolean>;
  psuOk: { a: boolean; b: boolean };
  sensor: 'ok' | 'stuck' | 'noisy';
  /** Time of the last fence of this board that scheduled a reset. */
  lastFenceMs: number;
  /** The judge's open window for a process that is down or restarting. */
  downWindow: ReturnType<RigJudge['fault']> | null;
  /** Out for service since this window opened (null: not out). */
  service: ReturnType<RigJudge['fault']> | null;
  startedAtMs: number;
  cold: boolean;
  /** The referee's window while this board's cycle grid is off the rig's. */
  offGrid: ReturnType<RigJudge['fault']> | null;
}

export class BoardSim {
  readonly o: BoardSimOptions;
  readonly world = new World();
  readonly rng: Prng;
  readonly periodMs: number;
  readonly voter: Partial<VoterConfig>;
  readonly bounds: SimBounds;
  readonly judge: RigJudge;
  readonly plant: PlantModel;
  readonly slots: Slot[] = [];
  readonly events: StampedEvent[] = [];
  readonly #cables = new Map<string, SimSerialCable>();
  readonly #net: SimUdpNetwork;
  readonly #udp = new Map<number, SimDatagramLink>();
  #t0 = 0;
  #t0Known = false;
  /** A power cut in progress: its referee window, and the boards not running again yet. */
  #powerCut: { window: ReturnType<RigJudge['rigWide']>; pending: Set<number> } | null = null;
  /** Boards ready before the rig's t0 was decided (first boot). */
  #waiting: Array<() => void> = [];
  #pending: Promise<void>[] = [];
  #pendingOut = new Map<number, { sel: Map<number, number | null>; out: Map<number, readonly number[]> }>();
  #nextClose = 0;
  readonly #key: Buffer;

  constructor(o: BoardSimOptions) {
    this.o = o;
    this.rng = new Prng(o.seed ^ 0xb0a2d);
    this.periodMs = 1000 / o.rateHz;
    this.voter = { ...simVoterTiming(this.periodMs), ...o.voter };
    const lateMaxMs = this.voter.lateMaxMs ?? this.periodMs * 0.2;
    this.bounds = {
      rejoinMs: 1000 + 10 * this.periodMs, detectMs: 12 * this.periodMs, reformMs: 4000 + 40 * this.periodMs, settleMs: 3 * this.periodMs,
      lateFaultMs: lateMaxMs, ...o.bounds,
    };
    this.judge = new RigJudge({
      boards: SIM_BOARDS, safeOutputs: o.world.workload.safeOutputs, periodMs: this.periodMs, rejoinBoundMs: this.bounds.rejoinMs, detectBoundMs: this.bounds.detectMs,
      reformBoundMs: this.bounds.reformMs, settleMs: this.bounds.settleMs,
    });
    this.plant = o.world.plantFor(o.seed);
    this.#net = new SimUdpNetwork(this.world, this.rng, UDP_QUIET);
    this.#key = Buffer.alloc(32, o.seed & 0xff);
    for (let i = 0; i < SIM_BOARDS.length; i++) {
      const clock = new DriftingClock(this.world, 0, 0);
      const slot: Slot = {
        idx: i, name: SIM_BOARDS[i]!, boot: 0, controller: null, wdt: null, gpio: null, bootPending: false,
        slaves: { eth0: true, eth1: true }, psuOk: { a: true, b: true }, sensor: 'ok', lastFenceMs: -Infinity, downWindow: null, service: null, startedAtMs: 0, cold: false, offGrid: null,
        proc: null as unknown as SimProcess,
      };
      slot.proc = new SimProcess(this.world, slot.name, clock, (p) => this.#wakeLate(slot, p));
      this.slots.push(slot);
    }
    for (let i = 0; i < 3; i++) {
      for (let j = i + 1; j < 3; j++) {
        const cable = new SimSerialCable(this.world, this.rng, { name: `${SIM_BOARDS[i]}-${SIM_BOARDS[j]}`, baudRate: 921_600, latency: PTY_QUIET });
        cable.attach(this.slots[i]!.proc, this.slots[j]!.proc);
        this.#cables.set(`${i}-${j}`, cable);
      }
    }
  }

  /** ms from cycle 0. */
  get tMs(): number {
    return this.world.nowMs - this.#t0;
  }

  #wakeLate(slot: Slot, p: SimProcess): number {
    const since = this.world.nowMs - slot.startedAtMs;
    const late = wakeLateMs(this.o.machine, this.rng, since);
    // Lateness beyond the protocol's bound is a fault of that board, except while it warms up:
    // start-up must not be a fault (the board is expected to wait until it is warm).
    if (late > this.bounds.lateFaultMs && since >= this.o.machine.warmupMs) this.#holdFault(slot, late, 'late wake (machine noise)');
    void p;
    return late;
  }

  /** A hold-up of a board's process: a fault of that board when it is beyond the bound. */
  #holdFault(slot: Slot, ms: number, why: string): void {
    if (ms <= this.bounds.lateFaultMs) return;
    const w = this.judge.fault(slot.idx, this.tMs, why, { detect: false, transient: true });
    this.judge.endFault(w, this.tMs + ms);
  }

  #cable(a: number, b: number): SimSerialCable {
    return this.#cables.get(a < b ? `${a}-${b}` : `${b}-${a}`)!;
  }
  /** The end of the a-b cable that board `a` writes to. */
  #serialDir(a: number, b: number): LinkCondition {
    const c = this.#cable(a, b);
    return a < b ? c.a.condition : c.b.condition;
  }
  #udpDir(a: number, b: number): LinkCondition {
    return this.#net.condition(udpAddress(a), udpAddress(b));
  }
  /** Both media, from a to b. */
  #dirs(a: number, b: number): LinkCondition[] {
    return [this.#serialDir(a, b), this.#udpDir(a, b)];
  }

  // ------------------------------------------------------------------ boards

  /** Boot board `slot` now: a fresh process, a fresh board on it. */
  #boot(slot: Slot, reason: string): void {
    slot.boot++;
    slot.bootPending = false;
    slot.proc.boot();
    slot.startedAtMs = this.world.nowMs;
    const proc = slot.proc;
    const gen = proc.generation;
    const w = slot.downWindow;
    slot.downWindow = null;
    const cut = this.#powerCut;
    proc.onFirstSend = () => {
      if (w) this.judge.endFault(w, this.tMs);
      if (cut && cut.pending.delete(slot.idx) && cut.pending.size === 0) this.judge.endRigWide(cut.window, this.tMs);
    };
    const clock = proc.clock;
    const log = new MemoryEventLog({ board: slot.name, boot: slot.boot, clock, wallNowMs: () => WALL_EPOCH_MS + this.world.nowMs });
    log.onAppend((e) => {
      this.judge.onEvent(slot.idx, e, this.tMs);
      if (this.o.keepEvents && this.events.length < keptEventsMax) this.events.push({ tMs: this.tMs, event: e });
    });
    log.append('boot', { reason });
    const gpio = new SimGpioChip({ clock, name: `${slot.name}-gpio` });
    gpio.drive(simPins.pgoodA, slot.psuOk.a ? 0 : 1);
    gpio.drive(simPins.pgoodB, slot.psuOk.b ? 0 : 1);
    gpio.drive(simPins.button, 0);
    slot.gpio = gpio;
    for (const [k, c] of this.#cables) {
      const [a, b] = k.split('-').map(Number) as [number, number];
      if (a === slot.idx) c.a.reopen(proc);
      if (b === slot.idx) c.b.reopen(proc);
    }
    const udp = this.#net.bind(udpAddress(slot.idx), proc);
    this.#udp.set(slot.idx, udp);
    const wdt = new SimWatchdog({
      clock, timeoutMs: SIM_WATCHDOG_TIMEOUT_MS,
      onReset: (r) => {
        log.append('watchdog-reset', { reason: formatResetReason(r) });
        this.#down(slot, 'watchdog reset', SIM_RESTART_DELAY_MS);
      },
    });
    slot.wdt = wdt;
    const peers = SIM_BOARDS.filter((_, i) => i !== slot.idx);
    const serial = peers.map((peer) => {
      const j = SIM_BOARDS.indexOf(peer);
      const c = this.#cable(slot.idx, j);
      return { peer, link: slot.idx < j ? c.a : c.b };
    });
    const auth = { mode: 'hmac', key: this.#key, mac: createHmacSha256() } as const;
    // Warm up first (as board-main does before it says it is ready), then wire the board: at once
    // after a restart (the rig's t0 is known), or once all three are ready at the rig's first boot.
    startWarmUp({
      clock, scheduler: proc.scheduler(), ...warmUpTiming(this.periodMs, this.voter.lateMaxMs ?? this.periodMs / 5),
      exercise: boardExercise(new FrameCodec(auth), this.o.world.workload),
    }, (warm) => {
      if (proc.generation !== gen) return;
      log.append('warm-up', { warm: warm.warm, tookMs: Math.round(warm.tookMs), wakes: warm.wakes });
      this.#ready(slot, () => this.#wire(slot, { reason, gen, log, gpio, udp, wdt, serial, peers, auth }));
    });
  }

  /** The board said it is ready: wire it now if the rig's t0 is known, else when the last board is ready. */
  #ready(slot: Slot, wire: () => void): void {
    if (this.#t0Known) return wire();
    this.#waiting.push(wire);
    if (this.#waiting.length < this.slots.length) return;
    this.#t0 = this.world.nowMs + SIM_START_DELAY_MS;
    this.#t0Known = true;
    this.#onT0();
    for (const w of this.#waiting.splice(0)) w();
    void slot;
  }

  #wire(slot: Slot, p: {
    reason: string; gen: number; log: MemoryEventLog; gpio: SimGpioChip; udp: SimDatagramLink; wdt: SimWatchdog;
    serial: Array<{ peer: string; link: SerialLink }>; peers: string[]; auth: FrameAuth;
  }): void {
    const { reason, gen, log, gpio, udp, wdt, serial, peers, auth } = p;
    const proc = slot.proc;
    const clock = proc.clock;
    const startAs = slot.cold ? 'cold' : slot.boot === 1 ? 'member' : 'joining';
    slot.cold = false;
    const promise = wireBoard<unknown>({
      self: slot.name, boards: SIM_BOARDS, boot: slot.boot, resetReason: reason, rateHz: this.o.rateHz,
      t0Ms: clock.localOf(this.#t0), startAs, voter: this.voter, workload: this.o.world.workload,
      clock, scheduler: proc.scheduler(), log, auth,
      links: { serial, udp: { link: udp, peers: peers.map((peer) => ({ peer, address: udpAddress((SIM_BOARDS as readonly string[]).indexOf(peer)) })) }, ...SIM_LINK_TIMING },
      gpio, psuRails: simPsuRails,
      nic: {
        bond: 'bond0', root: '/sim', source: 'proc',
        files: { read: (p) => (p.endsWith('/bond0') ? bondingText(slot.slaves) : undefined), exists: (p) => p.endsWith('/bond0') },
      },
      watchdog: { hw: wdt, timeoutMs: SIM_WATCHDOG_TIMEOUT_MS, feedPeriodMs: SIM_WATCHDOG_FEED_PERIOD_MS },
      console: null,
      peripherals: this.o.peripherals === false ? null : { gpio: simPeripheralPins },
      io: () => this.#io(slot, gen),
      pullResetLine: (target) => this.#fence(slot, target),
      eventLoop: () => {
        const maxMs = proc.sampleLateMs();
        return { maxMs, p99Ms: maxMs, meanMs: maxMs, count: 1 };
      },
      heap: () => ({ usedMb: 24, limitMb: 4096 }),
    }).then((c) => {
      if (proc.generation !== gen) {
        c.stop();
        void c.peripherals?.close();
        return;
      }
      slot.controller = c;
    });
    this.#pending.push(promise);
    this.world.interrupt();
  }

  /** Do the others still count `slot` in (a frozen board may think it is a member long after its peers voted it out)? */
  #countedIn(slot: Slot): boolean {
    return slot.proc.state === 'up' && this.slots.some((o) => o !== slot && o.proc.state === 'up'
      && o.controller?.core.role === 'member' && o.controller.core.snapshot().members.includes(slot.idx));
  }

  /** The board's process is gone (crash, watchdog reset, reset line); the supervisor restarts it after `restartInMs`. */
  #down(slot: Slot, why: string, restartInMs: number | null): void {
    const c = slot.controller;
    // Must it be voted out? Only if the others still count it in (a frozen board may think it is a
    // member long after its peers voted it out).
    const wasMember = why !== 'power cut' && this.#countedIn(slot);
    slot.controller = null;
    slot.proc.kill();
    // A board that restarts comes back to rejoin, not out for service.
    if (slot.service) this.judge.endFault(slot.service, this.tMs);
    slot.service = null;
    if (c) {
      c.stop();
      void c.peripherals?.close();
    }
    // Only a board that was voting must be voted out (one already out, or never in, cannot be).
    slot.downWindow ??= this.judge.fault(slot.idx, this.tMs, why, { detect: wasMember, restarts: true });
    if (restartInMs !== null && !slot.bootPending) {
      slot.bootPending = true;
      const [lo, hi] = this.o.machine.startupMs;
      const at = this.world.nowMs + restartInMs + this.rng.range(lo, hi);
      this.world.at(at, () => {
        if (slot.bootPending) this.#boot(slot, why === 'watchdog reset' ? formatResetReasonShort(why) : 'restart');
      });
    }
  }

  /** A majority fenced `target`: it gets SIM_FENCE_GRACE_MS to reset itself, then its reset line is pulled. */
  #fence(by: Slot, target: string): void {
    const t = this.slots[SIM_BOARDS.indexOf(target as (typeof SIM_BOARDS)[number])];
    if (!t || this.world.nowMs - t.lastFenceMs <= SIM_FENCE_GRACE_MS) return;
    t.lastFenceMs = this.world.nowMs;
    const boot = t.boot;
    this.world.at(this.world.nowMs + SIM_FENCE_GRACE_MS, () => {
      if (t.boot !== boot || t.bootPending) return; // it reset itself meanwhile
      if (t.controller?.core.role === 'member') return; // it rejoined: healthy again
      this.#note(by, 'reset-line', { target });
      this.#down(t, 'reset line', SIM_RESTART_DELAY_MS);
    });
  }

  #note(slot: Slot, kind: string, fields: Record<string, unknown>): void {
    if (this.o.keepEvents) this.events.push({ tMs: this.tMs, event: { t: '', mono: 0, board: slot.name, boot: slot.boot, seq: -1, kind, ...fields } });
  }

  /** The board's field I/O: sensors from the plant, outputs and selects to the output stage (over UDP). */
  #io(slot: Slot, gen: number): ProcessIo {
    return {
      sensors: (cycle) => {
        const base = this.plant.sensorsFor(slot.idx, cycle);
        if (slot.sensor === 'ok') return base;
        return faultySample(this.o.world.workload.inputs, base, slot.sensor, this.rng);
      },
      // Safe outputs replace the board's earlier presentation (as the plant of `ftc sim` does).
      present: (cycle, outputs) => {
        if (slot.proc.generation !== gen || !slot.proc.noteSend()) return;
        const copy = [...outputs];
        this.world.at(this.world.nowMs + sampleLatency(plantLatency, this.rng), () => this.#arrive(cycle, slot.idx, 'out', copy));
      },
      select: (cycle, board) => {
        if (slot.proc.generation !== gen || !slot.proc.noteSend()) return;
        const sel = board === null ? null : SIM_BOARDS.indexOf(board as (typeof SIM_BOARDS)[number]);
        this.world.at(this.world.nowMs + sampleLatency(plantLatency, this.rng), () => this.#arrive(cycle, slot.idx, 'sel', sel));
      },
    };
  }

  // ------------------------------------------------------------------ output stage

  #arrive(cycle: number, from: number, what: 'out' | 'sel', v: readonly number[] | number | null): void {
    if (cycle < this.#nextClose || cycle >= this.#nextClose + pendingCyclesMax) return;
    let p = this.#pendingOut.get(cycle);
    if (!p) this.#pendingOut.set(cycle, (p = { sel: new Map(), out: new Map() }));
    if (what === 'sel') p.sel.set(from, v as number | null);
    else p.out.set(from, v as readonly number[]);
    // Close every cycle that is decided, in order (the output stage latches as soon as it can).
    for (;;) {
      const q = this.#pendingOut.get(this.#nextClose);
      if (!q || !this.#decided(q)) return;
      this.#close();
    }
  }

  #decided(p: { sel: Map<number, number | null>; out: Map<number, readonly number[]> }): boolean {
    const n = new Map<number, number>();
    for (const s of p.sel.values()) if (s !== null) n.set(s, (n.get(s) ?? 0) + 1);
    for (const [b, k] of n) if (k >= 2 && p.out.has(b)) return true;
    return false;
  }

  #close(): void {
    const k = this.#nextClose++;
    const p = this.#pendingOut.get(k) ?? { sel: new Map(), out: new Map() };
    this.#pendingOut.delete(k);
    for (const s of this.slots) {
      const c = s.controller;
      if (c && s.proc.state === 'up' && c.core.role === 'member') this.judge.noteMembers(s.idx, c.core.snapshot().members, this.tMs);
      else this.judge.noteMembers(s.idx, [], this.tMs);
    }
    this.#checkGrids();
    if (k < this.o.cycles) {
      const { accepted } = this.judge.onCycle({ cycle: k, tMs: this.tMs, selects: p.sel, presented: p.out });
      this.plant.step(accepted);
    } else this.plant.step(null);
  }

  /**
   * Ground truth the boards cannot see: where each board's cycle grid really is. A board whose
   * cycles start further from the others' than the skew the protocol assumes (its clock stepped
   * or raced) is faulty until it is back on the grid, whether or not it notices.
   */
  #checkGrids(): void {
    const P = this.periodMs;
    const grids = new Map<number, number>();
    for (const s of this.slots) {
      const c = s.controller;
      // Voting boards only: a board on its way back in is still finding the grid.
      if (!c || s.proc.state !== 'up' || c.core.role !== 'member' || c.silent) continue;
      // The start of its current cycle, mapped to true time (not cycle 0's: a clock whose rate
      // changed since would map an old local time wrongly).
      grids.set(s.idx, s.proc.clock.trueOf(c.core.epochMs + c.core.cycle * P));
    }
    const members = [...grids.values()];
    // The rig's grid: the members' median when three vote, else the grid they all started on.
    const ref = members.length >= 3 ? members.sort((a, b) => a - b)[1]! : this.#t0;
    const bound = this.voter.clockSkewMaxMs ?? 0.5;
    for (const s of this.slots) {
      const g = grids.get(s.idx);
      let off = false;
      if (g !== undefined) {
        const d = (((g - ref) % P) + 1.5 * P) % P - P / 2; // nearest cycle boundary
        off = Math.abs(d) > bound;
      }
      if (off && !s.offGrid) s.offGrid = this.judge.fault(s.idx, this.tMs, 'off its cycle grid');
      else if (!off && s.offGrid) {
        this.judge.endFault(s.offGrid, this.tMs);
        s.offGrid = null;
      }
    }
  }

  /** True time by which the output stage gives up on cycle k. */
  #closeAt(k: number): number {
    return this.#t0 + (k + closeFrac) * this.periodMs;
  }

  #closeOverdue = (): void => {
    while (this.world.nowMs >= this.#closeAt(this.#nextClose)) this.#close();
    if (this.#nextClose < this.o.cycles + 2) this.world.at(this.#closeAt(this.#nextClose), this.#closeOverdue);
  };

  // ------------------------------------------------------------------ faults

  #activeBoard(): number {
    const votes = new Map<number, number>();
    for (const s of this.slots) {
      const c = s.controller;
      if (!c || s.proc.state !== 'up' || c.core.role !== 'member') continue;
      const a = c.core.snapshot().active;
      if (a !== null) votes.set(a, (votes.get(a) ?? 0) + 1);
    }
    let best = 0;
    let n = 0;
    for (const [b, k] of votes) if (k > n) { best = b; n = k; }
    return best;
  }

  #apply(f: BoardFault): void {
    const board = f.board === 'active' ? this.#activeBoard() : f.board;
    const slot = board >= 0 ? this.slots[board] : undefined;
    const t = this.tMs;
    const forMs = f.forMs ?? 0;
    const later = (fn: () => void) => this.world.at(this.world.nowMs + forMs, fn);
    const windowFor = (why: string, detect = false) => {
      const w = this.judge.fault(board, t, why, { detect });
      this.world.at(this.world.nowMs + forMs, () => this.judge.endFault(w, this.tMs));
      return w;
    };
    const others = [0, 1, 2].filter((b) => b !== board);
    switch (f.kind) {
      case 'crash':
        if (slot && slot.proc.state === 'up') this.#down(slot, 'crash', SIM_WATCHDOG_TIMEOUT_MS);
        return;
      case 'restart':
        if (slot && slot.proc.state === 'up') this.#down(slot, 'restart', 0);
        return;
      case 'hang': case 'stall':
        if (!slot || slot.proc.state !== 'up') return;
        // Only a board the others count in must be voted out (one still starting up cannot be).
        if (forMs > this.bounds.lateFaultMs) windowFor(f.kind, forMs >= 3 * this.periodMs && this.#countedIn(slot));
        slot.proc.holdUntil(this.world.nowMs + forMs);
        return;
      case 'lateWake': case 'gcPause':
        if (!slot || slot.proc.state !== 'up') return;
        this.#holdFault(slot, f.lateMs ?? 0, f.kind);
        slot.proc.holdUntil(this.world.nowMs + (f.lateMs ?? 0));
        return;
      case 'lateTogether': case 'pauseAll': {
        const who = f.kind === 'pauseAll' ? [0, 1, 2] : (f.boards ?? []);
        const ms = f.lateMs ?? 0;
        if (ms > this.bounds.lateFaultMs) {
          if (who.length >= 2) this.judge.rigWide(t, t + ms, `${f.kind} ${Math.round(ms)} ms`);
          else for (const b of who) this.#holdFault(this.slots[b]!, ms, f.kind);
        }
        for (const b of who) this.slots[b]!.proc.holdUntil(this.world.nowMs + ms);
        return;
      }
      case 'clockSlew': {
        if (!slot) return;
        const ppm = f.ppm ?? 0;
        // Drift the resync tracks (syncSlewMaxMsPerCycle / periodMs) is no fault.
        const trackedPpm = ((this.voter.syncSlewMaxMsPerCycle ?? 0) / this.periodMs) * 1e6;
        if (Math.abs(ppm) > trackedPpm) windowFor(`clock ${Math.round(ppm)} ppm`);
        slot.proc.clock.setDriftPpm(ppm);
        later(() => slot.proc.clock.setDriftPpm(0));
        return;
      }
      case 'clockStep':
        if (!slot) return;
        // A step beyond the skew the protocol assumes between boards puts this one off the grid.
        if ((f.stepMs ?? 0) > (this.voter.clockSkewMaxMs ?? 0.5)) {
          // Not transient: the clock stays off until the board is back on the grid (it steps down,
          // or slews back): a board that leaves the voting set over it is faulty until it is back.
          const w = this.judge.fault(board, t, `clock step +${Math.round(f.stepMs ?? 0)} ms`);
          this.judge.endFault(w, t);
        }
        slot.proc.clock.step(f.stepMs ?? 0);
        return;
      case 'serialCut': case 'udpCut': case 'corrupt': {
        if (f.peer === undefined) return;
        const dirs = f.kind === 'udpCut' ? [this.#udpDir(board, f.peer), this.#udpDir(f.peer, board)] : [this.#serialDir(board, f.peer), this.#serialDir(f.peer, board)];
        for (const d of dirs) {
          if (f.kind === 'corrupt') d.bitErrorRate = f.ber ?? 1e-3;
          else d.cut = true;
        }
        later(() => { for (const d of dirs) { d.cut = false; d.bitErrorRate = 0; } });
        return;
      }
      case 'partition': case 'partitionIn': case 'partitionOut': {
        const dirs: LinkCondition[] = [];
        for (const o of others) {
          if (f.kind !== 'partitionIn') dirs.push(...this.#dirs(board, o));
          if (f.kind !== 'partitionOut') dirs.push(...this.#dirs(o, board));
        }
        windowFor(f.kind, true);
        for (const d of dirs) d.cut = true;
        later(() => { for (const d of dirs) d.cut = false; });
        return;
      }
      case 'loss': case 'duplicate': case 'reorder': case 'delay': {
        const dirs: LinkCondition[] = [];
        for (const o of others) dirs.push(...this.#dirs(board, o), ...this.#dirs(o, board));
        // Duplicates and reordering are masked by the frame layer; loss and delay beyond the bound are faults.
        if (f.kind === 'loss' || (f.kind === 'delay' && (f.lateMs ?? 0) > (this.voter.msgDelayMaxMs ?? 1))) windowFor(f.kind);
        for (const d of dirs) {
          if (f.kind === 'loss') d.lossP = f.p ?? 0.2;
          if (f.kind === 'duplicate') d.dupP = f.p ?? 0.3;
          if (f.kind === 'reorder') d.reorderMs = f.lateMs ?? 1;
          if (f.kind === 'delay') d.delayMs = f.lateMs ?? 5;
        }
        later(() => { for (const d of dirs) { d.lossP = 0; d.dupP = 0; d.reorderMs = 0; d.delayMs = 0; } });
        return;
      }
      case 'bitflip':
        if (!slot?.controller) return;
        if (slot.controller.core.flipStateBit(f.bit ?? this.rng.int(192))) {
          // Not every flip matters (a low bit of a value the next step overwrites is gone after
          // one cycle): a flip that diverges is voted out, one that does not simply settles, and
          // a diverged board left in would show as healthy boards disagreeing (S3).
          const w = this.judge.fault(board, t, 'bit flip', { detect: false });
          this.judge.endFault(w, t);
        }
        return;
      case 'lie': {
        if (!slot) return;
        windowFor('lie', true);
        const until = this.world.nowMs + forMs;
        const flip = () => {
          if (this.world.nowMs >= until) return;
          slot.controller?.core.flipStateBit(this.rng.int(192));
          this.world.at(this.world.nowMs + this.periodMs, flip);
        };
        flip();
        return;
      }
      case 'sensorStuck': case 'sensorNoisy':
        if (!slot) return;
        slot.sensor = f.kind === 'sensorStuck' ? 'stuck' : 'noisy';
        later(() => { slot.sensor = 'ok'; });
        return;
      case 'psu': {
        if (!slot) return;
        const rail = f.rail ?? 'a';
        const set = (ok: boolean) => {
          slot.psuOk[rail] = ok;
          slot.gpio?.drive(rail === 'a' ? simPins.pgoodA : simPins.pgoodB, ok ? 0 : 1);
        };
        set(false);
        later(() => set(true));
        return;
      }
      case 'nic': {
        if (!slot) return;
        const iface = f.iface ?? 'eth0';
        slot.slaves[iface] = false;
        later(() => { slot.slaves[iface] = true; });
        return;
      }
      case 'service': {
        // The button held: out for service, or back when it is out (and back again after forMs).
        // Out on purpose: the others vote it out without fencing it, and masking it costs nothing;
        // for the referee it is the one board that is not all there until it is back in.
        const c = slot?.controller;
        if (!slot || !c || slot.proc.state !== 'up') return;
        const gen = slot.proc.generation;
        const toggle = () => slot.proc.deliver(() => {
          if (slot.proc.generation !== gen) return;
          const wasOut = c.core.role === 'service';
          if (!c.toggleService('sim').ok) return;
          if (wasOut) {
            if (slot.service) this.judge.endFault(slot.service, this.tMs);
            slot.service = null;
          } else slot.service = this.judge.fault(board, this.tMs, 'out for service');
        });
        toggle();
        if (f.forMs !== undefined) later(toggle);
        return;
      }
      case 'handover': {
        // No fault at all: the active role moves at a cycle boundary, not one cycle lost.
        const c = slot?.controller;
        if (!slot || !c || slot.proc.state !== 'up') return;
        const gen = slot.proc.generation;
        slot.proc.deliver(() => { if (slot.proc.generation === gen) c.requestHandover(); });
        return;
      }
      case 'powerCut': {
        // Over when every board runs again (its first frame): the re-form is timed from there.
        this.#powerCut = { window: this.judge.rigWide(t, Infinity, 'power cut'), pending: new Set(this.slots.map((x) => x.idx)) };
        for (const s of this.slots) {
          this.#down(s, 'power cut', null);
          s.cold = true;
          s.bootPending = true;
          // Power comes back to each board a little apart (supplies, boot times differ).
          const [lo, hi] = this.o.machine.startupMs;
          this.world.at(this.world.nowMs + forMs + this.rng.range(0, 3 * this.periodMs) + this.rng.range(lo, hi), () => {
            if (s.bootPending) this.#boot(s, 'power-on');
          });
        }
        return;
      }
    }
  }

  // ------------------------------------------------------------------ run

  async run(): Promise<BoardSimResult> {
    // Boot: every process starts at true time 0, warms up and says it is ready after its start-up
    // time; cycle 0 starts SIM_START_DELAY_MS after the last one is ready, as `ftc sim`'s
    // supervisor does (#ready, #onT0).
    const [lo, hi] = this.o.machine.startupMs;
    this.slots.forEach((s) => this.world.at(this.rng.range(lo, hi), () => this.#boot(s, 'power-on')));
    const endTrue = () => (this.#t0Known ? this.#t0 + (this.o.cycles + closeFrac + 0.01) * this.periodMs : Infinity);
    // Run until each boot's async wiring is done before letting time move on.
    for (;;) {
      const more = this.#runSlice(endTrue());
      while (this.#pending.length) {
        const p = this.#pending;
        this.#pending = [];
        await Promise.all(p);
      }
      if (!more || this.world.nowMs >= endTrue()) break;
    }
    for (const s of this.slots) {
      s.controller?.stop();
      await s.controller?.peripherals?.close();
      this.#checkConsole(s);
    }
    const report = this.judge.finish(this.tMs);
    return {
      seed: this.o.seed, report, events: this.events, faults: this.o.faults.map((f) => describeBoardFault(f, SIM_BOARDS)),
      simulatedMs: this.tMs, worldEvents: this.world.executed, boots: this.slots.map((s) => s.boot),
    };
  }

  /** Runs the world until a boot needs awaiting (world.interrupt), or to the end. */
  #runSlice(endTrue: number): boolean {
    for (;;) {
      const next = Math.min(endTrue, this.world.nowMs + 1000);
      const more = this.world.runUntil(next);
      if (this.#pending.length > 0 || !more || this.world.nowMs >= endTrue) return more;
    }
  }

  /** The rig's t0 is decided: the output stage and the fault plan start counting from it. */
  #onT0(): void {
    this.world.at(this.#closeAt(0), this.#closeOverdue);
    const faults = [...this.o.faults].sort((a, b) => a.atMs - b.atMs);
    for (const f of faults) this.world.at(this.#t0 + f.atMs, () => this.#apply(f));
  }

  /** The console's view of a live board agrees with its core (the backend runs unchanged in the simulation). */
  #checkConsole(s: Slot): void {
    const c = s.controller;
    if (!c || s.proc.state !== 'up') return;
    const st = c.backend().status() as { board: string; members: string[]; cycle: number };
    const snap = c.core.snapshot();
    const want = snap.members.map((m) => SIM_BOARDS[m]);
    if (st.board !== s.name || JSON.stringify(st.members) !== JSON.stringify(want)) {
      this.judge.violate(this.tMs, 'console', `${s.name}'s console status says members ${JSON.stringify(st.members)}, its core ${JSON.stringify(want)}`);
    }
  }
}

function formatResetReasonShort(why: string): string {
  return why === 'watchdog reset' ? 'watchdog' : why;
}

export function runBoardSim(o: BoardSimOptions): Promise<BoardSimResult> {
  return new BoardSim(o).run();
}
