import { agreeInputs } from './agree.ts';
import { SkewFilter } from './clock-filter.ts';
import { JOIN_IN_SERVICE, NO_CLAIM, NONE, OFFSET_UNKNOWN, type ChunkMsg, type JoinMsg, type Msg, type ReformMsg, type VoteMsg } from './codec.ts';
import type { VoterConfig } from './config.ts';
import { Fnv64, fnv1a32, sameDigest, type Digest } from './hash.ts';
import type { StepResult, Workload } from '../workload/types.ts';

/**
 * One board's lockstep TMR voter: a pure state machine stepped with the local monotonic time and
 * the messages received since the last step. It never reads a clock, randomness or I/O; it
 * returns effects for the shell (send, present outputs, assert the select line, fence, alarm, log).
 *
 * Cycle k starts at epoch + k*period on this board's clock and has four deadlines:
 *   0        sample own sensors, broadcast Input(k)
 *   input    agree inputs (exact majority / mid-value select over member samples), step the
 *            workload, broadcast OutputVote(k, digest, heard-set, accusations...), present outputs
 *   vote     find the 2-out-of-3 majority digest; a board outvoted steps down; pick the driver:
 *            the highest-ranked member whose digest matches, that heard a majority and that every
 *            vote held heard; broadcast that proposal (Heartbeat frame)
 *   commit   keep the proposal if another board proposed it too, else adopt a peer's proposal that
 *            this board also accepts (so two healthy boards converge when one of them missed a
 *            faulty board's vote); assert select(k, driver); apply agreed membership changes.
 * The output stage passes board X's outputs for cycle k only while >= 2 boards select X: each
 * board selects at most one board, so two boards can never both reach the actuators (2+2 > 3).
 */

export type BoardId = number;
/** 'service': taken out by an operator (leaveForService); follows the grid, never rejoins by itself. */
function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A peer running another workload is said again at most this often (cycles). */
const mismatchRepeatCycles = 1000;

/** Bits tried by flipStateBit before it gives up (fault injection only). */
const flipAttemptsMax = 64;

export type Role = 'member' | 'observer' | 'joining' | 'service';
export type Mode = 'triplex' | 'duplex' | 'failSafe';

export interface Inbound { msg: Msg; rxMs: number }
export interface LocalInputs {
  /** This board's own sensor sample for a cycle (real rig: the latest reading). */
  sensors: (cycle: number) => readonly number[];
  /**
   * This board's own health verdict (watchdog / supervision). While 'degraded', an active board
   * hands the active role to the next-ranked member (it keeps voting: its outputs may be right,
   * it just should not be the one driving).
   */
  health?: 'ok' | 'degraded';
}

export type EventCode =
  | 'demoted' | 'votedOut' | 'votedIn' | 'accuse' | 'handover' | 'caughtUp' | 'snapshotSent'
  | 'snapshotBad' | 'aligned' | 'observing' | 'mode' | 'late' | 'reformProposed' | 'reformed' | 'workloadMismatch';
export type AlarmCode = 'failSafe' | 'sensorDisagree' | 'noMajority';

export type Effect =
  | { kind: 'send'; msg: Msg; to?: BoardId }
  | { kind: 'output'; cycle: number; outputs: readonly number[]; safe: boolean }
  | { kind: 'select'; cycle: number; board: BoardId | null }
  | { kind: 'fence'; cycle: number; board: BoardId }
  | { kind: 'alarm'; cycle: number; code: AlarmCode; board?: BoardId; detail?: string }
  | { kind: 'event'; cycle: number; code: EventCode; board?: BoardId; detail?: string };

/** A cycle's count as the console shows it: each voter's digest and the majority's (Digest objects are never mutated). */
export interface VoteRecord { cycle: number; digests: Record<number, Digest>; majority: Digest | null; selected: number | null }

export interface CoreSnapshot {
  self: BoardId;
  role: Role;
  mode: Mode;
  cycle: number;
  members: BoardId[];
  rankOrder: BoardId[];
  active: BoardId | null;
  faultCounters: number[];
  accused: BoardId[];
  recentVotes: VoteRecord[];
  stats: CoreStats;
}

export interface CoreStats {
  staleMsgs: number;
  badChunks: number;
  demotions: number;
  cyclesDriven: number;
  /** Cycles this board adopted the majority's result because it had agreed other inputs (a sample it missed or got late). */
  inputViewAdopted: number;
}

/** This board's result for a cycle; `fromState` is the state it stepped (for #adoptMajority). */
interface Mine<S> { digest: Digest; outputs: number[]; nextState: S; heardMask: number; fromState: S }
interface Rec<S> {
  cycle: number;
  inputs: Map<number, readonly number[]>;
  votes: Map<number, VoteMsg>;
  proposals: Map<number, { select: number; candMask: number }>;
  mine?: Mine<S>;
  candidates: number[];
  proposal: number;
  majority: Digest | null;
}
interface Decision { remove: number; add: number; active: number }
interface JoinState<S> { state: S; cycle: number; members: number; rank: number[]; failSafe: boolean }
interface Assembly { from: number; snapCycle: number; totalCrc: number; parts: (Uint8Array | undefined)[] }
/** The last state a majority of members confirmed (digest match): what total-loss recovery resumes from. */
interface Confirmed<S> { cycle: number; state: S }
interface PeerJoin { at: number; claimCycle: number; claimDigest: number; ready: boolean }

const bit = (b: number): number => 1 << b;
/** Is d the majority digest? (false when there is none). Digests are objects: never compare them with ===. */
const isMaj = (d: Digest, maj: Digest | null): boolean => maj !== null && sameDigest(d, maj);
function popcount(m: number): number {
  let n = 0;
  for (; m; m &= m - 1) n++;
  return n;
}
const chunksMax = 256;
/** Consecutive cycles an observer's skew must stay out of bounds before it jumps and starts over. */
const observerSkewCyclesMax = 3;
/** Consecutive cycles both peers must see a member's cycle start out of bounds before it steps down. */
const memberSkewCyclesMax = 3;
/** Cycles of records a member keeps beyond the late tolerance (late duplicates of older cycles are dropped). */
const memberKeepCycles = 4;

export class BoardCore<S> {
  readonly cfg: VoterConfig;
  readonly wl: Workload<S>;
  readonly self: BoardId;
  #role: Role;
  #aligned: boolean;
  #epochMs: number;
  #nextCycle = 0;
  #nextPhase = 0;
  #lastStepMs = 0;
  #state: S | null;
  #members: number;
  #rank: number[];
  #failSafe = false;
  /** Cycles counted in fail-safe (see failSafeHoldCycles). */
  #failSafeCycles = 0;
  #fault: number[];
  /** The cycle each peer was last said to run another workload (-Infinity: never). */
  readonly #mismatchSaid: number[];
  /** Consecutive cycles each peer's vote differed from the majority only through its inputs (see #onCount). */
  #viewDiff: number[];
  #accuse = 0;
  #admit = 0;
  #clean: number[];
  #proposeActive = NONE;
  #handoverToSend = NONE;
  #noMajStreak = 0;
  #recs = new Map<number, Rec<S>>();
  /** Latest measured offset of each peer's cycle start (ms), and each peer's measurement of ours. */
  #measured: number[];
  /** Each peer's cycle-start offset, from the least delayed of its recent Inputs. */
  readonly #skew: SkewFilter;
  #joinSeen: number[];
  #snapshotFor = new Set<number>();
  #snapSent: number[];
  #joinSentCycle = -Infinity;
  #join: JoinState<S> | null = null;
  #asm: Assembly | null = null;
  #pending: Decision | null = null;
  #fenceNext: number[] = [];
  #sensorBad: boolean[];
  #recent: VoteRecord[] = [];
  /** Where effects go: the array the next step() returns (calls between steps add to it too). */
  #fx: Effect[] = [];
  /** Cycle whose live phases were missed (late wake): it is computed from the peers' votes instead. */
  #offCycle = -1;
  /** Why the last late compute could not be caught up live (for the 'late' event). */
  #lateComputeWhyNot = '';
  #lateScore = 0;
  /** Consecutive cycles whose measured skew was beyond clockSkewMaxMs. */
  #skewOutCycles = 0;
  #confirmed: Confirmed<S> | null = null;
  /** Non-member: cycles since a live voting set was last seen (a proposal naming a driver). */
  #quiet = 0;
  #peerJoin: (PeerJoin | null)[];
  #reform: ReformMsg | null = null;
  #reformSentCycle = -Infinity;
  #listenSinceMs = NaN;
  /** Rank index of the board whose cycle grid this board follows (-1: a live rig's lockstep traffic). */
  #gridRank = Infinity;
  readonly stats: CoreStats = { staleMsgs: 0, badChunks: 0, demotions: 0, cyclesDriven: 0, inputViewAdopted: 0 };

  constructor(cfg: VoterConfig, workload: Workload<S>) {
    this.cfg = cfg;
    this.wl = workload;
    this.self = cfg.self;
    const n = cfg.boards;
    this.#epochMs = cfg.epochStartMs;
    this.#rank = [...cfg.rankOrder];
    this.#fault = new Array<number>(n).fill(0);
    this.#viewDiff = new Array<number>(n).fill(0);
    this.#mismatchSaid = new Array<number>(n).fill(-Infinity);
    this.#clean = new Array<number>(n).fill(0);
    this.#joinSeen = new Array<number>(n).fill(-Infinity);
    this.#snapSent = new Array<number>(n).fill(-Infinity);
    this.#sensorBad = new Array<boolean>(n).fill(false);
    this.#measured = new Array<number>(n).fill(NaN);
    this.#skew = new SkewFilter(n);
    this.#peerJoin = new Array<PeerJoin | null>(n).fill(null);
    if (cfg.startAs === 'member') {
      this.#role = 'member';
      this.#aligned = true;
      this.#gridRank = -1;
      this.#state = workload.init();
      this.#members = (1 << n) - 1;
    } else {
      this.#role = 'joining';
      this.#aligned = false;
      this.#state = null;
      this.#members = 0;
    }
  }

  get role(): Role { return this.#role; }
  get members(): number { return this.#members; }
  get mode(): Mode {
    if (this.#failSafe) return 'failSafe';
    return popcount(this.#members) >= 3 ? 'triplex' : 'duplex';
  }
  get state(): S | null { return this.#state; }
  /** The next cycle this board will run (cheap: for the shell's per-tick bookkeeping). */
  get cycle(): number { return this.#nextCycle; }
  /** The active board (the highest-ranked member), or null: snapshot().active without the copy. */
  get active(): BoardId | null {
    for (const b of this.#rank) if (this.#members & bit(b)) return b;
    return null;
  }
  /** The cycle of the newest vote record (-1: none yet). */
  get lastVoteCycle(): number {
    return this.#recent.length ? this.#recent[this.#recent.length - 1]!.cycle : -1;
  }
  /** Vote records newer than `cycle`, oldest first (the shell keeps its own copies). */
  votesAfter(cycle: number): VoteRecord[] {
    const out: VoteRecord[] = [];
    for (const r of this.#recent) if (r.cycle > cycle) out.push({ ...r, digests: { ...r.digests } });
    return out;
  }
  /** The votes heard for cycle c while its record is kept (an outvoted board's last vote is never committed: forensics reads it here). */
  votesOfCycle(c: number): VoteRecord | null {
    const r = this.#recs.get(c);
    if (!r) return null;
    const digests: Record<number, Digest> = {};
    for (const [b, v] of r.votes) digests[b] = v.digest;
    if (r.mine && digests[this.self] === undefined) digests[this.self] = r.mine.digest;
    return { cycle: c, digests, majority: r.majority ?? null, selected: null };
  }
  /** Local time at which this board's cycle 0 starts (its cycle grid), for diagnostics and the simulator's referee. */
  get epochMs(): number { return this.#epochMs; }

  /** Local time at which this core next needs a step (a phase deadline). */
  nextWakeMs(): number {
    if (!this.#aligned) return this.#lastStepMs + this.cfg.periodMs;
    return this.#deadline(this.#nextCycle, this.#nextPhase);
  }

  /**
   * Ask the rig to hand the active role to `to` (default: the next-ranked member) at a cycle
   * boundary. Takes effect once a majority of members propose it in their votes. Returns false
   * (and changes nothing) when this board is not a member or the target is not a member.
   */
  requestHandover(to?: BoardId): boolean {
    if (this.#role !== 'member') return false;
    const members = this.#rank.filter((b) => this.#members & bit(b));
    const target = to ?? members[1];
    if (target === undefined || !(this.#members & bit(target)) || target === members[0]) return false;
    this.#proposeActive = target;
    this.#handoverToSend = target;
    return true;
  }

  /**
   * Take this board out of the voting set for service (maintenance button, console, orderly
   * shutdown). It steps down at once and says so in a Join marked JOIN_IN_SERVICE: the peers vote
   * it out as a board that left on its own (no fence) and send it no snapshot. It keeps following
   * the rig's cycle grid, and never rejoins or re-forms until returnFromService(). Refused (false,
   * nothing changed) when already in service, or when this board is one of fewer than three
   * members: the board left behind could not drive alone. The Join goes out with the next step.
   */
  leaveForService(): boolean {
    if (this.#role === 'service' || (this.#role === 'member' && popcount(this.#members) < 3)) return false;
    const c = this.#nextCycle;
    this.#demote('leftForService', c);
    this.#role = 'service';
    this.#announceService(c);
    return true;
  }

  /** Back from service: rejoin as a restarted board does (snapshot, observer, voted in when clean). */
  returnFromService(): boolean {
    if (this.#role !== 'service') return false;
    this.#role = 'joining';
    // Ask for a snapshot at the next cycle start; re-form only after a fresh quiet spell.
    this.#joinSentCycle = -Infinity;
    this.#quiet = 0;
    return true;
  }

  /** Fault injection: flip one bit of the encoded workload state (index taken modulo its size). */
  flipStateBit(bitIndex: number): boolean {
    if (this.#state === null || this.#role === 'joining') return false;
    // A flipped bit of a self-describing encoding (CBOR) may not decode at all: the next bits are
    // tried, a bounded number of times, so the fault stays a state that is wrong but valid.
    const flip = (st: S): S | null => {
      const clean = this.wl.encode(st);
      const bits = clean.length * 8;
      for (let k = 0; k < flipAttemptsMax && k < bits; k++) {
        const bytes = clean.slice();
        const i = (((bitIndex + k) % bits) + bits) % bits;
        bytes[i >> 3] = bytes[i >> 3]! ^ (1 << (i & 7));
        try {
          return this.wl.decode(bytes);
        } catch {
          /* not a valid encoding: try the next bit */
        }
      }
      return null;
    };
    const flipped = flip(this.#state);
    if (flipped === null) return false;
    this.#state = flipped;
    // Between compute and count the state that carries on is the one just computed: corrupt it
    // too, or the flip would be overwritten at the count and change nothing.
    const r = this.#nextPhase === 2 ? this.#recs.get(this.#nextCycle) : undefined;
    if (r?.mine) r.mine.nextState = flip(r.mine.nextState) ?? r.mine.nextState;
    return true;
  }

  snapshot(): CoreSnapshot {
    const members = this.#rank.filter((b) => this.#members & bit(b));
    return {
      self: this.self,
      role: this.#role,
      mode: this.mode,
      cycle: this.#nextCycle,
      members: [...members].sort(),
      rankOrder: [...this.#rank],
      active: members[0] ?? null,
      faultCounters: [...this.#fault],
      accused: [0, 1, 2].filter((b) => this.#accuse & bit(b)),
      recentVotes: this.#recent.map((r) => ({ ...r, digests: { ...r.digests } })),
      stats: { ...this.stats },
    };
  }

  step(nowMs: number, inbox: readonly Inbound[], local: LocalInputs): Effect[] {
    const fx = this.#fx;
    try {
      this.#advance(nowMs, inbox, local);
    } finally {
      this.#fx = [];
    }
    return fx;
  }

  // ---------------------------------------------------------------- internals

  #advance(nowMs: number, inbox: readonly Inbound[], local: LocalInputs): void {
    this.#lastStepMs = nowMs;
    if (this.#handoverToSend !== NONE) {
      this.#send({ t: 'handover', from: this.self, cycle: this.#nextCycle, to: this.#handoverToSend });
      this.#handoverToSend = NONE;
    }
    for (const m of inbox) this.#receive(m.msg, m.rxMs);
    if (!this.#aligned) {
      // Cold start: listen for a rig (or a peer that is also starting) before using our own grid.
      if (Number.isNaN(this.#listenSinceMs)) this.#listenSinceMs = nowMs;
      if (nowMs - this.#listenSinceMs < this.cfg.listenCycles * this.cfg.periodMs) return;
      this.#ownGrid(nowMs);
    }
    if (local.health === 'degraded' && this.#role === 'member' && this.#proposeActive === NONE
      && this.#rank.find((b) => this.#members & bit(b)) === this.self && this.requestHandover()) {
      this.#event(this.#nextCycle, 'handover', this.#proposeActive, 'requested: local health degraded');
      this.#send({ t: 'handover', from: this.self, cycle: this.#nextCycle, to: this.#handoverToSend });
      this.#handoverToSend = NONE;
    }
    const P = this.cfg.periodMs;
    for (let guard = 0; guard < 96; guard++) {
      const c = this.#nextCycle;
      const p = this.#nextPhase;
      const dl = this.#deadline(c, p);
      if (nowMs < dl) break;
      // Count and commit of a cycle this member voted in on time may run late until the next
      // cycle starts: its select still reaches the output stage in time, and a commit without
      // the peers' proposals is what a lost proposal already gives (own proposal).
      // ... and until the output stage gives up on the cycle (outputDeadlineFrac). The typical
      // delay, not the bound, decides whether it is worth it: a select or vote that arrives too
      // late after all is ignored, never harmful.
      const lateCountOk = p >= 2 && this.#role === 'member' && this.#recs.get(c)?.mine !== undefined
        && nowMs <= this.#epochMs + (c + this.cfg.outputDeadlineFrac) * P - this.cfg.msgDelayNominalMs;
      // A compute run late, with this board's input out on time, still counts if its vote can
      // reach the peers before their commit (they recount then): see #lateCompute.
      const voting = this.#role === 'member' || this.#role === 'observer';
      if (p === 1 && voting && nowMs - dl > this.cfg.lateMaxMs && this.#offCycle !== c
        && nowMs <= this.#deadline(c, 3) - this.cfg.msgDelayNominalMs && this.#lateCompute(c)) {
        this.#lateScore++;
        this.#event(c, 'late', this.self, `phase 1 ${Math.round((nowMs - dl) * 10) / 10} ms late: computed with the peers' agreed inputs`);
        if (++this.#nextPhase === 4) { this.#nextPhase = 0; this.#nextCycle++; }
        continue;
      }
      if (nowMs - dl > this.cfg.lateMaxMs && this.#offCycle !== c && !lateCountOk) {
        // Missed a sync point (pause, starvation, the OS delaying the process). A voting board that is
        // at most lateToleranceCycles behind sends nothing stale for this cycle and computes it
        // from its peers' votes (#resolveMissed); the peers count its missing vote as a fault, so
        // a board that is late alone again and again is voted out, and its own late score makes
        // it step down. Further behind (or not a member), it rejoins through a snapshot.
        const behindMs = nowMs - this.#deadline(c, 0);
        // An observer proving itself is tolerated the same way: a late wake costs it its clean
        // cycles so far (its peers see a vote missing), not its snapshot.
        const tolerate = voting && behindMs <= this.cfg.lateToleranceCycles * P
          && this.#lateScore + 1 < this.cfg.lateBudgetCycles;
        if (!tolerate) {
          if (this.#role === 'member' || this.#role === 'observer') this.#demote(this.#role === 'member' && behindMs <= this.cfg.lateToleranceCycles * P ? 'persistentlyLate' : 'missedSync', c);
          this.#nextCycle = Math.floor((nowMs - this.#epochMs) / P) + 1;
          this.#nextPhase = 0;
          continue;
        }
        this.#offCycle = c;
        this.#lateScore++;
        this.#event(c, 'late', this.self, `phase ${p} ${Math.round((nowMs - dl) * 10) / 10} ms late${p === 1 && this.#lateComputeWhyNot ? `: ${this.#lateComputeWhyNot}` : ''}`);
        this.#lateComputeWhyNot = '';
      }
      if (this.#offCycle === c && (this.#role === 'member' || this.#role === 'observer')) {
        if (p === 2) this.#resolveMissed(c);
        else if (p === 3) this.#applyPending(c);
      } else this.#runPhase(c, p, local);
      if (++this.#nextPhase === 4) { this.#nextPhase = 0; this.#nextCycle++; }
    }
  }

  #deadline(c: number, p: number): number {
    const P = this.cfg.periodMs;
    const f = p === 0 ? 0 : p === 1 ? this.cfg.inputDeadlineFrac : p === 2 ? this.cfg.voteDeadlineFrac : this.cfg.commitDeadlineFrac;
    return this.#epochMs + (c + f) * P;
  }

  #send(msg: Msg, to?: BoardId): void {
    this.#fx.push(to === undefined ? { kind: 'send', msg } : { kind: 'send', msg, to });
  }
  #event(cycle: number, code: EventCode, board?: BoardId, detail?: string): void {
    const e: Effect = { kind: 'event', cycle, code };
    if (board !== undefined) e.board = board;
    if (detail !== undefined) e.detail = detail;
    this.#fx.push(e);
  }
  #alarm(cycle: number, code: AlarmCode, board?: BoardId, detail?: string): void {
    const e: Effect = { kind: 'alarm', cycle, code };
    if (board !== undefined) e.board = board;
    if (detail !== undefined) e.detail = detail;
    this.#fx.push(e);
  }

  #rec(cycle: number): Rec<S> {
    let r = this.#recs.get(cycle);
    if (!r) {
      r = { cycle, inputs: new Map(), votes: new Map(), proposals: new Map(), candidates: [], proposal: NONE, majority: null };
      this.#recs.set(cycle, r);
    }
    return r;
  }

  #keepCycles(): number {
    return this.#role === 'joining' ? this.cfg.catchupCyclesMax : memberKeepCycles + this.cfg.lateToleranceCycles;
  }

  #receive(msg: Msg, rxMs: number): void {
    const from = msg.from;
    if (from === this.self || !(from >= 0 && from < this.cfg.boards)) return;
    const P = this.cfg.periodMs;
    if (this.#role === 'joining' || this.#role === 'service') {
      // A (re)started board learns the cycle numbering from the lockstep messages of a rig it
      // hears (inputs go out at the cycle start, votes at the input deadline); with no rig, from
      // the join requests of a higher-ranked board that is starting too (sent at its cycle start).
      if ((msg.t === 'input' || msg.t === 'vote') && this.#gridRank >= 0) {
        this.#alignTo(rxMs, msg.cycle + (msg.t === 'input' ? 0 : this.cfg.inputDeadlineFrac), -1, from);
      } else if (msg.t === 'join' && msg.ready !== JOIN_IN_SERVICE && this.#rankIdx(from) < this.#gridRank) {
        // Following a lower-ranked board's grid, my own joins now speak for it with my rank (no ping-pong).
        this.#alignTo(rxMs, msg.cycle, Math.min(this.#rankIdx(from), this.#rankIdx(this.self)), from);
      }
    }
    if (msg.t === 'join' && msg.workloadId !== (this.wl.id ?? 0)) {
      // Another workload (name, version or code): never a peer of this one. Said once in a while,
      // for the console and the log, and dropped before anything else looks at it.
      if (!(this.#nextCycle - this.#mismatchSaid[from]! < mismatchRepeatCycles)) {
        this.#mismatchSaid[from] = this.#nextCycle;
        this.#event(this.#nextCycle, 'workloadMismatch', from, `its workload id ${msg.workloadId.toString(16)} is not mine (${(this.wl.id ?? 0).toString(16)}): load the same workload module on every board`);
      }
      return;
    }
    if (!this.#aligned) return;
    switch (msg.t) {
      case 'input': case 'vote': case 'proposal': {
        if (msg.cycle < this.#nextCycle - this.#keepCycles() || msg.cycle > this.#nextCycle + 2) { this.stats.staleMsgs++; return; }
        // A proposal naming a driver means a voting set is alive somewhere: no re-form.
        if (msg.t === 'proposal' && msg.select !== NONE) this.#quiet = 0;
        const r = this.#rec(msg.cycle);
        if (msg.t === 'input') {
          if (r.inputs.has(from)) return;
          r.inputs.set(from, msg.values);
          const m = rxMs - this.cfg.msgDelayNominalMs - (this.#epochMs + msg.cycle * P);
          this.#measured[from] = m;
          const o = msg.offsetsUs[this.self];
          this.#skew.add(from, msg.cycle, m, o === undefined || o === OFFSET_UNKNOWN ? NaN : o / 1000);
        } else if (msg.t === 'vote') {
          if (!r.votes.has(from)) r.votes.set(from, msg);
        } else if (!r.proposals.has(from)) r.proposals.set(from, { select: msg.select, candMask: msg.candMask });
        return;
      }
      case 'join':
        // A fresh Join (service ones included) is also what keeps #apply from fencing its sender.
        this.#joinSeen[from] = this.#nextCycle;
        this.#peerJoin[from] = { at: this.#nextCycle, claimCycle: msg.claimCycle, claimDigest: msg.claimDigest, ready: msg.ready === 1 };
        if (this.#role !== 'member') return;
        if (this.#members & bit(from)) {
          // A member asking to rejoin (or going out for service) has left the lockstep on its
          // own: vote it out (no fence).
          this.#fault[from] = Math.max(this.#fault[from]!, this.cfg.faultThreshold);
          this.#accuse |= bit(from);
          // Its snapshot goes out as soon as the vote-out is applied, not a join retry later.
          if (msg.ready !== JOIN_IN_SERVICE) this.#snapshotFor.add(from);
        } else if (msg.ready === JOIN_IN_SERVICE) {
          // An observer about to be admitted must not be voted in while it is out for service.
          this.#snapshotFor.delete(from);
          this.#admit &= ~bit(from);
          this.#clean[from] = 0;
        } else this.#snapshotFor.add(from);
        return;
      case 'chunk':
        // A newer snapshot replaces one whose catch-up is still under way: that one may be stuck
        // on a cycle whose votes it never got (lost while its links were lossy), and would
        // otherwise be given up only catchupCyclesMax / 2 cycles later (swarm seed 1756).
        if (msg.to === this.self && this.#role === 'joining' && (this.#join === null || msg.snapCycle > this.#join.cycle)) {
          this.#quiet = 0;
          this.#onChunk(msg);
        }
        return;
      case 'reform':
        this.#onReform(msg);
        return;
      case 'handover':
        if (this.#role === 'member' && (this.#members & bit(msg.to))) this.#proposeActive = msg.to;
        return;
    }
  }

  #runPhase(c: number, p: number, local: LocalInputs): void {
    if (p === 0) this.#onStart(c, local);
    else if (this.#role === 'service') return; // out of the lockstep: only its cycle start (the Join) runs
    else if (this.#role === 'joining') { if (p === 3) this.#catchUp(c); }
    else if (p === 1) this.#onCompute(c);
    else if (p === 2) this.#onCount(c);
    else this.#onCommit(c);
  }

  #rankIdx(b: number): number {
    return this.cfg.rankOrder.indexOf(b);
  }

  /** Follow the cycle grid on which `anchorCycle` (a fractional cycle) started one nominal delay before rxMs. */
  #alignTo(rxMs: number, anchorCycle: number, gridRank: number, from: number): void {
    const P = this.cfg.periodMs;
    const epoch = rxMs - this.cfg.msgDelayNominalMs - anchorCycle * P;
    const cycleNow = Math.floor((rxMs - epoch) / P);
    this.#gridRank = gridRank;
    if (this.#aligned && Math.abs(epoch - this.#epochMs) <= this.cfg.clockSkewMaxMs) return;
    // A sub-period correction keeps the cycle numbering: a re-form agreed on it still holds.
    if (!this.#aligned || Math.abs(epoch - this.#epochMs) >= P / 2) this.#reform = null;
    this.#epochMs = epoch;
    this.#skew.clear();
    this.#aligned = true;
    // Run the cycle that just started if its start is within the late bound (a re-form may start on it).
    this.#nextCycle = rxMs - (epoch + cycleNow * P) <= this.cfg.lateMaxMs ? cycleNow : cycleNow + 1;
    this.#nextPhase = 0;
    this.#recs.clear();
    this.#join = null;
    this.#asm = null;
    this.#event(this.#nextCycle, 'aligned', from, gridRank < 0 ? 'to the rig' : 'to a starting peer');
  }

  /** Nobody heard within the listen window: start our own grid (epochStartMs, cycle numbers >= 1). */
  #ownGrid(nowMs: number): void {
    const P = this.cfg.periodMs;
    let epoch = this.cfg.epochStartMs;
    const k = Math.floor((nowMs - epoch) / P);
    if (k < 1) epoch -= (1 - k) * P;
    this.#epochMs = epoch;
    this.#skew.clear();
    this.#aligned = true;
    this.#gridRank = this.#rankIdx(this.self);
    this.#nextCycle = Math.floor((nowMs - epoch) / P) + 1;
    this.#nextPhase = 0;
    this.#event(this.#nextCycle, 'aligned', this.self, 'own grid: nobody heard');
  }

  /** 32 bits, unlike the vote digest: a false match is caught by the first votes (see JoinMsg). */
  #claimDigest(c: Confirmed<S>): number {
    return fnv1a32(this.wl.encode(c.state));
  }

  #joinMsg(c: number, ready: JoinMsg['ready']): JoinMsg {
    const conf = this.#confirmed;
    return {
      t: 'join', from: this.self, cycle: c, ready,
      claimCycle: conf ? conf.cycle : NO_CLAIM, claimDigest: conf ? this.#claimDigest(conf) : 0,
      workloadId: this.wl.id ?? 0,
    };
  }

  #holdsClaim(claimCycle: number, claimDigest: number): boolean {
    if (claimCycle === NO_CLAIM) return true;
    const conf = this.#confirmed;
    return conf !== null && conf.cycle === claimCycle && this.#claimDigest(conf) === claimDigest;
  }

  /**
   * Total-loss recovery, proposer side. Only the highest-ranked of the ready boards heard
   * proposes: the most advanced state that at least two boards hold (a majority of the rig),
   * else the workload's init state for every ready board (power-on of the whole rig). At least
   * two boards must be in the new set; the others rejoin through a snapshot as usual.
   */
  #maybePropose(c: number): void {
    // Not again before the last proposal could have started (a new one would replace it).
    if (c - this.#reformSentCycle < Math.max(this.cfg.joinRetryCycles, this.cfg.reformLeadCycles + 1)) return;
    const fresh = c - 2 * this.cfg.joinRetryCycles - 1;
    const ready: number[] = [this.self];
    for (let b = 0; b < this.cfg.boards; b++) {
      const j = this.#peerJoin[b];
      if (b !== this.self && j && j.ready && j.at >= fresh) ready.push(b);
    }
    if (ready.length < 2 || ready.some((b) => this.#rankIdx(b) < this.#rankIdx(this.self))) return;
    const mine = this.#joinMsg(c, 1);
    const claimOf = (b: number) => (b === this.self ? mine : this.#peerJoin[b]!);
    let best: { claimCycle: number; claimDigest: number; mask: number } | null = null;
    for (const a of ready) {
      const ca = claimOf(a);
      if (ca.claimCycle === NO_CLAIM || (best && ca.claimCycle <= best.claimCycle)) continue;
      let mask = 0;
      for (const b of ready) {
        const cb = claimOf(b);
        if (cb.claimCycle === ca.claimCycle && cb.claimDigest === ca.claimDigest) mask |= bit(b);
      }
      if (popcount(mask) >= 2) best = { claimCycle: ca.claimCycle, claimDigest: ca.claimDigest, mask };
    }
    if (!best) best = { claimCycle: NO_CLAIM, claimDigest: 0, mask: ready.reduce((m, b) => m | bit(b), 0) };
    const msg: ReformMsg = {
      t: 'reform', from: this.self, cycle: c, startCycle: c + this.cfg.reformLeadCycles, membersMask: best.mask,
      claimCycle: best.claimCycle, claimDigest: best.claimDigest,
    };
    this.#reformSentCycle = c;
    this.#send(msg);
    this.#event(c, 'reformProposed', undefined, `members ${[0, 1, 2].filter((b) => best.mask & bit(b)).join(',')} from ${best.claimCycle === NO_CLAIM ? 'the init state' : `the state of cycle ${best.claimCycle}`} at cycle ${msg.startCycle}`);
    this.#onReform(msg);
  }

  /** Accept a re-form proposal: I am in it, ready, hold its state, and its proposer outranks any other. */
  #onReform(m: ReformMsg): void {
    // A proposal from a higher-ranked board cancels any I hold (mine included), even if it leaves me out.
    if (this.#reform && this.#rankIdx(m.from) < this.#rankIdx(this.#reform.from)) this.#reform = null;
    if (this.#role !== 'joining' || !(m.membersMask & bit(this.self)) || popcount(m.membersMask) < 2) return;
    if (this.#quiet < this.cfg.reformQuietCycles || Math.abs(m.cycle - this.#nextCycle) > 1 || m.startCycle <= this.#nextCycle) return;
    if (!this.#holdsClaim(m.claimCycle, m.claimDigest)) return;
    if (this.#reform && this.#rankIdx(this.#reform.from) < this.#rankIdx(m.from)) return;
    this.#reform = m;
  }

  #startReformed(c: number): void {
    const m = this.#reform!;
    this.#reform = null;
    if (c !== m.startCycle || this.#quiet < this.cfg.reformQuietCycles || !this.#holdsClaim(m.claimCycle, m.claimDigest)) return;
    const conf = this.#confirmed;
    this.#state = m.claimCycle === NO_CLAIM || !conf ? this.wl.init() : conf.state;
    this.#confirmed = m.claimCycle === NO_CLAIM ? null : conf;
    this.#role = 'member';
    this.#members = m.membersMask;
    this.#rank = [...this.cfg.rankOrder];
    this.#failSafe = false;
    this.#failSafeCycles = 0;
    this.#fault.fill(0);
    this.#clean.fill(0);
    this.#accuse = 0;
    this.#admit = 0;
    this.#noMajStreak = 0;
    this.#lateScore = 0;
    this.#join = null;
    this.#asm = null;
    this.#pending = null;
    this.#recs.clear();
    this.#event(c, 'reformed', m.from, `members ${[0, 1, 2].filter((b) => m.membersMask & bit(b)).join(',')}, ${m.claimCycle === NO_CLAIM ? 'init state' : `state of cycle ${m.claimCycle}`}`);
  }

  #confirm(c: number, state: S): void {
    this.#confirmed = { cycle: c, state };
  }

  /**
   * A cycle this member missed (late wake). Votes of the peers that ran it on time are in hand
   * (they were due before the vote deadline). Majority digest: replay its agreed inputs and check
   * the digest. No majority but some member's vote: adopt the highest-ranked one if it replays
   * (then a board that ran the cycle alone and the late ones stay in step). No vote at all: nobody
   * computed the cycle, so every board leaves its state as it was (the rig lost that cycle).
   */
  #resolveMissed(c: number): void {
    const r = this.#rec(c);
    const members = this.#members;
    const votes = this.#memberVotes(r, members);
    const maj = this.#settle(r, votes, this.#majority(votes));
    r.majority = maj;
    this.#pending = this.#decide(votes, members);
    if (this.#failSafe) return;
    const mine = r.mine;
    if (mine) {
      if (maj !== null && !sameDigest(r.mine!.digest, maj)) { this.#demote('outvoted', c); return; }
      this.#state = r.mine!.nextState;
      if (maj !== null) this.#confirm(c, r.mine!.nextState);
      return;
    }
    let v = maj === null ? undefined : votes.find((u) => sameDigest(u.digest, maj));
    if (!v) for (const b of this.#rank) if (!v && b !== this.self && members & bit(b)) v = r.votes.get(b);
    if (!v) return;
    const res = this.wl.step(this.#state!, v.inputs);
    if (!sameDigest(this.#digest(v.inputs, res.outputs, res.state), v.digest)) {
      // My state differs from the majority's: step down. From a lone vote: keep mine, the
      // next cycle's vote shows which of us diverged.
      if (maj !== null) this.#demote('catchUpMismatch', c);
      return;
    }
    this.#state = res.state;
    if (maj !== null) this.#confirm(c, res.state);
  }

  #onStart(c: number, local: LocalInputs): void {
    const keep = this.#keepCycles();
    for (const k of this.#recs.keys()) if (k < c - keep) this.#recs.delete(k);
    for (const x of this.#fenceNext) this.#fx.push({ kind: 'fence', cycle: c - 1, board: x });
    this.#fenceNext = [];
    const offsetsUs = this.#measured.map((m) => (Number.isNaN(m) ? OFFSET_UNKNOWN : m * 1000));
    this.#resync();
    if (this.#role === 'service') {
      // Until the peers' votes stop counting me, say it every cycle: a peer that missed the first
      // Join would take my silence for a crash, and its accusation could then end in a fence.
      if (c - this.#joinSentCycle >= this.cfg.joinRetryCycles || (c > this.#joinSentCycle && this.#countedByPeers(c - 1))) this.#announceService(c);
      return;
    }
    if (this.#role === 'joining' && this.#reform && c >= this.#reform.startCycle) this.#startReformed(c);
    if (this.#role === 'joining') {
      this.#quiet++;
      const ready = this.#quiet >= this.cfg.reformQuietCycles;
      // No live rig any more: the grid it left behind counts for nothing. Follow the
      // highest-ranked board that is starting too (as at a cold start), so that the boards that
      // re-form number their cycles alike even if one of them had drifted off the old grid.
      if (ready && this.#gridRank < 0) this.#gridRank = this.#rankIdx(this.self);
      if (c - this.#joinSentCycle >= this.cfg.joinRetryCycles || this.#quiet === this.cfg.reformQuietCycles) {
        this.#joinSentCycle = c;
        this.#send(this.#joinMsg(c, ready ? 1 : 0));
      }
      if (ready) this.#maybePropose(c);
      return;
    }
    this.#lateScore = Math.max(0, this.#lateScore - this.cfg.faultDecayPerCycle);
    const values = [...local.sensors(c)];
    this.#rec(c).inputs.set(this.self, values);
    this.#send({ t: 'input', from: this.self, cycle: c, values, offsetsUs });
  }

  #announceService(c: number): void {
    this.#joinSentCycle = c;
    this.#send(this.#joinMsg(c, JOIN_IN_SERVICE));
  }

  /** Did a peer's vote for cycle k still count this board as a member? */
  #countedByPeers(k: number): boolean {
    const r = this.#recs.get(k);
    if (!r) return false;
    for (const v of r.votes.values()) if (v.from !== this.self && v.membersMask & bit(this.self)) return true;
    return false;
  }

  /**
   * Fault-tolerant resync: move this board's cycle start by a bounded step towards the median of
   * {own offset 0, offsets of member peers}, so one drifting board cannot drag the others. Each
   * peer's offset comes from the least delayed of its recent Inputs (SkewFilter): the one-way
   * delay cancels (so a wrong msgDelayNominalMs cannot make all boards creep together), and a
   * message that a late process sent or read late does not read as skew.
   */
  #resync(): void {
    const xs: number[] = this.#role === 'member' ? [0] : [];
    for (let b = 0; b < this.cfg.boards; b++) {
      if (b === this.self) continue;
      if (!(this.#members & bit(b)) && this.#role !== 'joining' && this.#role !== 'service') continue;
      const off = this.#skew.offset(b, this.#nextCycle, this.#role === 'member');
      if (!Number.isNaN(off)) xs.push(off);
    }
    this.#measured.fill(NaN);
    if (xs.length === 0) return;
    xs.sort((a, b) => a - b);
    const n = xs.length;
    const med = n % 2 ? xs[(n - 1) / 2]! : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
    const out = Math.abs(med) > this.cfg.clockSkewMaxMs;
    this.#skewOutCycles = out ? this.#skewOutCycles + 1 : 0;
    // A board that is not voting may jump to the members' cycle grid (a member only slews: a
    // jump would move its deadlines under the others' feet). An observer jumps only when the
    // offset persists, and keeps its state and its place: a jump of less than half a period keeps
    // the cycle numbering. Only a bigger one (it lost the grid) sends it back to a snapshot.
    if (this.#role !== 'member' && out && (this.#role !== 'observer' || this.#skewOutCycles >= observerSkewCyclesMax)) {
      if (this.#role === 'observer' && Math.abs(med) >= this.cfg.periodMs / 2) this.#demote('clockSkew', this.#nextCycle);
      this.#moveEpoch(med);
      this.#skewOutCycles = 0;
      return;
    }
    // A member whose two peers agree that its cycle start is off by more than the bound, cycle
    // after cycle, is the one that is off (its clock stepped, or drifts faster than the slew can
    // follow): it steps down and rejoins on the members' grid. Only with three voices: in duplex
    // neither board can tell which of the two is off.
    if (this.#role === 'member' && xs.length >= 3 && this.#skewOutCycles >= memberSkewCyclesMax) {
      this.#skewOutCycles = 0;
      this.#demote('clockSkew', this.#nextCycle);
      return;
    }
    const lim = this.cfg.syncSlewMaxMsPerCycle;
    this.#moveEpoch(Math.max(-lim, Math.min(lim, med * this.cfg.syncGain)));
  }

  /** This board's cycle start moves later by deltaMs (the filter's offsets follow). */
  #moveEpoch(deltaMs: number): void {
    this.#epochMs += deltaMs;
    this.#skew.shift(deltaMs);
  }

  /** The vote digest: FNV-1a 64 of (agreed inputs, outputs, next state), each vector with its length. */
  #digest(agreed: readonly number[], outputs: readonly number[], next: S): Digest {
    return new Fnv64().addF64s(agreed).addF64s(outputs).addBytes(this.wl.encode(next)).value();
  }

  /**
   * The compute phase of cycle c, run late (the process woke past its deadline) but in time for
   * the vote to count: the peers recount at their commit with the votes in hand then. This board's
   * own input went out on time, so its peers agreed their inputs with it; it takes the agreed
   * inputs from a peer's vote (the majority's, else the highest-ranked member's) rather than agree
   * them again from what it has read by now, which could differ, and votes with them. Returns
   * false (nothing done) without a member's vote to take them from.
   */
  #lateCompute(c: number): boolean {
    const r = this.#rec(c);
    this.#lateComputeWhyNot = '';
    if (r.mine) return false;
    if (!r.inputs.has(this.self)) { this.#lateComputeWhyNot = 'its own input did not go out'; return false; }
    const votes = this.#memberVotes(r, this.#members).filter((v) => v.from !== this.self);
    const maj = this.#majority(votes);
    let v = maj === null ? undefined : votes.find((u) => sameDigest(u.digest, maj));
    if (!v) for (const b of this.#rank) if (!v && b !== this.self && this.#members & bit(b)) v = r.votes.get(b);
    if (!v) { this.#lateComputeWhyNot = `no member's vote in hand (${r.votes.size} votes, ${r.inputs.size} inputs)`; return false; }
    this.#onCompute(c, v.inputs);
    return true;
  }

  #onCompute(c: number, agreedFromPeer?: readonly number[]): void {
    const r = this.#rec(c);
    const samples: (readonly number[])[] = [];
    const sampleBoards: number[] = [];
    let heard = 0;
    for (let b = 0; b < this.cfg.boards; b++) {
      const inp = r.inputs.get(b);
      if (!inp) continue;
      heard |= bit(b);
      if (this.#members & bit(b)) { samples.push(inp); sampleBoards.push(b); }
    }
    const ag = agreedFromPeer ? { values: [...agreedFromPeer] } : agreeInputs(this.wl.inputs, samples);
    if (this.#role === 'member' && !agreedFromPeer) this.#checkSensors(c, ag.values, samples, sampleBoards);
    const state = this.#state!;
    let outputs: number[];
    let next: S;
    if (this.#failSafe) { outputs = [...this.wl.safeOutputs]; next = state; }
    else { const res = this.wl.step(state, ag.values); outputs = res.outputs; next = res.state; }
    const digest = this.#digest(ag.values, outputs, next);
    r.mine = { digest, outputs, nextState: next, heardMask: heard, fromState: state };
    const vote: VoteMsg = {
      t: 'vote', from: this.self, cycle: c, digest, role: this.#role === 'member' ? 0 : 1, heardMask: heard,
      membersMask: this.#members, accuseMask: this.#accuse, admitMask: this.#admit, propose: this.#proposeActive,
      failSafe: this.#failSafe ? 1 : 0, inputs: ag.values, outputs,
    };
    r.votes.set(this.self, vote);
    this.#send(vote);
    // Present the outputs to the output-select stage now: they stay latched there even if this
    // board dies before the commit deadline, so the boards that select it still drive the cycle.
    if (this.#role === 'member') this.#fx.push({ kind: 'output', cycle: c, outputs, safe: this.#failSafe });
  }

  #checkSensors(c: number, agreed: readonly number[], samples: readonly (readonly number[])[], boards: readonly number[]): void {
    const spec = this.wl.inputs;
    for (let j = 0; j < samples.length; j++) {
      const b = boards[j]!;
      const s = samples[j]!;
      let bad = false;
      for (let i = 0; i < spec.length && !bad; i++) {
        const x = s[i];
        const a = agreed[i]!;
        const sp = spec[i]!;
        bad = x === undefined || !Number.isFinite(x) || (sp.kind === 'analog' ? Math.abs(x - a) > (sp.toleranceAbs ?? 0) : x !== a);
      }
      if (bad && !this.#sensorBad[b]) this.#alarm(c, 'sensorDisagree', b);
      this.#sensorBad[b] = bad;
    }
  }

  /**
   * The cycle's majority digest, with votes that differ only by their input view resolved. Boards
   * sample their own sensors, so a sample lost or late on its way to one board (and not to the
   * others) makes that board agree other inputs, and its digest differ, though its state is right.
   * A vote is consistent with my state when replaying its agreed inputs on the state I stepped
   * gives its digest and its inputs are within the signals' tolerance of mine. The result
   * followed is the majority's when two digests agree; otherwise that of the consistent vote with
   * the widest view (then the highest-ranked), when at least two votes (mine included) are
   * consistent: every healthy board holding the same votes picks the same one. A board whose own
   * result is not the one followed adopts it (its replay) and presents those outputs instead; its
   * vote stays as cast, so it is no candidate to drive the cycle. Returns `maj` unchanged when
   * nothing resolves (then: outvoted, or no majority, as before).
   */
  #settle(r: Rec<S>, votes: readonly VoteMsg[], maj: Digest | null): Digest | null {
    const mine = r.mine;
    const myVote = r.votes.get(this.self);
    if (!mine || !myVote || this.#failSafe || isMaj(mine.digest, maj)) return maj;
    const replays = new Map<number, StepResult<S>>();
    const consistent = (u: VoteMsg): boolean => {
      if (u.from === this.self) return true;
      if (sameValues(u.inputs, myVote.inputs)) return sameDigest(u.digest, mine.digest);
      // Another view of the same sensors agrees within their tolerance: anything further off is
      // not a view but a board making its inputs up, and it is not followed.
      if (!this.#plausibleView(u.inputs, myVote.inputs)) return false;
      const res = this.wl.step(mine.fromState, u.inputs);
      const ok = sameDigest(this.#digest(u.inputs, res.outputs, res.state), u.digest);
      if (ok) replays.set(u.from, res);
      return ok;
    };
    let winner: VoteMsg | undefined;
    if (maj !== null) {
      winner = votes.find((u) => sameDigest(u.digest, maj));
      if (!winner || !consistent(winner)) return maj;
    } else {
      const ok = votes.filter(consistent);
      if (ok.length < 2) return maj;
      // The widest view (most of the members' samples) first, then rank: a board whose links
      // lose messages hears least, and its view is followed last (swarm seed 65 with noisy sensors).
      const heard = (u: VoteMsg) => popcount(u.heardMask & this.#members);
      for (const b of this.#rank) {
        const u = ok.find((v) => v.from === b);
        if (u && (!winner || heard(u) > heard(winner))) winner = u;
      }
      if (!winner) return maj;
    }
    if (!sameDigest(winner.digest, mine.digest)) {
      const res = replays.get(winner.from)!;
      r.mine = { digest: winner.digest, outputs: res.outputs, nextState: res.state, heardMask: mine.heardMask, fromState: mine.fromState };
      this.stats.inputViewAdopted++;
      // The outputs presented at compute time were mine: present the followed ones in their place.
      if (this.#role === 'member') this.#fx.push({ kind: 'output', cycle: myVote.cycle, outputs: [...res.outputs], safe: false });
    }
    return winner.digest;
  }

  /** Two agreed input vectors that could both come from healthy sensors: analog within tolerance, discrete equal. */
  #plausibleView(a: readonly number[], b: readonly number[]): boolean {
    const spec = this.wl.inputs;
    if (a.length !== spec.length || b.length !== spec.length) return false;
    for (let i = 0; i < spec.length; i++) {
      const sp = spec[i]!;
      if (sp.kind === 'analog' ? !(Math.abs(a[i]! - b[i]!) <= (sp.toleranceAbs ?? 0)) : a[i] !== b[i]) return false;
    }
    return true;
  }

  /** Did vote `v` differ from the followed result only by its agreed inputs (and the set of samples it heard)? */
  #differsByView(v: VoteMsg, votes: readonly VoteMsg[], maj: Digest): boolean {
    const m = votes.find((u) => sameDigest(u.digest, maj));
    return m !== undefined && m.heardMask !== v.heardMask && !sameValues(m.inputs, v.inputs);
  }

  #memberVotes(r: Rec<S>, members: number): VoteMsg[] {
    const out: VoteMsg[] = [];
    for (const v of r.votes.values()) if (members & bit(v.from)) out.push(v);
    return out;
  }

  /** The digest at least two votes carry (one of the votes' own objects), or null. */
  #majority(votes: readonly VoteMsg[]): Digest | null {
    const q = 2;
    for (const v of votes) {
      let n = 0;
      for (const u of votes) if (sameDigest(u.digest, v.digest)) n++;
      if (n >= q) return v.digest;
    }
    return null;
  }

  #onCount(c: number): void {
    const r = this.#rec(c);
    const mine = r.mine;
    if (!mine) return;
    const members = this.#members;
    const votes = this.#memberVotes(r, members);
    const maj = this.#settle(r, votes, this.#majority(votes));
    r.majority = maj;
    const q = 2;
    if (this.#role === 'observer') {
      if (maj !== null && !sameDigest(r.mine!.digest, maj)) { this.#demote('observerMismatch', c); return; }
      // The members it was proving itself to are gone: back to joining (total-loss recovery can run).
      this.#noMajStreak = maj === null ? this.#noMajStreak + 1 : 0;
      if (this.#noMajStreak > this.cfg.lonelyCyclesMax) { this.#demote('lonely', c); return; }
      this.#state = r.mine!.nextState;
      if (maj !== null) this.#confirm(c, r.mine!.nextState);
      this.#pending = this.#decide(votes, members);
      // Missed the votes that admitted me (lost messages)? Two members already count me in.
      const counted = votes.filter((v) => v.membersMask & bit(this.self));
      if (counted.length >= 2 && counted[0]!.membersMask === counted[1]!.membersMask) {
        this.#pending.add |= bit(this.self);
      }
      return;
    }
    if (maj !== null && !sameDigest(r.mine!.digest, maj) && !this.#failSafe) { this.#demote('outvoted', c); return; }
    let lacking = 0;
    for (const v of votes) if (v.from !== this.self && !(v.membersMask & bit(this.self))) lacking++;
    // Two peers (or, in duplex, the only peer) no longer count me as a member: I was voted out.
    if (lacking >= Math.min(2, popcount(members) - 1)) { this.#demote('votedOutByPeers', c); return; }
    const nMembers = popcount(members);
    if (this.#failSafe && ++this.#failSafeCycles > this.cfg.failSafeHoldCycles) { this.#demote('failSafeHeld', c); return; }
    if (maj === null && !this.#failSafe) {
      if (votes.length === nMembers) {
        // Every member voted and no two agree: nobody can tell which board is right. Fail safe.
        this.#failSafe = true;
        this.#alarm(c, 'failSafe', undefined, nMembers === 2 ? 'duplex mismatch' : 'no two digests agree');
        this.#event(c, 'mode', undefined, 'failSafe');
        // The outputs presented for this cycle have no majority: replace them before anyone selects.
        this.#fx.push({ kind: 'output', cycle: c, outputs: [...this.wl.safeOutputs], safe: true });
      } else {
        if (this.#noMajStreak === 0) this.#alarm(c, 'noMajority', undefined, `${votes.length} of ${nMembers} votes`);
        this.#noMajStreak++;
        if (nMembers >= 3 && this.#noMajStreak > this.cfg.leaseCycles) { this.#demote('lostMajority', c); return; }
        // A member left alone (its duplex peer gone, or a re-form that nobody else started) can
        // never drive: step down so that total-loss recovery can run.
        if (this.#noMajStreak > this.cfg.lonelyCyclesMax) { this.#demote('lonely', c); return; }
      }
    } else this.#noMajStreak = 0;
    this.#state = r.mine!.nextState;
    if (isMaj(r.mine!.digest, maj)) this.#confirm(c, r.mine!.nextState);

    if (maj !== null && !this.#failSafe) {
      for (let x = 0; x < this.cfg.boards; x++) {
        if (x === this.self) continue;
        const v = r.votes.get(x);
        if (members & bit(x)) {
          const ok = v !== undefined && sameDigest(v.digest, maj) && popcount(v.heardMask & members) >= q && (mine.heardMask & bit(x)) !== 0;
          // A vote that differs only because its board heard another set of samples (one lost or
          // late on the way to it, not to us) is no fault of that board: it adopts the majority's
          // result (#adoptMajority). Neutral for at most faultThreshold cycles in a row, so a board
          // that only ever claims another view is still voted out.
          const viewOnly = !ok && v !== undefined && !sameDigest(v.digest, maj) && (mine.heardMask & bit(x)) !== 0 && this.#differsByView(v, votes, maj);
          this.#viewDiff[x] = viewOnly ? this.#viewDiff[x]! + 1 : 0;
          if (viewOnly && this.#viewDiff[x]! <= this.cfg.faultThreshold) continue;
          // Capped at threshold + 1 so an accusation lapses within (threshold + 1) / decay clean
          // cycles after the trouble ends, however long it lasted.
          this.#fault[x] = ok ? Math.max(0, this.#fault[x]! - this.cfg.faultDecayPerCycle) : Math.min(this.cfg.faultThreshold + 1, this.#fault[x]! + 1);
          // An accusation the majority never joined lapses once the counter has decayed to zero,
          // so it cannot combine with a later, different fault's accusation.
          if (this.#fault[x] === 0 && this.#accuse & bit(x)) this.#accuse &= ~bit(x);
          if (this.#fault[x]! >= this.cfg.faultThreshold && !(this.#accuse & bit(x))) {
            this.#accuse |= bit(x);
            this.#event(c, 'accuse', x);
          }
        } else if (v !== undefined && v.role === 1) {
          this.#clean[x] = sameDigest(v.digest, maj) ? this.#clean[x]! + 1 : 0;
          if (this.#clean[x]! >= this.cfg.cleanCyclesToRejoin) this.#admit |= bit(x);
        } else this.#clean[x] = 0;
      }
    }
    const cands = maj !== null || this.#failSafe ? this.#candidates(r, votes, maj, members) : [];
    r.candidates = cands;
    r.proposal = cands[0] ?? NONE;
    let candMask = 0;
    for (const b of cands) candMask |= bit(b);
    r.proposals.set(this.self, { select: r.proposal, candMask });
    this.#send({ t: 'proposal', from: this.self, cycle: c, select: r.proposal, candMask });
    this.#pending = this.#decide(votes, members);
  }

  /** Members that may drive cycle c, best-ranked first (see the class comment). */
  #candidates(r: Rec<S>, votes: readonly VoteMsg[], maj: Digest | null, members: number): number[] {
    const q = 2;
    const cands: number[] = [];
    for (const b of this.#rank) {
      if (!(members & bit(b))) continue;
      const v = r.votes.get(b);
      if (!v || (!this.#failSafe && !isMaj(v.digest, maj)) || popcount(v.heardMask & members) < q) continue;
      // b's input must have reached a majority (counting votes of boards that themselves heard
      // a majority): a board nobody hears cannot drive. A single board's vote can neither veto
      // nor admit b on its own, so two healthy boards see the same candidates apart from the
      // faulty board itself, and the commit round settles that difference.
      let heardBy = 0;
      for (const u of votes) if (u.heardMask & bit(b) && popcount(u.heardMask & members) >= q) heardBy++;
      if (heardBy >= q) cands.push(b);
    }
    return cands;
  }

  /**
   * Count again at the commit deadline when the count found no majority: a peer's vote that
   * arrived after the vote deadline (its process woken a few ms late) is in hand by now, and
   * without it this board would select nobody while the other healthy board selects the driver,
   * so the cycle would have one select and be lost. The select is still one board, chosen from
   * digests that a majority holds, so the output stage's 2-out-of-3 rule is untouched.
   */
  #recount(c: number, r: Rec<S>): void {
    const mine = r.mine;
    if (!mine || this.#failSafe || r.majority !== null) return;
    const members = this.#members;
    const votes = this.#memberVotes(r, members);
    const maj = this.#settle(r, votes, this.#majority(votes));
    if (maj === null) return;
    r.majority = maj;
    if (r.mine !== mine) this.#state = r.mine!.nextState; // the count carried my own result on: the followed one replaces it
    if (!sameDigest(r.mine!.digest, maj)) { this.#demote('outvoted', c); return; }
    this.#noMajStreak = 0;
    this.#confirm(c, r.mine!.nextState);
    r.candidates = this.#candidates(r, votes, maj, members);
    r.proposal = r.candidates[0] ?? NONE;
  }

  /** Membership changes agreed in cycle c's member votes: the same function on every board. */
  #decide(votes: readonly VoteMsg[], members: number): Decision {
    const d: Decision = { remove: 0, add: 0, active: NONE };
    for (let x = 0; x < this.cfg.boards; x++) {
      let acc = 0;
      let adm = 0;
      let prop = 0;
      for (const v of votes) {
        if (v.accuseMask & bit(x)) acc++;
        if (v.admitMask & bit(x)) adm++;
        if (v.propose === x) prop++;
      }
      if (acc >= 2 && members & bit(x)) d.remove |= bit(x);
      if (adm >= 2 && !(members & bit(x))) d.add |= bit(x);
      if (prop >= 2 && members & bit(x)) d.active = x;
    }
    return d;
  }

  #apply(d: Decision, c: number, st: { members: number; rank: number[] }, live: boolean): void {
    for (let x = 0; x < this.cfg.boards; x++) {
      if (d.remove & bit(x)) {
        st.members &= ~bit(x);
        if (!live) continue;
        this.#fault[x] = 0;
        this.#accuse &= ~bit(x);
        this.#clean[x] = 0;
        this.#event(c, 'votedOut', x);
        const fencer = st.rank.find((b) => st.members & bit(b));
        // Fence only on a majority's accusation, and only one board pulls the reset line. A board
        // that asked to rejoin has already left the lockstep: it is not fenced.
        if (fencer === this.self && this.#role === 'member' && this.#joinSeen[x]! < c - 2 * this.cfg.joinRetryCycles) {
          // Emitted at the next cycle start: the fenced board's select for this cycle, already
          // counted by its peers' commit, must not vanish before the output stage latches it.
          this.#fenceNext.push(x);
        }
      }
      if (d.add & bit(x)) {
        st.members |= bit(x);
        st.rank = [...st.rank.filter((b) => b !== x), x];
        if (!live) continue;
        this.#clean[x] = 0;
        this.#admit &= ~bit(x);
        this.#fault[x] = 0;
        this.#event(c, 'votedIn', x);
      }
    }
    if (d.active !== NONE && st.members & bit(d.active) && st.rank.find((b) => st.members & bit(b)) !== d.active) {
      st.rank = [d.active, ...st.rank.filter((b) => b !== d.active)];
      if (live) this.#event(c, 'handover', d.active);
    }
    if (live && d.active !== NONE && this.#proposeActive === d.active) this.#proposeActive = NONE;
  }

  /**
   * The commit round. Keep my proposal if another board proposed it too; otherwise adopt the
   * highest-ranked peer proposal I also accept. Two healthy boards propose top(C1) and top(C2)
   * where C1, C2 differ at most by the faulty board, so at most one of them switches and they
   * never swap. (An intersection-of-candidates fallback was tried: the faulty board's mask,
   * held by one side only, made it worse in the swarm.) The candidate mask is still carried in
   * the proposal for the console and for future rules.
   */
  #finalSelect(r: Rec<S>): number {
    const mine = r.proposal;
    if (mine === NONE) return NONE;
    const peers = [...r.proposals].filter(([b, p]) => b !== this.self && p.select !== NONE).map(([, p]) => p);
    if (peers.some((p) => p.select === mine)) return mine;
    for (const b of this.#rank) if (r.candidates.includes(b) && peers.some((p) => p.select === b)) return b;
    return mine;
  }

  #onCommit(c: number): void {
    const r = this.#rec(c);
    if (this.#role === 'member' && r.proposal === NONE) this.#recount(c, r);
    if (this.#role === 'member') {
      const fin = this.#finalSelect(r);
      this.#fx.push({ kind: 'select', cycle: c, board: fin === NONE ? null : fin });
      if (fin === this.self) this.stats.cyclesDriven++;
      const digests: Record<number, Digest> = {};
      for (const [b, v] of r.votes) digests[b] = v.digest;
      this.#recent.push({ cycle: c, digests, majority: r.majority, selected: fin === NONE ? null : fin });
      if (this.#recent.length > this.cfg.recentVotesMax) this.#recent.shift();
    }
    this.#applyPending(c);
  }

  /** Commit-time membership changes agreed in this cycle's votes (also for a cycle caught up late). */
  #applyPending(c: number): void {
    const d = this.#pending;
    this.#pending = null;
    if (d) {
      const before = this.mode;
      const st = { members: this.#members, rank: this.#rank };
      this.#apply(d, c, st, true);
      this.#members = st.members;
      this.#rank = st.rank;
      if (this.#proposeActive !== NONE && !(this.#members & bit(this.#proposeActive))) this.#proposeActive = NONE;
      if (this.#role === 'observer' && this.#members & bit(this.self)) {
        this.#role = 'member';
        this.#fault.fill(0);
      }
      if (this.#role === 'member' && !(this.#members & bit(this.self))) { this.#demote('votedOut', c); return; }
      if (!this.#failSafe && popcount(this.#members) < (this.cfg.policy.allowDuplex ? 2 : 3)) {
        this.#failSafe = true;
        this.#alarm(c, 'failSafe', undefined, `${popcount(this.#members)} members left; policy allowDuplex=${this.cfg.policy.allowDuplex}`);
      }
      if (this.mode !== before) this.#event(c, 'mode', undefined, this.mode);
    }
    if (this.#role === 'member') this.#sendSnapshots(c);
  }

  #sendSnapshots(c: number): void {
    for (const j of this.#snapshotFor) {
      if (this.#members & bit(j)) continue; // asked while still counted in: sent once it is voted out
      this.#snapshotFor.delete(j);
      const sender = this.#rank.find((b) => b !== j && this.#members & bit(b));
      if (sender !== this.self || c - this.#snapSent[j]! < this.cfg.joinRetryCycles) continue;
      this.#snapSent[j] = c;
      const stateBytes = this.wl.encode(this.#state!);
      const all = new Uint8Array(2 + this.cfg.boards + stateBytes.length);
      all[0] = this.#members;
      all[1] = this.#failSafe ? 1 : 0;
      this.#rank.forEach((b, i) => { all[2 + i] = b; });
      all.set(stateBytes, 2 + this.cfg.boards);
      const totalCrc = fnv1a32(all);
      const per = this.cfg.snapshotChunkBytesMax;
      const count = Math.max(1, Math.ceil(all.length / per));
      for (let i = 0; i < count; i++) {
        const bytes = all.slice(i * per, (i + 1) * per);
        this.#send({ t: 'chunk', from: this.self, to: j, snapCycle: c, index: i, count, totalCrc, chunkCrc: fnv1a32(bytes), bytes }, j);
      }
      this.#event(c, 'snapshotSent', j, `${all.length} bytes in ${count} chunks`);
    }
  }

  #onChunk(m: ChunkMsg): void {
    if (m.count > chunksMax || fnv1a32(m.bytes) !== m.chunkCrc) { this.stats.badChunks++; return; }
    let a = this.#asm;
    if (!a || a.from !== m.from || a.snapCycle !== m.snapCycle || a.parts.length !== m.count) {
      a = { from: m.from, snapCycle: m.snapCycle, totalCrc: m.totalCrc, parts: new Array(m.count).fill(undefined) };
      this.#asm = a;
    }
    a.parts[m.index] = m.bytes;
    if (a.parts.some((p) => p === undefined)) return;
    this.#asm = null;
    const len = a.parts.reduce((n, p) => n + p!.length, 0);
    const all = new Uint8Array(len);
    let o = 0;
    for (const p of a.parts) { all.set(p!, o); o += p!.length; }
    const n = this.cfg.boards;
    try {
      if (fnv1a32(all) !== a.totalCrc || all.length < 2 + n) throw new Error('snapshot checksum mismatch');
      const rank = Array.from(all.subarray(2, 2 + n));
      if ([...rank].sort().some((b, i) => b !== i)) throw new Error('snapshot rank order invalid');
      this.#join = { state: this.wl.decode(all.slice(2 + n)), cycle: a.snapCycle, members: all[0]!, rank, failSafe: all[1] === 1 };
    } catch (e) {
      this.stats.badChunks++;
      this.#event(a.snapCycle, 'snapshotBad', m.from, (e as Error).message);
    }
  }

  /** Replay the cycles after the snapshot with the agreed inputs carried in member votes. */
  #catchUp(c: number): void {
    const js = this.#join;
    if (!js) return;
    while (js.cycle < c) {
      const k = js.cycle + 1;
      const r = this.#recs.get(k);
      const votes = r ? this.#memberVotes(r, js.members) : [];
      const maj = this.#majority(votes);
      const v = maj === null ? undefined : votes.find((u) => sameDigest(u.digest, maj));
      if (!v || maj === null) {
        if (c - k > this.cfg.catchupCyclesMax / 2) { this.#join = null; this.#joinSentCycle = -Infinity; }
        return;
      }
      if (!js.failSafe) {
        const res = this.wl.step(js.state, v.inputs);
        if (!sameDigest(this.#digest(v.inputs, res.outputs, res.state), maj)) {
          this.#event(k, 'snapshotBad', v.from, 'replay digest mismatch');
          this.#join = null;
          this.#joinSentCycle = -Infinity;
          return;
        }
        js.state = res.state;
      }
      js.cycle = k;
      this.#apply(this.#decide(votes, js.members), k, js, false);
    }
    if (js.members & bit(this.self)) return;
    this.#state = js.state;
    this.#members = js.members;
    this.#rank = js.rank;
    this.#failSafe = js.failSafe;
    this.#join = null;
    this.#role = 'observer';
    this.#event(c, 'observing');
  }

  #demote(reason: string, c: number): void {
    this.stats.demotions++;
    this.#role = 'joining';
    this.#state = null;
    this.#join = null;
    this.#asm = null;
    this.#pending = null;
    this.#members = 0;
    this.#failSafe = false;
    this.#failSafeCycles = 0;
    this.#accuse = 0;
    this.#admit = 0;
    this.#noMajStreak = 0;
    this.#proposeActive = NONE;
    this.#fault.fill(0);
    this.#clean.fill(0);
    this.#joinSentCycle = -Infinity;
    this.#offCycle = -1;
    this.#lateScore = 0;
    this.#quiet = 0;
    this.#reform = null;
    // #confirmed is kept: it is what this board offers if the whole rig has to re-form.
    this.#event(c, 'demoted', this.self, reason);
  }
}
