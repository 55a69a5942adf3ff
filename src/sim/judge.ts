/**
 * The seeded simulator's referee: what the rig must do, checked from the outside.
 *
 * It knows the ground truth the boards do not: which board is faulty when (the fault plan, and
 * every hold-up the machine injected beyond the protocol's bound), what each board presented to
 * the output stage, and which outputs reached the plant. From the boards it reads only what a lab
 * engineer reads: their event logs.
 *
 * A board is faulty from just before its fault starts until it is back in the voting set after the
 * fault ends (plus a margin of `settleMs` for the counters to settle). While at most one board is
 * faulty (the single-fault hypothesis):
 *   S1 never two drivers in a cycle;
 *   S2 no output reaches the plant without two boards having presented it;
 *   S3 no wrong output: what reaches the plant equals what the healthy boards computed;
 *   L1 no lost cycle;
 *   L2 no healthy board is voted out, fenced, or steps down (no misdiagnosis);
 *   L3 a board whose fault has ended is back in the voting set within `rejoinBoundMs`;
 *   L4 a crashed or hung board is voted out within `detectBoundMs`;
 *   L5 after a rig-wide outage every board is a member again within `reformBoundMs`.
 * While two or more boards are faulty only S1 and S2 hold (and S3 against whichever healthy board
 * is left): lost cycles are excused, and the rig must recover (L3/L5) once the faults end.
 */
import type { LogEvent } from '../eventlog/eventlog.ts';

export interface JudgeOptions {
  boards: readonly string[];
  /** The workload's safe outputs: a rig that drives them is failing safe, not recovered. */
  safeOutputs: readonly number[];
  periodMs: number;
  rejoinBoundMs: number;
  detectBoundMs: number;
  reformBoundMs: number;
  /** After a faulty board is back in, it counts as faulty this much longer (counters decaying). */
  settleMs: number;
}

export interface Violation {
  tMs: number;
  cycle: number;
  /** S1 twoDrivers | S2 noMajority | S3 wrongOutput | healthyDisagree | L1 lostCycle | L2 misdiagnosis | L3 notReintegrated | L4 notDetected | L5 notReformed */
  kind: string;
  detail: string;
}

interface Window {
  board: number;
  fromMs: number;
  /** When the fault itself ended (Infinity: not yet). */
  toMs: number;
  why: string;
  /** First votedIn of this board seen after toMs. */
  backInMs: number | null;
  /** Must be voted out within detectBoundMs (crash, long hang). */
  detect: boolean;
  /** The board restarts: it is out of the voting set until it is back in, vote-out or not. */
  restarts: boolean;
  /**
   * A hold-up of a running board (late wake, GC pause, clock step): it lasts as long as it
   * lasts, and only a vote-out while it lasts makes its board faulty until it is back.
   */
  transient: boolean;
  votedOutMs: number | null;
}

interface RigWindow {
  fromMs: number;
  toMs: number;
  why: string;
  reformedMs: number | null;
}

export interface CycleRecord {
  cycle: number;
  /** When the output stage closed it (true time). */
  tMs: number;
  /** Board index -> the board it selected (null: none). */
  selects: ReadonlyMap<number, number | null>;
  /** Board index -> outputs it presented (not safe outputs). */
  presented: ReadonlyMap<number, readonly number[]>;
}

export interface JudgeReport {
  violations: Violation[];
  cyclesClosed: number;
  lostCycles: number;
  excusedLostCycles: number;
  /** Longest run of cycles without an output outside excused spells. */
  worstGapCycles: number;
  /** Longest time between two outputs reaching the plant (ms), outside excused spells. */
  worstGapMs: number;
  rejoinMs: number[];
  detectMs: number[];
  reformMs: number[];
  dualFaultMs: number;
}

const sameOutputs = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean => {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
};

/** Violations kept per run: the first ones say what went wrong, the rest repeat it. */
const violationsMax = 20;

export class RigJudge {
  readonly o: JudgeOptions;
  readonly violations: Violation[] = [];
  readonly #windows: Window[] = [];
  readonly #rig: RigWindow[] = [];
  readonly #doubles: Array<{ a: Window; b: Window; reformedMs: number | null }> = [];
  #members: Set<number>[] = [];
  #cycles = 0;
  #lost = 0;
  #excusedLost = 0;
  #gapRun = 0;
  #worstGap = 0;
  #worstGapMs = 0;
  #lastOutputMs: number | null = null;
  #lastOutputExcused = false;
  readonly #rejoin: number[] = [];
  readonly #detect: number[] = [];
  readonly #reform: number[] = [];
  #allInSinceMs: number | null = null;
  /** When each board was voted out / voted in (as its peers logged it). */
  readonly #outs: number[][];
  readonly #ins: number[][];
  readonly #inNow: boolean[];
  #drivenSinceMs: number | null = null;

  constructor(o: JudgeOptions) {
    this.o = o;
    this.#members = o.boards.map(() => new Set<number>());
    this.#outs = o.boards.map(() => []);
    this.#ins = o.boards.map(() => []);
    this.#inNow = o.boards.map(() => true);
  }

  #idx(name: unknown): number | null {
    if (typeof name !== 'string') return null;
    const i = this.o.boards.indexOf(name);
    return i < 0 ? null : i;
  }

  violate(tMs: number, kind: string, detail: string): void {
    if (this.violations.length < violationsMax) this.violations.push({ tMs, cycle: Math.floor(tMs / this.o.periodMs), kind, detail });
  }

  /** Board `board` is faulty from `fromMs` until endFault() (or `toMs` if known). Returns a handle. */
  fault(board: number, fromMs: number, why: string, o: { toMs?: number; detect?: boolean; restarts?: boolean; transient?: boolean } = {}): Window {
    const w: Window = {
      board, fromMs, toMs: o.toMs ?? Infinity, why, backInMs: null, detect: o.detect ?? false, restarts: o.restarts ?? false,
      transient: o.transient ?? false, votedOutMs: null,
    };
    // A second board faulty while another still is: outside the single-fault hypothesis. From now
    // until the rig is whole again, lost cycles are excused, and it must recover like after a
    // rig-wide outage (L5).
    for (const x of this.#windows) {
      if (x.board !== board && fromMs >= x.fromMs - this.o.periodMs && fromMs <= this.#windowEnd(x)) {
        this.#doubles.push({ a: x, b: w, reformedMs: null });
        break;
      }
    }
    this.#windows.push(w);
    return w;
  }

  endFault(w: Window, atMs: number): void {
    if (w.toMs === Infinity) w.toMs = atMs;
  }

  /** Every board is affected (power cut, every process held): all excused until the rig re-forms. */
  rigWide(fromMs: number, toMs: number, why: string): RigWindow {
    const r: RigWindow = { fromMs, toMs, why, reformedMs: null };
    this.#rig.push(r);
    return r;
  }

  /** A rig-wide outage opened with toMs = Infinity is over (e.g. every board is running again). */
  endRigWide(r: RigWindow, atMs: number): void {
    if (r.toMs === Infinity) r.toMs = atMs;
  }

  #windowEnd(w: Window): number {
    if (w.toMs === Infinity) return Infinity;
    if (w.transient) {
      const votedOut = w.votedOutMs !== null && w.votedOutMs <= w.toMs + this.o.settleMs;
      if (!votedOut) return w.toMs + this.o.settleMs;
      return w.backInMs !== null ? w.backInMs + this.o.settleMs : w.toMs + this.o.rejoinBoundMs + this.o.settleMs;
    }
    if (w.backInMs !== null) return w.backInMs + this.o.settleMs;
    // Out of the voting set while the fault lasted or when it ended (voted out by it, stepped
    // down because of it, or already out before): faulty until it is back, within the bound.
    // Never out (a fault the others masked): only the settling time after the fault.
    // (Up to the re-form bound: while the rig itself is re-forming there is nothing to rejoin yet;
    // L3 still holds the board to the rejoin bound when its fault was the only one.)
    if (w.restarts || w.votedOutMs !== null || this.#outAt(w.board, w.toMs) || this.#leftBetween(w.board, w.fromMs - this.o.periodMs, w.toMs + this.o.settleMs)) {
      return w.toMs + this.o.reformBoundMs + this.o.settleMs;
    }
    return w.toMs + this.o.settleMs;
  }

  /** Did `board` leave the voting set between fromMs and toMs? */
  #leftBetween(board: number, fromMs: number, toMs: number): boolean {
    for (const t of this.#outs[board]!) if (t >= fromMs && t <= toMs) return true;
    return false;
  }

  /** Was `board` out of the voting set at tMs (its last vote-out before then is later than its last return)? */
  #outAt(board: number, tMs: number): boolean {
    let out = -Infinity;
    for (const t of this.#outs[board]!) if (t <= tMs) out = t;
    let back = -Infinity;
    for (const t of this.#ins[board]!) if (t <= tMs) back = t;
    return out > back;
  }

  /** Do two windows overlap (each from its start to the end of its settling)? */
  #overlap(a: Window, b: Window): boolean {
    return a.fromMs <= this.#windowEnd(b) && b.fromMs <= this.#windowEnd(a);
  }

  isFaulty(board: number, tMs: number): boolean {
    const slack = this.o.periodMs;
    for (const w of this.#windows) if (w.board === board && tMs >= w.fromMs - slack && tMs <= this.#windowEnd(w)) return true;
    return this.#inRigWide(tMs);
  }

  #inRigWide(tMs: number): boolean {
    const within = (fromMs: number, toMs: number, reformedMs: number | null) =>
      tMs >= fromMs - this.o.periodMs && tMs <= (reformedMs !== null ? reformedMs + this.o.settleMs : toMs + this.o.reformBoundMs + this.o.settleMs);
    for (const r of this.#rig) if (within(r.fromMs, r.toMs, r.reformedMs)) return true;
    for (const d of this.#doubles) if (within(Math.max(d.a.fromMs, d.b.fromMs), Math.max(d.a.toMs, d.b.toMs), d.reformedMs)) return true;
    return false;
  }

  /** Rig-wide outages, and spells with two boards faulty at once (from the second one's start). */
  #rigLike(): Array<{ fromMs: number; toMs: number; reformedMs: number | null; why: string; rigWide: boolean; set?: (ms: number) => void }> {
    const out: Array<{ fromMs: number; toMs: number; reformedMs: number | null; why: string; rigWide: boolean; set?: (ms: number) => void }> = [...this.#rig.map((r) => ({ ...r, rigWide: true, set: (ms: number) => { r.reformedMs = ms; } }))];
    for (const d of this.#doubles) {
      out.push({
        fromMs: Math.max(d.a.fromMs, d.b.fromMs), toMs: Math.max(d.a.toMs, d.b.toMs), reformedMs: d.reformedMs,
        why: `${this.o.boards[d.a.board]} (${d.a.why}) and ${this.o.boards[d.b.board]} (${d.b.why}) faulty together`, rigWide: false,
        set: (ms) => { d.reformedMs = ms; },
      });
    }
    return out;
  }

  faultyCount(tMs: number): number {
    if (this.#inRigWide(tMs)) return this.o.boards.length;
    let n = 0;
    for (let b = 0; b < this.o.boards.length; b++) if (this.isFaulty(b, tMs)) n++;
    return n;
  }

  /** An event from board `board`'s log, at true time `tMs`. */
  onEvent(board: number, e: LogEvent, tMs: number): void {
    const target = this.#idx(e.target);
    const single = this.faultyCount(tMs) <= 1;
    const healthy = (x: number) => !this.isFaulty(x, tMs);
    switch (e.kind) {
      case 'votedOut':
        if (target === null) return;
        if (this.#outs[target]!.at(-1) !== tMs) this.#outs[target]!.push(tMs);
        for (const w of this.#windows) if (w.board === target && w.votedOutMs === null && tMs >= w.fromMs - this.o.periodMs) w.votedOutMs = tMs;
        if (single && healthy(board) && healthy(target)) this.violate(tMs, 'misdiagnosis', `${this.o.boards[board]} voted out healthy ${this.o.boards[target]}`);
        return;
      case 'fence':
        if (target !== null && single && healthy(target)) this.violate(tMs, 'misdiagnosis', `${this.o.boards[board]} fenced healthy ${this.o.boards[target]}`);
        return;
      case 'demoted':
        if (single && healthy(board)) this.violate(tMs, 'misdiagnosis', `healthy ${this.o.boards[board]} stepped down (${String(e.detail)})`);
        return;
      case 'reformed':
        // The boards of a re-form become members together, with no vote: back in, each of them.
        if (this.#ins[board]!.at(-1) !== tMs) this.#ins[board]!.push(tMs);
        for (const w of this.#windows) if (w.board === board && w.backInMs === null && tMs >= w.toMs) w.backInMs = tMs;
        return;
      case 'votedIn':
        if (target === null) return;
        if (this.#ins[target]!.at(-1) !== tMs) this.#ins[target]!.push(tMs);
        for (const w of this.#windows) if (w.board === target && w.backInMs === null && tMs >= w.toMs) w.backInMs = tMs;
        return;
      case 'alarm':
        if (e.code === 'failSafe' && single && healthy(board)) this.violate(tMs, 'failSafe', `${this.o.boards[board]} failed safe under a single fault: ${String(e.detail)}`);
        return;
    }
  }

  /** Board `board`'s view of the voting set (from its status), for the re-form check. */
  noteMembers(board: number, members: readonly number[], tMs: number): void {
    this.#members[board] = new Set(members);
  }

  /**
   * After a rig-wide outage the rig has re-formed once every board has been a member, and every
   * cycle driven, for settleMs without a break (boards that were members when the outage ended
   * may still be on their way down).
   */
  #checkReformed(tMs: number, driven: boolean): void {
    const allIn = driven && this.#members.every((m) => m.size === this.o.boards.length);
    if (!allIn) this.#allInSinceMs = null;
    else this.#allInSinceMs ??= tMs;
    if (!driven) this.#drivenSinceMs = null;
    else this.#drivenSinceMs ??= tMs;
    for (const r of this.#rigLike()) {
      // After a rig-wide outage every board must be back; after two faulty boards, the rig must
      // drive again (each board's own return is L3).
      const since0 = r.rigWide ? this.#allInSinceMs : this.#drivenSinceMs;
      if (r.reformedMs !== null || tMs < r.toMs || since0 === null) continue;
      const since = Math.max(since0, r.toMs);
      if (tMs - since >= this.o.settleMs) r.set!(since);
    }
  }

  /**
   * Membership as the voting boards see it (noteMembers, once a cycle): a board leaves the voting
   * set by a vote, by stepping down, or by being left out of a re-form; it is out from the first
   * cycle no member counts it, back when one does.
   */
  #trackMembership(tMs: number): void {
    for (let b = 0; b < this.o.boards.length; b++) {
      const isIn = this.#members.some((m) => m.size > 0 && m.has(b));
      if (isIn === this.#inNow[b]) continue;
      this.#inNow[b] = isIn;
      (isIn ? this.#ins : this.#outs)[b]!.push(tMs);
    }
  }

  /** The output stage closed a cycle. Returns the accepted outputs (null: lost) and the driver. */
  onCycle(c: CycleRecord): { driver: number | null; accepted: readonly number[] | null } {
    this.#cycles++;
    this.#trackMembership(c.tMs);
    const { cycle, tMs } = c;
    const count = new Map<number, number>();
    for (const s of c.selects.values()) if (s !== null) count.set(s, (count.get(s) ?? 0) + 1);
    const drivers = [...count].filter(([, n]) => n >= 2).map(([b]) => b).sort();
    if (drivers.length > 1) this.violate(tMs, 'twoDrivers', `cycle ${cycle}: ${drivers.map((d) => this.o.boards[d]).join(' and ')} each selected by two boards`);
    const driver = drivers.find((d) => c.presented.has(d)) ?? null;
    const accepted = driver === null ? null : c.presented.get(driver)!;
    const startMs = cycle * this.o.periodMs;
    const faulty = Math.max(this.faultyCount(startMs), this.faultyCount(tMs));
    const excused = faulty >= 2;
    if (accepted) {
      let behind = 0;
      for (const o of c.presented.values()) if (sameOutputs(o, accepted)) behind++;
      if (behind < 2) this.violate(tMs, 'noMajority', `cycle ${cycle}: outputs of ${this.o.boards[driver!]} reached the plant with ${behind} board(s) behind them`);
      const healthyOut: (readonly number[])[] = [];
      for (const [b, o] of c.presented) if (!this.isFaulty(b, startMs) && !this.isFaulty(b, tMs)) healthyOut.push(o);
      if (healthyOut.length > 0) {
        if (healthyOut.some((o) => !sameOutputs(o, healthyOut[0]))) this.violate(tMs, 'healthyDisagree', `cycle ${cycle}: healthy boards presented different outputs ${JSON.stringify(healthyOut)}`);
        else if (!sameOutputs(accepted, healthyOut[0])) this.violate(tMs, 'wrongOutput', `cycle ${cycle}: ${JSON.stringify(accepted)} reached the plant, the healthy boards computed ${JSON.stringify(healthyOut[0])}`);
      }
      const last = this.#lastOutputMs;
      if (last !== null && !this.#lastOutputExcused && !excused) this.#worstGapMs = Math.max(this.#worstGapMs, tMs - last);
      this.#lastOutputMs = tMs;
      this.#lastOutputExcused = false;
      this.#gapRun = 0;
    } else {
      this.#lost++;
      if (excused) {
        this.#excusedLost++;
        this.#lastOutputExcused = true;
      } else {
        this.#worstGap = Math.max(this.#worstGap, ++this.#gapRun);
        this.violate(tMs, 'lostCycle', `cycle ${cycle}: no output reached the plant (selects ${JSON.stringify([...c.selects].map(([b, s]) => [this.o.boards[b], s === null ? null : this.o.boards[s]]))}, outputs from ${[...c.presented.keys()].map((b) => this.o.boards[b]).join(',') || 'nobody'})`);
      }
    }
    this.#checkReformed(tMs, accepted !== null && !sameOutputs(accepted, this.o.safeOutputs));
    return { driver, accepted };
  }

  /** The run is over at `endMs`: the liveness bounds of faults that had time to be repaired. */
  finish(endMs: number): JudgeReport {
    for (const w of this.#windows) {
      // Inside a rig-wide outage, or with another board faulty too, single boards are neither
      // detected nor reintegrated on their own: the rig as a whole must recover (L5, and L3 below).
      const alone = !this.#inRigWide(w.fromMs) && this.#windows.every((x) => x.board === w.board || !this.#overlap(w, x));
      if (w.detect && alone && w.fromMs + this.o.detectBoundMs < endMs) {
        if (w.votedOutMs === null || w.votedOutMs - w.fromMs > this.o.detectBoundMs) {
          this.violate(w.fromMs + this.o.detectBoundMs, 'notDetected', `${this.o.boards[w.board]} (${w.why} at ${Math.round(w.fromMs)} ms) not voted out within ${this.o.detectBoundMs} ms`);
        } else this.#detect.push(w.votedOutMs - w.fromMs);
      }
    }
    // L3: each time a board was voted out, it is back within the bound after it was repaired:
    // after the end of every fault of that board that began before it was back (a hang that ends
    // in a watchdog reset, a late wake while it restarts: one spell, over when the last one is).
    for (let board = 0; board < this.o.boards.length; board++) {
      const outs = this.#outs[board]!;
      const ins = this.#ins[board]!;
      const ws = this.#windows.filter((w) => w.board === board);
      let backUntil = -Infinity;
      for (const v of outs) {
        if (v < backUntil) continue; // still out from an earlier vote-out
        const active = ws.filter((w) => v >= w.fromMs - this.o.periodMs && v <= this.#windowEnd(w));
        if (active.length === 0) continue; // a healthy board voted out: L2 said so
        let repairedMs = Math.max(...active.map((w) => w.toMs));
        const spell = [...active];
        // Back: its first return after the vote-out (a partial fault, lossy links say, may let it
        // back in before the fault is over: that is a rejoin in no time, not a miss).
        const back = ins.find((t) => t >= v) ?? null;
        for (;;) {
          const more = ws.filter((w) => !spell.includes(w) && w.fromMs > v && w.fromMs < (back ?? Infinity) && w.toMs > repairedMs);
          if (more.length === 0) break;
          spell.push(...more);
          repairedMs = Math.max(repairedMs, ...more.map((w) => w.toMs));
        }
        backUntil = back ?? Infinity;
        if (repairedMs === Infinity) continue;
        const alone = spell.every((w) => !this.#inRigWide(w.fromMs) && this.#windows.every((x) => x.board === board || !this.#overlap(w, x)));
        const bound = alone ? this.o.rejoinBoundMs : this.o.reformBoundMs;
        const why = spell.map((w) => w.why).join(', then ');
        if (back !== null) {
          const ms = back - repairedMs;
          if (ms > bound) this.violate(back, 'notReintegrated', `${this.o.boards[board]} (${why}, over at ${Math.round(repairedMs)} ms) back in the voting set only after ${Math.round(ms)} ms (bound ${bound} ms)`);
          if (alone) this.#rejoin.push(Math.max(0, ms));
        } else if (repairedMs + bound < endMs) {
          this.violate(repairedMs + bound, 'notReintegrated', `${this.o.boards[board]} (${why}, over at ${Math.round(repairedMs)} ms) not back in the voting set within ${bound} ms`);
        }
      }
    }
    // Outages that overlap (two faulty boards, then a power cut) are one: the rig recovers from
    // the end of the last.
    const rl = this.#rigLike().sort((x, y) => x.fromMs - y.fromMs);
    for (let i = 0; i < rl.length; i++) {
      for (let j = i + 1; j < rl.length; j++) {
        const a = rl[i]!, b = rl[j]!;
        const aEnd = a.reformedMs ?? a.toMs + this.o.reformBoundMs;
        if (b.fromMs <= aEnd && b.toMs > a.toMs) { a.toMs = b.toMs; a.reformedMs = b.reformedMs; }
      }
    }
    for (const r of rl) {
      if (r.reformedMs !== null) {
        this.#reform.push(r.reformedMs - r.toMs);
        if (r.reformedMs - r.toMs > this.o.reformBoundMs) this.violate(r.reformedMs, 'notReformed', `after ${r.why} (over at ${Math.round(r.toMs)} ms) the rig re-formed only after ${Math.round(r.reformedMs - r.toMs)} ms (bound ${this.o.reformBoundMs} ms)`);
      }
      else if (r.toMs + this.o.reformBoundMs < endMs) this.violate(r.toMs + this.o.reformBoundMs, 'notReformed', `after ${r.why} (over at ${Math.round(r.toMs)} ms) the rig did not re-form within ${this.o.reformBoundMs} ms`);
    }
    let dual = 0;
    for (let t = 0; t < endMs; t += this.o.periodMs) if (this.faultyCount(t) >= 2) dual += this.o.periodMs;
    return {
      violations: this.violations, cyclesClosed: this.#cycles, lostCycles: this.#lost, excusedLostCycles: this.#excusedLost,
      worstGapCycles: this.#worstGap, worstGapMs: this.#worstGapMs, rejoinMs: this.#rejoin, detectMs: this.#detect, reformMs: this.#reform,
      dualFaultMs: dual,
    };
  }
}
