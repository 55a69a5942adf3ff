import { BoardCore, type Effect, type Inbound } from '../voter/core.ts';
import { decodeMsg, encodeMsg, type Msg } from '../voter/codec.ts';
import { makeVoterConfig, type VoterConfig } from '../voter/config.ts';
import { digestHex, fnv1a64 } from '../voter/hash.ts';
import type { PlantModel } from '../workload/types.ts';
import { agreedSample, faultySample, runReference, type ReferenceRun, type SimWorld } from './plant.ts';
import { Prng } from './prng.ts';

/**
 * Deterministic simulator: three voter cores, the workload's plant, the 2-out-of-3 output-select stage
 * and two transports per pair of boards (serial + UDP; the receiver keeps the first copy), all
 * under one virtual clock and one seeded PRNG. Invariants are checked every cycle.
 */
export type FaultKind =
  | 'crash' | 'pause' | 'restart' | 'loss' | 'corrupt' | 'duplicate' | 'reorder' | 'delay'
  | 'partition' | 'partitionIn' | 'partitionOut' | 'bitflip' | 'lie' | 'sensorStuck' | 'sensorNoisy'
  | 'drift' | 'serialCut' | 'linkCut'
  /** Rig-wide (board -1): the OS delays every board process at once (correlated pause), for durationMs. */
  | 'pauseAll'
  /** Rig-wide (board -1): power cut of the whole rig; every board boots again (cold) at endCycle + up to 3 periods. */
  | 'restartAll';

export interface Fault {
  kind: FaultKind;
  board: number;
  startCycle: number;
  /** Exclusive; ignored by crash (a crashed board comes back only when it is fenced) and bitflip. */
  endCycle: number;
  /** Offset into the start cycle (fraction of the period), so faults hit every phase. */
  phase?: number;
  /** loss / corrupt / duplicate probability per message copy. */
  p?: number;
  driftPpm?: number;
  bit?: number;
  /** serialCut / linkCut: the other end of the cut link. */
  peer?: number;
  /** pauseAll: how long every board is held (ms); endCycle must cover it. */
  durationMs?: number;
}

export const rigWideKinds: ReadonlySet<FaultKind> = new Set(['pauseAll', 'restartAll']);

/** Which faults the rig must mask completely, without voting anyone out. */
export const maskedKinds: ReadonlySet<FaultKind> = new Set(['duplicate', 'reorder', 'sensorStuck', 'sensorNoisy', 'serialCut']);

export interface SimOptions {
  /** The workload and its plant. */
  world: SimWorld;
  seed: number;
  cycles: number;
  faults?: Fault[];
  /** 'single': at most one faulty board at a time (full invariants); 'double': fail-safe expectations only. */
  hypothesis?: 'single' | 'double';
  voter?: Partial<VoterConfig>;
  /** Round-trip every message through the binary codec (otherwise only corrupted ones). */
  codec?: boolean;
  handovers?: { cycle: number; board: number; to?: number }[];
  /** An operator takes a board out for service (leave) or brings it back (return), at `phase` (default 0.05) into the cycle. */
  services?: ServiceAction[];
  resetHoldCycles?: number;
  detectBoundCycles?: number;
  rejoinBoundCycles?: number;
  reference?: ReferenceRun;
  /** Cycles after a rig-wide fault within which the rig must be back to driving (lost cycles excused until then). */
  recoverBoundCycles?: number;
  /** Cold start: board i is powered at bootAtMs[i] (true time) with its clock offset by clockOffsetMs[i]; it starts 'cold'. */
  coldStart?: { bootAtMs: number[]; clockOffsetMs: number[] };
  /** Keep every core event in result.log (story tests). */
  log?: boolean;
  reproduce?: string;
}

export interface ServiceAction { cycle: number; board: number; action: 'leave' | 'return'; phase?: number }

export interface Violation { cycle: number; kind: string; detail: string }
export interface LogEntry { cycle: number; board: number; code: string; target?: number; detail?: string }

export interface SimResult {
  seed: number;
  violations: Violation[];
  driverByCycle: (number | null)[];
  accepted: (readonly number[] | null)[];
  /** Longest run of consecutive cycles that reached the plant with no output (outside excused outages). */
  worstGapCycles: number;
  /** Cycles from a fault's repair to the board being back in the voting set (max over faults). */
  worstRejoinCycles: number;
  worstDetectCycles: number;
  /** Cycles lost inside the windows excused by rig-wide faults / cold start. */
  excusedLostCycles: number;
  log: LogEntry[];
  msgs: { sent: number; dropped: number; corrupted: number; codec: number };
  cores: BoardCore<unknown>[];
}

interface Clock { t0: number; l0: number; drift: number }
interface Rt {
  id: number;
  core: BoardCore<unknown>;
  clock: Clock;
  /** 'down': crashed or held in reset until downUntil. */
  status: 'up' | 'down' | 'paused';
  downUntil: number;
  pausedUntil: number;
  mailbox: { at: number; msg: Msg }[];
  wake: number;
  baseDrift: number;
  /** Boots next as 'cold' (power-on, no rig assumed) rather than 'joining' (reset by a peer). */
  cold?: boolean;
  local: { sensors: (cycle: number) => readonly number[] };
}

const gateCloseFrac = 1.3;

function byArrival(x: { at: number }, y: { at: number }): number { return x.at - y.at; }
function localOf(c: Clock, t: number): number { return c.l0 + (t - c.t0) * (1 + c.drift); }
function trueOf(c: Clock, l: number): number { return c.t0 + (l - c.l0) / (1 + c.drift); }
function sameOutputs(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

export class Simulation {
  readonly o: SimOptions;
  readonly P: number;
  readonly rng: Prng;
  readonly plant: PlantModel;
  readonly ref: ReferenceRun;
  readonly boards: Rt[] = [];
  readonly violations: Violation[] = [];
  readonly log: LogEntry[] = [];
  readonly #faults: Fault[];
  readonly #hyp: 'single' | 'double';
  #t = 0;
  #presented = new Map<number, Map<number, readonly number[]>>();
  #selects = new Map<number, Map<number, number | null>>();
  #driver: (number | null)[] = [];
  #accepted: (readonly number[] | null)[] = [];
  #gapRun = 0;
  #worstGap = 0;
  #diverged = false;
  #lastIn: number[] = [-1, -1, -1];
  #outs: number[][] = [[], [], []];
  #ins: number[][] = [[], [], []];
  #reboots: number[][] = [[], [], []];
  #released: number[] = [0, 0, 0];
  #worstRejoin = 0;
  #worstDetect = 0;
  #msgs = { sent: 0, dropped: 0, corrupted: 0, codec: 0 };
  #resetHoldMs: number;
  #voterOver: Partial<VoterConfig>;
  /** Cycles a board spends out for service (to: the cycle it was brought back, Infinity if never). */
  #serviceSpans: { board: number; from: number; to: number }[] = [];
  /** Cycle windows in which lost cycles are excused (rig-wide faults, cold start). */
  #excused: { from: number; to: number }[] = [];
  #excusedLost = 0;
  /**
   * Once a cycle was lost, the fault-free reference no longer applies (the plant moved on safe
   * outputs). From then on outputs are checked against a shadow replica of the workload, anchored
   * on the state a majority of members holds and stepped with the healthy boards' sensor reading.
   */
  #shadow: { on: boolean; state: unknown | null } = { on: false, state: null };

  constructor(o: SimOptions) {
    this.o = o;
    this.#voterOver = o.voter ?? {};
    this.P = makeVoterConfig({ ...this.#voterOver, self: 0 }).periodMs;
    this.rng = new Prng(o.seed);
    this.plant = o.world.plantFor(o.seed);
    this.ref = o.reference ?? runReference(o.world, o.seed, o.cycles);
    this.#faults = [...(o.faults ?? [])];
    this.#hyp = o.hypothesis ?? 'single';
    this.#resetHoldMs = (o.resetHoldCycles ?? 20) * this.P;
    for (let id = 0; id < 3; id++) {
      const baseDrift = this.rng.range(-20e-6, 20e-6);
      const clock: Clock = { t0: 0, l0: this.rng.range(-0.05, 0.05), drift: baseDrift };
      const core = new BoardCore(makeVoterConfig({ ...this.#voterOver, self: id, epochStartMs: 0 }), this.o.world.workload);
      const local = { sensors: (k: number) => this.#sensors(id, k) };
      this.boards.push({ id, core, clock, status: 'up', downUntil: 0, pausedUntil: 0, mailbox: [], wake: 0, baseDrift, local });
    }
    for (const s of (o.services ?? []).filter((x) => x.action === 'leave')) {
      const back = (o.services ?? []).find((x) => x.action === 'return' && x.board === s.board && x.cycle > s.cycle);
      this.#serviceSpans.push({ board: s.board, from: s.cycle, to: back?.cycle ?? Infinity });
    }
    const cfg0 = makeVoterConfig({ ...this.#voterOver, self: 0 });
    const recover = o.recoverBoundCycles ?? 150;
    if (o.coldStart) {
      this.boards.forEach((b, i) => {
        b.status = 'down';
        b.cold = true;
        b.downUntil = o.coldStart!.bootAtMs[i] ?? 0;
        b.clock = { ...b.clock, l0: b.clock.l0 + (o.coldStart!.clockOffsetMs[i] ?? 0) };
      });
      this.#excused.push({ from: 0, to: Math.ceil(Math.max(...o.coldStart.bootAtMs) / this.P) + recover });
    }
    for (const f of this.#faults) {
      if (f.kind === 'pauseAll') {
        const endMs = (f.startCycle + (f.phase ?? 0)) * this.P + (f.durationMs ?? 0);
        if (f.endCycle * this.P < endMs) throw new Error(`pauseAll: endCycle ${f.endCycle} does not cover durationMs ${f.durationMs}`);
        // Within the late tolerance only the cycles nobody could compute are lost; longer, the
        // boards step down and the rig re-forms.
        const short = (f.durationMs ?? 0) <= (cfg0.lateToleranceCycles - 1) * this.P;
        this.#excused.push({ from: f.startCycle, to: Math.ceil(endMs / this.P) + (short ? 1 : recover) });
      } else if (f.kind === 'restartAll') this.#excused.push({ from: f.startCycle, to: f.endCycle + 3 + recover });
    }
  }

  #active(kind: FaultKind, t: number, board?: number): Fault | undefined {
    for (const f of this.#faults) {
      if (f.kind !== kind || (board !== undefined && f.board !== board)) continue;
      const s = (f.startCycle + (f.phase ?? 0)) * this.P;
      if (t >= s && t < f.endCycle * this.P) return f;
    }
    return undefined;
  }

  #sensors(id: number, cycle: number): readonly number[] {
    const base = this.plant.sensorsFor(id, cycle);
    const t = cycle * this.P;
    if (this.#active('sensorStuck', t, id)) return faultySample(this.o.world.workload.inputs, base, 'stuck', this.rng);
    if (this.#active('sensorNoisy', t, id)) return faultySample(this.o.world.workload.inputs, base, 'noisy', this.rng);
    return base;
  }

  #send(from: number, to: number, msg: Msg): void {
    const t = this.#t;
    let loss: Fault | undefined;
    let corrupt: Fault | undefined;
    let dup: Fault | undefined;
    let reorder = false;
    let late = false;
    let serialCut = false;
    for (const f of this.#faults) {
      if (t < (f.startCycle + (f.phase ?? 0)) * this.P || t >= f.endCycle * this.P) continue;
      const mine = f.board === from || f.board === to;
      const pair = (f.board === from && f.peer === to) || (f.board === to && f.peer === from);
      switch (f.kind) {
        case 'partition': if (mine) { this.#msgs.dropped++; return; } break;
        case 'partitionIn': if (f.board === to) { this.#msgs.dropped++; return; } break;
        case 'partitionOut': if (f.board === from) { this.#msgs.dropped++; return; } break;
        case 'linkCut': if (pair) { this.#msgs.dropped++; return; } break;
        case 'serialCut': if (pair) serialCut = true; break;
        case 'loss': if (mine) loss = f; break;
        case 'corrupt': if (mine) corrupt = f; break;
        case 'duplicate': if (mine) dup = f; break;
        case 'reorder': if (mine) reorder = true; break;
        case 'delay': if (mine) late = true; break;
        default:
      }
    }
    const box = this.boards[to]!.mailbox;
    for (let transport = serialCut ? 1 : 0; transport < 2; transport++) {
      this.#msgs.sent++;
      if (loss && this.rng.chance(loss.p ?? 0.2)) { this.#msgs.dropped++; continue; }
      let m = msg;
      if (corrupt && this.rng.chance(corrupt.p ?? 0.2)) {
        // The frame layer's CRC rejects a corrupted frame: to the voter it is a lost message.
        const bytes = encodeMsg(msg);
        const at = this.rng.int(bytes.length);
        bytes[at] = bytes[at]! ^ (1 << this.rng.int(8));
        this.#msgs.corrupted++;
        continue;
      }
      if (this.o.codec) {
        const d = decodeMsg(encodeMsg(msg));
        if (!d.ok) throw new Error(`codec round trip failed: ${d.reason}`);
        m = d.msg;
        this.#msgs.codec++;
      }
      let delay = 0.15 + this.rng.next() * 0.6;
      if (reorder) delay += this.rng.next() * 0.6;
      if (late) delay += 3 + this.rng.next() * 6;
      box.push({ at: t + delay, msg: m });
      if (dup && this.rng.chance(dup.p ?? 0.3)) box.push({ at: t + delay + this.rng.next(), msg: m });
    }
  }

  #effects(b: Rt, fx: Effect[]): void {
    for (const e of fx) {
      switch (e.kind) {
        case 'send':
          if (e.to !== undefined) this.#send(b.id, e.to, e.msg);
          else for (let to = 0; to < 3; to++) if (to !== b.id) this.#send(b.id, to, e.msg);
          break;
        case 'output': {
          let m = this.#presented.get(e.cycle);
          if (!m) this.#presented.set(e.cycle, (m = new Map()));
          m.set(b.id, e.outputs);
          break;
        }
        case 'select': {
          let m = this.#selects.get(e.cycle);
          if (!m) this.#selects.set(e.cycle, (m = new Map()));
          m.set(b.id, e.board);
          break;
        }
        case 'fence':
          this.#note({ cycle: e.cycle, board: b.id, code: 'fence', target: e.board });
          this.#fence(e.board);
          break;
        case 'alarm':
          if (this.o.log || e.code === 'failSafe') this.#note({ cycle: e.cycle, board: b.id, code: `alarm:${e.code}`, ...(e.detail ? { detail: e.detail } : {}) });
          break;
        case 'event': {
          const entry: LogEntry = { cycle: e.cycle, board: b.id, code: e.code };
          if (e.board !== undefined) entry.target = e.board;
          if (e.detail !== undefined) entry.detail = e.detail;
          this.#note(entry);
          break;
        }
      }
    }
  }

  /** Is board x allowed to be suspected at cycle c (it is, or recently was, the faulty one)? */
  #isExcused(c: number): boolean {
    return this.#excused.some((w) => c >= w.from && c <= w.to);
  }

  #faultyAt(x: number, c: number): boolean {
    const grace = this.o.rejoinBoundCycles ?? 80;
    if (this.#excused.some((w) => c >= w.from - 1 && c <= w.to + grace)) return true;
    // Out for service, it is voted out (and steps down) on purpose; the check is that it is not fenced.
    if (this.#serviceSpans.some((s) => s.board === x && c >= s.from - 1 && c <= s.to + grace)) return true;
    for (const f of this.#faults) {
      if (f.board !== x || maskedKinds.has(f.kind)) continue;
      if (f.kind === 'drift' && Math.abs(f.driftPpm ?? 0) < 5000) continue;
      const end = f.kind === 'crash' || f.kind === 'bitflip' ? Math.max(f.startCycle + 1, f.endCycle) : f.endCycle;
      const until = Math.max(end, this.#released[x]! / this.P) + grace;
      if (c >= f.startCycle - 1 && c <= until) return true;
      if (f.kind === 'crash' && c >= f.startCycle - 1 && this.#lastIn[x]! < f.startCycle) return true;
    }
    return false;
  }

  #note(e: LogEntry): void {
    if (this.o.log) this.log.push(e);
    const healthy = (x: number) => !this.#faultyAt(x, e.cycle);
    if (e.code === 'votedOut' && e.target !== undefined) {
      const outs = this.#outs[e.target]!;
      if (healthy(e.board) && outs[outs.length - 1] !== e.cycle) outs.push(e.cycle);
      if (this.#hyp === 'single' && healthy(e.target) && healthy(e.board)) this.#violate(e.cycle, 'misdiagnosis', `board ${e.board} voted out healthy board ${e.target}`);
    }
    if (e.code === 'votedIn' && e.target !== undefined && healthy(e.board)) {
      this.#lastIn[e.target] = e.cycle;
      const ins = this.#ins[e.target]!;
      if (ins[ins.length - 1] !== e.cycle) ins.push(e.cycle);
    }
    if (this.#hyp === 'single' && e.code === 'fence' && e.target !== undefined && healthy(e.target)) this.#violate(e.cycle, 'misdiagnosis', `board ${e.board} fenced healthy board ${e.target}`);
    if (this.#hyp === 'single' && e.code === 'demoted' && healthy(e.board)) this.#violate(e.cycle, 'misdiagnosis', `healthy board ${e.board} stepped down (${e.detail})`);
    // Inside a rig-wide outage a board left over from an abandoned re-form may fail safe briefly (safe by construction).
    if (this.#hyp === 'single' && e.code === 'alarm:failSafe' && healthy(e.board)) this.#violate(e.cycle, 'failSafe', `board ${e.board} failed safe under a single fault: ${e.detail}`);
  }

  #violate(cycle: number, kind: string, detail: string): void {
    if (this.violations.length < 20) this.violations.push({ cycle, kind, detail });
  }

  #fence(x: number): void {
    const b = this.boards[x]!;
    b.status = 'down';
    // Pulling the reset line reboots the board whatever it was doing (crashed, hung, running).
    b.downUntil = this.#t + this.#resetHoldMs;
  }

  #reboot(b: Rt): void {
    b.status = 'up';
    b.mailbox = [];
    b.core = new BoardCore(makeVoterConfig({ ...this.#voterOver, self: b.id, startAs: b.cold ? 'cold' : 'joining' }), this.o.world.workload);
    b.cold = false;
    b.wake = this.#t;
    this.#released[b.id] = this.#t;
    this.#reboots[b.id]!.push(Math.ceil(this.#t / this.P));
    this.#note({ cycle: Math.floor(this.#t / this.P), board: b.id, code: 'reboot' });
  }

  #stepBoard(b: Rt): void {
    const t = this.#t;
    const due: { at: number; msg: Msg }[] = [];
    const keep: { at: number; msg: Msg }[] = [];
    for (const m of b.mailbox) (m.at <= t ? due : keep).push(m);
    b.mailbox = keep;
    if (due.length > 1) due.sort(byArrival);
    const inbox: Inbound[] = [];
    for (const m of due) inbox.push({ msg: m.msg, rxMs: localOf(b.clock, m.at) });
    const fx = b.core.step(localOf(b.clock, t), inbox, b.local);
    this.#effects(b, fx);
    b.wake = Math.max(trueOf(b.clock, b.core.nextWakeMs()) + 1e-7, t + 1e-6);
  }

  #startFault(f: Fault): void {
    if (f.kind === 'pauseAll') {
      const until = this.#t + (f.durationMs ?? 0);
      for (const x of this.boards) {
        if (x.status === 'up') { x.status = 'paused'; x.pausedUntil = until; }
        else if (x.status === 'paused') x.pausedUntil = Math.max(x.pausedUntil, until);
      }
      return;
    }
    if (f.kind === 'restartAll') {
      // Power comes back to each board a little apart (supplies, boot times differ).
      for (const x of this.boards) { x.status = 'down'; x.cold = true; x.downUntil = f.endCycle * this.P + this.rng.next() * 3 * this.P; }
      return;
    }
    const b = this.boards[f.board]!;
    switch (f.kind) {
      case 'crash': case 'restart':
        if (b.status !== 'down') { b.status = 'down'; b.downUntil = f.kind === 'restart' ? f.endCycle * this.P : Infinity; }
        break;
      case 'pause':
        if (b.status === 'up') { b.status = 'paused'; b.pausedUntil = f.endCycle * this.P; }
        break;
      case 'bitflip':
        b.core.flipStateBit(f.bit ?? this.rng.int(192));
        break;
      case 'drift':
        b.clock = { t0: this.#t, l0: localOf(b.clock, this.#t), drift: (f.driftPpm ?? 1000) * 1e-6 };
        break;
      default:
    }
  }
  #endFault(f: Fault): void {
    if (rigWideKinds.has(f.kind)) return;
    const b = this.boards[f.board]!;
    if (f.kind === 'drift') b.clock = { t0: this.#t, l0: localOf(b.clock, this.#t), drift: b.baseDrift };
  }

  #closeGate(j: number): void {
    const sel = this.#selects.get(j) ?? new Map<number, number | null>();
    const pres = this.#presented.get(j) ?? new Map<number, readonly number[]>();
    this.#selects.delete(j);
    this.#presented.delete(j);
    const count = [0, 0, 0];
    for (const s of sel.values()) if (s !== null && s >= 0 && s < 3) count[s]!++;
    const drivers = [0, 1, 2].filter((x) => count[x]! >= 2);
    if (drivers.length > 1) this.#violate(j, 'twoDrivers', `boards ${drivers.join(',')} both selected by 2`);
    const driver = drivers[0] ?? null;
    const out = driver === null ? undefined : pres.get(driver);
    const accepted = out ?? null;
    if (accepted) {
      let behind = 0;
      for (const o of pres.values()) if (sameOutputs(o, accepted)) behind++;
      if (behind < 2) this.#violate(j, 'noMajority', `outputs of board ${driver} reached the plant with ${behind} board(s) behind them`);
    }
    this.plant.step(accepted);
    this.#driver.push(accepted ? driver : null);
    this.#accepted.push(accepted);
    // Cycles lost inside a rig-wide outage are counted apart (excusedLostCycles), not as a gap.
    if (accepted || this.#isExcused(j)) this.#gapRun = 0;
    else this.#worstGap = Math.max(this.#worstGap, ++this.#gapRun);
    const excused = this.#isExcused(j);
    if (!accepted && excused) { this.#excusedLost++; this.#shadow = { on: true, state: null }; }
    let ref: readonly number[] | undefined = this.ref.outputs[j];
    if (this.#shadow.on && this.#shadow.state) {
      const res = this.o.world.workload.step(this.#shadow.state, agreedSample(this.plant, this.o.world.workload, j));
      this.#shadow.state = res.state;
      ref = res.outputs;
    } else if (this.#shadow.on) ref = accepted ?? undefined;
    if (this.#hyp === 'single') {
      if (!accepted && !excused) this.#violate(j, 'noOutput', `no board's outputs reached the plant (selects ${JSON.stringify([...sel])})`);
      else if (accepted && !sameOutputs(accepted, ref)) this.#violate(j, 'wrongOutput', `got ${JSON.stringify(accepted)}, ${this.#shadow.on ? 'the shadow replica' : 'the fault-free run'} has ${JSON.stringify(ref)}`);
    } else if (!this.#diverged) {
      if (!accepted || sameOutputs(accepted, this.o.world.workload.safeOutputs) && !sameOutputs(accepted, ref)) this.#diverged = true;
      else if (!sameOutputs(accepted, ref)) this.#violate(j, 'wrongOutput', `a wrong (not safe) output reached the plant: ${JSON.stringify(accepted)} vs ${JSON.stringify(ref)}`);
    }
    // Anchor the shadow replica on the state the members agree on after this cycle.
    if (this.#shadow.on && accepted && !this.#shadow.state) this.#shadow.state = this.#majorityState();
    if (this.#hyp === 'single') this.#checkBounds(j);
  }

  /** The state at least two members hold (after the cycle just closed), or null. */
  #majorityState(): unknown | null {
    // Keyed by the 64-bit digest, as the boards' votes are (hex: a Map compares keys by value).
    const seen = new Map<string, number>();
    for (const b of this.boards) {
      const st = b.core.state;
      if (b.status !== 'up' || b.core.role !== 'member' || !st) continue;
      const h = digestHex(fnv1a64(this.o.world.workload.encode(st)));
      const n = (seen.get(h) ?? 0) + 1;
      seen.set(h, n);
      if (n >= 2) return this.o.world.workload.decode(this.o.world.workload.encode(st));
    }
    return null;
  }

  #checkBounds(j: number): void {
    const detect = this.o.detectBoundCycles ?? 10;
    for (const f of this.#faults) {
      const detectable = f.kind === 'crash' || f.kind === 'restart' || f.kind.startsWith('partition')
        // A pause spanning three cycle boundaries misses at least two votes (the fault threshold);
        // a shorter one is a late wake the board catches up from its peers' votes.
        || (f.kind === 'pause' && f.endCycle - f.startCycle >= 3);
      if (detectable && j === f.startCycle + detect) {
        const out = this.#outs[f.board]!.find((c) => c >= f.startCycle - 1);
        if (out === undefined) this.#violate(j, 'notDetected', `${f.kind} of board ${f.board} at cycle ${f.startCycle} not voted out within ${detect} cycles`);
        else this.#worstDetect = Math.max(this.#worstDetect, out - f.startCycle);
      }
    }
    if (j === this.o.cycles - 1) this.#checkRejoins(j);
  }

  /** Every board voted out because of a fault is back in the voting set within the bound after repair. */
  #checkRejoins(j: number): void {
    const bound = this.o.rejoinBoundCycles ?? 80;
    for (const w of this.#excused) {
      if (w.to + bound >= j) continue;
      const members = this.boards.map((b) => (b.status === 'up' && b.core.role === 'member' ? b.core.snapshot().members.length : 0));
      if (members.some((n) => n !== 3)) this.#violate(j, 'notReintegrated', `after the rig-wide outage of cycles ${w.from}-${w.to} the boards are not all members again within ${bound} cycles (member counts ${members.join(',')})`);
    }
    for (const s of this.#serviceSpans) {
      const back = this.#ins[s.board]!.find((c) => c >= s.to);
      if (s.to + bound < j && (back === undefined || back - s.to > bound)) this.#violate(j, 'notReintegrated', `board ${s.board} back from service at cycle ${s.to} not in the voting set within ${bound} cycles`);
      else if (back !== undefined) this.#worstRejoin = Math.max(this.#worstRejoin, back - s.to);
    }
    const sorted = this.#faults.filter((f) => !rigWideKinds.has(f.kind)).sort((a, b) => a.startCycle - b.startCycle);
    sorted.forEach((f, i) => {
      const next = sorted.slice(i + 1).find((g) => g.board === f.board)?.startCycle ?? Infinity;
      const out = this.#outs[f.board]!.find((c) => c >= f.startCycle - 1 && c < next);
      if (out === undefined) return;
      let repaired = f.kind === 'crash' || f.kind === 'bitflip' ? f.startCycle : f.endCycle;
      for (const r of this.#reboots[f.board]!) if (r >= f.startCycle && r < next) repaired = Math.max(repaired, r);
      const lastOut = Math.max(...this.#outs[f.board]!.filter((c) => c < next));
      const back = this.#ins[f.board]!.find((c) => c >= lastOut);
      if (back === undefined || back - repaired > bound) {
        if (repaired + bound < Math.min(j, next)) this.#violate(j, 'notReintegrated', `board ${f.board} (${f.kind} at ${f.startCycle}, repaired by ${repaired}) not back in the voting set within ${bound} cycles${back === undefined ? '' : ` (back at ${back})`}`);
      } else this.#worstRejoin = Math.max(this.#worstRejoin, back - repaired);
    });
  }

  run(): SimResult {
    const P = this.P;
    const endT = (this.o.cycles - 1 + gateCloseFrac) * P + 1e-9;
    let gateNext = 0;
    const starts = this.#faults.map((f) => ({ at: (f.startCycle + (f.phase ?? 0)) * P, f, end: false }));
    const ends = this.#faults.map((f) => ({ at: f.endCycle * P, f, end: true }));
    // Operator actions (handover requests, service), in time order.
    const ops = [
      ...(this.o.handovers ?? []).map((h) => ({ at: h.cycle * P + 0.05 * P, run: () => { this.boards[h.board]!.core.requestHandover(h.to); } })),
      ...(this.o.services ?? []).map((s) => ({
        at: (s.cycle + (s.phase ?? 0.05)) * P,
        run: () => {
          const core = this.boards[s.board]!.core;
          const ok = s.action === 'leave' ? core.leaveForService() : core.returnFromService();
          this.#note({ cycle: s.cycle, board: s.board, code: `service:${s.action}`, detail: ok ? 'ok' : 'refused' });
        },
      })),
    ].sort((a, b) => a.at - b.at);
    const fevents = [...starts, ...ends].sort((a, b) => a.at - b.at);
    let fi = 0;
    let lieNext = 0;
    for (;;) {
      let t = gateNext < this.o.cycles ? (gateNext + gateCloseFrac) * P : Infinity;
      let what = 'gate';
      const fAt = fevents[fi]?.at ?? Infinity;
      if (fAt <= t) { t = fAt; what = 'fault'; }
      const opAt = ops[0]?.at ?? Infinity;
      if (opAt < t) { t = opAt; what = 'operator'; }
      let who = -1;
      for (const b of this.boards) {
        const bt = b.status === 'up' ? b.wake : b.status === 'down' ? b.downUntil : b.pausedUntil;
        if (bt < t) { t = bt; who = b.id; what = 'board'; }
      }
      if (t > endT || t === Infinity) break;
      this.#t = t;
      if (what === 'gate') {
        const lie = this.#active('lie', t);
        if (lie && t >= lieNext) { this.boards[lie.board]!.core.flipStateBit(this.rng.int(192)); lieNext = t + P; }
        this.#closeGate(gateNext++);
      } else if (what === 'fault') {
        const ev = fevents[fi++]!;
        if (ev.end) this.#endFault(ev.f);
        else this.#startFault(ev.f);
      } else if (what === 'operator') {
        ops.shift()!.run();
      } else {
        const b = this.boards[who]!;
        if (b.status === 'down') this.#reboot(b);
        else if (b.status === 'paused') { b.status = 'up'; this.#stepBoard(b); }
        else this.#stepBoard(b);
      }
    }
    return {
      seed: this.o.seed,
      violations: this.violations,
      driverByCycle: this.#driver,
      accepted: this.#accepted,
      worstGapCycles: this.#worstGap,
      worstRejoinCycles: this.#worstRejoin,
      worstDetectCycles: this.#worstDetect,
      excusedLostCycles: this.#excusedLost,
      log: this.log,
      msgs: this.#msgs,
      cores: this.boards.map((b) => b.core),
    };
  }
}

export function simulate(o: SimOptions): SimResult {
  return new Simulation(o).run();
}
