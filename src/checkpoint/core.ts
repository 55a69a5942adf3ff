/**
 * The checkpoint class (pure): primary–backup replication with output commit, for workloads that
 * cannot run in lockstep (they read a clock, call a service, use randomness, or are too slow to
 * run three times in a period).
 *
 * One board, the primary, runs the workload's step for epoch e; its result (state, outputs) is
 * checkpointed to the backups in chunks, as a delta against the last checkpoint each backup
 * acknowledged, or whole. The epoch's outputs are released to the output stage only once a backup
 * has acknowledged that epoch (output commit, as in Remus: Cully et al., NSDI 2008, §3.3), and
 * each output carries its epoch so the output stage applies an epoch once (src/checkpoint/output-stage.ts).
 *
 * Who is primary comes from the rig's membership (`view`), the same rules as for lockstep
 * workloads: this core never decides membership. Views may disagree for a while (a board learns
 * it was voted out a few cycles after its peers), so safety does not rest on them. It rests on
 * terms, as in Viewstamped Replication's view change (Liskov & Cowling, 2012, §4.2):
 * - a board that becomes primary takes a new term, higher than any it has seen, and asks the
 *   other members of its view for the newest checkpoint they hold (`q`); a member answers only
 *   when its own view names the asker primary, and then promises to accept nothing from an
 *   older term;
 * - it resumes from the newest checkpoint among its own and the answers (fetching it if another
 *   board has it), and releases that checkpoint's outputs (the output stage drops them if they
 *   were applied already): so no committed output is lost;
 * - a backup acknowledges a checkpoint only from the owner of the highest term it has promised,
 *   and a primary releases only on an acknowledgement of its own term: an old primary, once any
 *   backup answered the new one's query, can release nothing. Two primaries never release.
 *
 * Epoch numbers grow across terms: a new primary continues at (the epoch it resumed from) + 1.
 * A checkpoint is named by (term, epoch); a delta names its base the same way, so a backup never
 * applies a delta to a different state that happens to carry the same epoch number.
 */
import { fnv1a32 } from '../voter/hash.ts';
import { applyDelta, makeDelta } from './delta.ts';

export type BoardIndex = number;
/** No board / no epoch / no term. */
export const NONE = -1;

/** What the rig's membership says, as this board sees it now. */
export interface MembershipView {
  /** This board is in the voting set (a member of a majority). */
  member: boolean;
  /** The board the membership names active (the primary), or null. */
  primary: BoardIndex | null;
  /** Members of the voting set, a bit per board. */
  membersMask: number;
}

export interface CheckpointConfig {
  self: BoardIndex;
  boards: number;
  /** Payload bytes per checkpoint chunk (one frame each). */
  chunkBytesMax: number;
  /** Largest encoded state: the workload's checkpoint must fit (a bigger one is a programmer error). */
  stateBytesMax: number;
  /** Outputs per epoch. */
  outputsMax: number;
  /** A new primary asks again (query, pull) when no answer came within this long: messages get lost. */
  retryMs: number;
  /** Chunks of one checkpoint: stateBytesMax / chunkBytesMax rounded up, checked. */
  chunksMax: number;
}

export function makeCheckpointConfig(c: Omit<CheckpointConfig, 'chunksMax'>): CheckpointConfig {
  if (!(c.boards >= 2 && c.boards <= 3)) throw new RangeError(`checkpoint: boards ${c.boards}: use 2 or 3`);
  if (!(Number.isInteger(c.self) && c.self >= 0 && c.self < c.boards)) throw new RangeError(`checkpoint: self ${c.self}: use 0..${c.boards - 1}`);
  if (!(c.chunkBytesMax >= 16 && c.chunkBytesMax <= 1024)) throw new RangeError(`checkpoint: chunkBytesMax ${c.chunkBytesMax}: use 16..1024 (one frame)`);
  if (!(c.stateBytesMax >= 1 && c.stateBytesMax <= 1 << 20)) throw new RangeError(`checkpoint: stateBytesMax ${c.stateBytesMax}: use 1..1 MiB`);
  if (!(c.outputsMax >= 0 && c.outputsMax <= 32)) throw new RangeError(`checkpoint: outputsMax ${c.outputsMax}: use 0..32`);
  if (!(c.retryMs > 0)) throw new RangeError(`checkpoint: retryMs ${c.retryMs}: use a positive time, e.g. two periods`);
  // A delta can be bigger than the state (span headers): allow for it.
  return { ...c, chunksMax: Math.ceil((c.stateBytesMax * 2 + 64) / c.chunkBytesMax) };
}

/** A checkpoint chunk. `base` NONE: the whole state; else a delta against checkpoint (baseTerm, base). */
export interface CkMsg {
  t: 'ck';
  from: BoardIndex;
  term: number;
  epoch: number;
  baseTerm: number;
  base: number;
  index: number;
  count: number;
  /** fnv1a32 of the whole payload (delta or state), checked once reassembled. */
  sum: number;
  /** The epoch's outputs, carried by every chunk (small), so any complete checkpoint can release them. */
  outputs: number[];
  data: Uint8Array;
  /** Sent to a new primary that asked for it (pull), not a backup copy to acknowledge. */
  xfer: boolean;
}
export interface AckMsg { t: 'ack'; from: BoardIndex; term: number; epoch: number }
/** A new primary's query: the newest checkpoint you hold? (and a promise to ignore older terms) */
export interface QueryMsg { t: 'q'; from: BoardIndex; term: number }
export interface HaveMsg { t: 'have'; from: BoardIndex; term: number; ckTerm: number; epoch: number }
/** Send me checkpoint `epoch` whole, or as a delta against (baseTerm, base) if you still keep that one. */
export interface PullMsg { t: 'pull'; from: BoardIndex; term: number; epoch: number; baseTerm: number; base: number }
export type CkptMsg = CkMsg | AckMsg | QueryMsg | HaveMsg | PullMsg;

export type CkptEventCode = 'primary' | 'resumed' | 'demoted' | 'promised' | 'badChunk' | 'staleTerm';

export type CkptEffect =
  | { kind: 'send'; msg: CkptMsg; to?: BoardIndex }
  /** Committed: this epoch's outputs go to the output stage (at most once per epoch from this board). */
  | { kind: 'release'; epoch: number; outputs: readonly number[] }
  /** This board is now primary: continue from `state` (null: no checkpoint anywhere, start from init) after `epoch`. */
  | { kind: 'resume'; epoch: number; state: Uint8Array | null; term: number }
  | { kind: 'event'; code: CkptEventCode; detail: string };

interface Held {
  term: number;
  epoch: number;
  bytes: Uint8Array;
  outputs: number[];
}

interface Encoded {
  data: Uint8Array;
  /** null: the whole state. */
  base: Held | null;
  sum: number;
}

interface Assembly {
  term: number;
  epoch: number;
  baseTerm: number;
  base: number;
  count: number;
  sum: number;
  outputs: number[];
  xfer: boolean;
  parts: (Uint8Array | undefined)[];
  got: number;
}

type Role = 'backup' | 'recovering' | 'primary';

const bit = (b: number) => 1 << b;
const NO_HELD: Held = { term: NONE, epoch: NONE, bytes: new Uint8Array(0), outputs: [] };

export class CheckpointCore {
  readonly cfg: CheckpointConfig;
  #role: Role = 'backup';
  /** The highest term this board has promised (or owns). */
  #term = NONE;
  /** The newest complete checkpoint this board holds. */
  #held: Held = NO_HELD;
  /** The last few checkpoints held (newest last): the bases a primary's delta may name. */
  #recent: Held[] = [];
  /** One reassembly at a time: the newest checkpoint in flight (older partial ones are dropped). */
  #asm: Assembly | null = null;
  /** Primary: the epoch it computes next; the last it released; the last each backup acknowledged. */
  #nextEpoch = 0;
  #released = NONE;
  readonly #ackedBy: Held[];
  /** Primary: checkpoints sent and not yet acknowledged (bounded), to know what an ack commits. */
  readonly #inflight = new Map<number, Held>();
  /** Recovering: each board's answer (the newest checkpoint it holds), null until it answers. */
  readonly #answers: ({ term: number; epoch: number } | null)[];
  #pulled = false;
  /** When the query or the pull last went out (recovering), for the retry. */
  #askedAtMs = Number.NEGATIVE_INFINITY;
  #nowMs = 0;
  #fx: CkptEffect[] = [];

  constructor(cfg: CheckpointConfig) {
    this.cfg = cfg;
    this.#ackedBy = Array.from({ length: cfg.boards }, () => NO_HELD);
    this.#answers = Array.from({ length: cfg.boards }, () => null);
  }

  get role(): Role { return this.#role; }
  get term(): number { return this.#term; }
  /** The epoch the primary computes next (only meaningful while `role` is primary). */
  get nextEpoch(): number { return this.#nextEpoch; }
  get heldEpoch(): number { return this.#held.epoch; }
  get releasedEpoch(): number { return this.#released; }

  /** Messages in, view changes handled; returns the effects. */
  step(nowMs: number, inbox: readonly CkptMsg[], view: MembershipView): CkptEffect[] {
    this.#nowMs = nowMs;
    this.#view(view);
    for (const m of inbox) this.#receive(m, view);
    this.#maybeResume(view);
    this.#check();
    return this.#take();
  }

  /**
   * The primary computed epoch `epoch` (its `nextEpoch`): checkpoint it to every other member.
   * Its outputs are released when a backup acknowledges it.
   */
  complete(epoch: number, state: Uint8Array, outputs: readonly number[], view: MembershipView): CkptEffect[] {
    if (this.#role !== 'primary') return this.#take(); // demoted while the step ran: its result is dropped
    // Epochs may skip numbers (the rig numbers them by cycle, and a slow step skips cycles), never go back.
    if (!(Number.isInteger(epoch) && epoch >= this.#nextEpoch)) throw new RangeError(`checkpoint: completed epoch ${epoch}, expected ${this.#nextEpoch} or later`);
    if (state.length > this.cfg.stateBytesMax) throw new RangeError(`checkpoint: state of ${state.length} bytes is over stateBytesMax ${this.cfg.stateBytesMax}`);
    if (outputs.length > this.cfg.outputsMax) throw new RangeError(`checkpoint: ${outputs.length} outputs, over outputsMax ${this.cfg.outputsMax}`);
    const held: Held = { term: this.#term, epoch, bytes: state, outputs: [...outputs] };
    this.#hold(held);
    this.#nextEpoch = epoch + 1;
    this.#inflight.set(epoch, held);
    // An epoch not acknowledged within a few more is lost (its chunks or its ack were): forget it.
    for (const e of this.#inflight.keys()) if (e < epoch - inflightEpochsMax) this.#inflight.delete(e);
    // Both backups usually acknowledged the same base: one delta (and checksum) serves both.
    const made = new Map<Held | null, Encoded>();
    for (let b = 0; b < this.cfg.boards; b++) {
      if (b === this.cfg.self || !(view.membersMask & bit(b))) continue;
      // A delta against the last checkpoint the backup acknowledged, while it is one it still keeps.
      const acked = this.#ackedBy[b]!;
      const base = acked.term !== NONE && epoch - acked.epoch <= recentMax - 1 ? acked : null;
      let enc = made.get(base);
      if (!enc) made.set(base, (enc = this.#encode(held, base)));
      this.#sendEncoded(held, enc, b, false);
    }
    return this.#take();
  }

  #hold(h: Held): void {
    this.#held = h;
    this.#recent.push(h);
    if (this.#recent.length > recentMax) this.#recent.shift();
  }

  #take(): CkptEffect[] {
    const fx = this.#fx;
    this.#fx = [];
    return fx;
  }

  #event(code: CkptEventCode, detail: string): void {
    this.#fx.push({ kind: 'event', code, detail });
  }

  #termOwner(term: number): BoardIndex {
    return term === NONE ? NONE : term % 4;
  }

  /** Role changes the view asks for. */
  #view(view: MembershipView): void {
    const self = this.cfg.self;
    const shouldLead = view.member && view.primary === self;
    if (!shouldLead && this.#role !== 'backup') {
      this.#role = 'backup';
      this.#inflight.clear();
      this.#event('demoted', `the membership names ${view.primary === null ? 'no primary' : `board ${view.primary}`}`);
    }
    if (shouldLead && this.#role === 'backup') {
      // A new term above any seen, owned by this board (term mod 4 = owner).
      const n = Math.floor(Math.max(this.#term, 0) / 4) + 1;
      this.#term = n * 4 + self;
      this.#role = 'recovering';
      this.#answers.fill(null);
      this.#pulled = false;
      this.#event('primary', `term ${this.#term}: asking the members for their newest checkpoint`);
      this.#fx.push({ kind: 'send', msg: { t: 'q', from: self, term: this.#term } });
      this.#askedAtMs = this.#nowMs;
    }
  }

  #receive(m: CkptMsg, view: MembershipView): void {
    const self = this.cfg.self;
    if (m.from === self || !(m.from >= 0 && m.from < this.cfg.boards)) return;
    switch (m.t) {
      case 'q': {
        if (m.term < this.#term || this.#termOwner(m.term) !== m.from) return void this.#event('staleTerm', `query of term ${m.term} from ${m.from}; promised ${this.#term}`);
        // Only the board our own membership view names primary gets a promise: a board whose view
        // lags (an old primary back from a partition) must not take a term the rig did not give it.
        if (!view.member || view.primary !== m.from) return;
        if (m.term > this.#term) {
          this.#term = m.term;
          if (this.#role !== 'backup') {
            this.#role = 'backup';
            this.#inflight.clear();
            this.#event('demoted', `board ${m.from} took term ${m.term}`);
          }
          this.#event('promised', `term ${m.term} of board ${m.from}`);
        }
        this.#fx.push({ kind: 'send', to: m.from, msg: { t: 'have', from: self, term: m.term, ckTerm: this.#held.term, epoch: this.#held.epoch } });
        return;
      }
      case 'have': {
        if (this.#role !== 'recovering' || m.term !== this.#term) return;
        this.#answers[m.from] = { term: m.ckTerm, epoch: m.epoch };
        return;
      }
      case 'pull': {
        // A new primary wants our newest checkpoint whole (we promised its term when we answered).
        if (m.term !== this.#term || this.#termOwner(m.term) !== m.from || this.#held.epoch !== m.epoch) return;
        const base = m.base === NONE ? undefined : this.#recent.find((h) => h.term === m.baseTerm && h.epoch === m.base);
        this.#sendCheckpoint(this.#held, base ?? null, m.from, true);
        return;
      }
      case 'ack': {
        if (this.#role !== 'primary' || m.term !== this.#term) return;
        const held = this.#inflight.get(m.epoch);
        if (!held) return;
        this.#ackedBy[m.from] = held;
        // Committed: release it unless a newer epoch was released already (epochs go forward).
        if (m.epoch > this.#released) {
          this.#released = m.epoch;
          this.#fx.push({ kind: 'release', epoch: m.epoch, outputs: held.outputs });
        }
        for (const e of this.#inflight.keys()) if (e <= m.epoch && e !== m.epoch) this.#inflight.delete(e);
        return;
      }
      case 'ck':
        this.#chunk(m);
        return;
    }
  }

  #chunk(m: CkMsg): void {
    // A transfer answers our own pull (in our term); a backup copy comes from its term's owner.
    if (m.xfer ? this.#role !== 'recovering' || m.term !== this.#term : this.#role !== 'backup') return;
    if (!m.xfer && (m.term < this.#term || this.#termOwner(m.term) !== m.from)) return void this.#event('staleTerm', `checkpoint ${m.epoch} of term ${m.term} from ${m.from}; promised ${this.#term}`);
    if (!(m.count >= 1 && m.count <= this.cfg.chunksMax && m.index >= 0 && m.index < m.count && m.outputs.length <= this.cfg.outputsMax)) {
      return void this.#event('badChunk', `chunk ${m.index}/${m.count} of epoch ${m.epoch}`);
    }
    let a = this.#asm;
    if (!a || a.term !== m.term || a.epoch !== m.epoch || a.xfer !== m.xfer) {
      if (a && (m.term < a.term || (m.term === a.term && m.epoch < a.epoch))) return; // older than what we are assembling
      a = { term: m.term, epoch: m.epoch, baseTerm: m.baseTerm, base: m.base, count: m.count, sum: m.sum, outputs: m.outputs, xfer: m.xfer, parts: new Array(m.count), got: 0 };
      this.#asm = a;
    }
    if (a.count !== m.count || a.sum !== m.sum) return void this.#event('badChunk', `chunk ${m.index} of epoch ${m.epoch} disagrees with its checkpoint`);
    if (a.parts[m.index]) return; // a duplicate
    a.parts[m.index] = m.data;
    a.got++;
    if (a.got < a.count) return;
    this.#asm = null;
    let total = 0;
    for (const p of a.parts) total += p!.length;
    const payload = new Uint8Array(total);
    let off = 0;
    for (const p of a.parts) { payload.set(p!, off); off += p!.length; }
    if (fnv1a32(payload) !== a.sum) return void this.#event('badChunk', `epoch ${a.epoch}: checksum mismatch`);
    let bytes: Uint8Array;
    if (a.base === NONE) bytes = payload;
    else {
      const base = this.#recent.find((h) => h.term === a.baseTerm && h.epoch === a.base);
      if (!base) return; // not a base we kept: the primary sends the whole state once our acks lag
      const r = applyDelta(base.bytes, payload, this.cfg.stateBytesMax);
      if (!r) return void this.#event('badChunk', `epoch ${a.epoch}: delta does not apply`);
      bytes = r;
    }
    // Checkpoints go forward: a newer epoch, or the same epoch from a newer term.
    if (!(a.epoch > this.#held.epoch || (a.epoch === this.#held.epoch && a.term > this.#held.term))) return;
    this.#hold({ term: a.term, epoch: a.epoch, bytes, outputs: a.outputs });
    if (!a.xfer) this.#fx.push({ kind: 'send', to: m.from, msg: { t: 'ack', from: this.cfg.self, term: a.term, epoch: a.epoch } });
  }

  /** Recovering: once every member of the view answered, resume from the newest checkpoint. */
  #maybeResume(view: MembershipView): void {
    if (this.#role !== 'recovering') return;
    // Only the members of the view count: a board voted out (the old primary back from a
    // partition, say) may hold epochs nobody acknowledged, and it is about to be reset.
    const self = this.cfg.self;
    const retry = this.#nowMs - this.#askedAtMs >= this.cfg.retryMs;
    let missing = false;
    let best: { from: BoardIndex; epoch: number } = { from: self, epoch: this.#held.epoch };
    for (let b = 0; b < this.cfg.boards; b++) {
      if (b === self || !(view.membersMask & bit(b))) continue;
      const a = this.#answers[b];
      if (!a) {
        missing = true;
        if (retry) this.#fx.push({ kind: 'send', to: b, msg: { t: 'q', from: self, term: this.#term } });
      } else if (a.epoch > best.epoch) best = { from: b, epoch: a.epoch };
    }
    if (missing) {
      if (retry) this.#askedAtMs = this.#nowMs;
      return;
    }
    if (best.from !== self) {
      if (!this.#pulled || retry) {
        if (this.#pulled) {
          // No transfer came: ask the holder again what it has (a reset board now has nothing).
          this.#answers[best.from] = null;
          this.#fx.push({ kind: 'send', to: best.from, msg: { t: 'q', from: self, term: this.#term } });
          this.#pulled = false;
        } else {
          this.#pulled = true;
          this.#fx.push({ kind: 'send', to: best.from, msg: { t: 'pull', from: self, term: this.#term, epoch: best.epoch, baseTerm: this.#held.term, base: this.#held.epoch } });
        }
        this.#askedAtMs = this.#nowMs;
      }
      return; // waiting for the transfer (the xfer chunks land in #held)
    }
    this.#role = 'primary';
    this.#nextEpoch = this.#held.epoch + 1;
    this.#inflight.clear();
    const held = this.#held;
    // A member that answered with the very checkpoint resumed from has it as a delta base already.
    for (let b = 0; b < this.cfg.boards; b++) {
      const a = this.#answers[b];
      this.#ackedBy[b] = a && held.epoch !== NONE && a.term === held.term && a.epoch === held.epoch ? held : NO_HELD;
    }
    this.#event('resumed', held.epoch === NONE ? `term ${this.#term}: no checkpoint anywhere, starting from init` : `term ${this.#term}: from epoch ${held.epoch} (term ${held.term})`);
    this.#fx.push({ kind: 'resume', epoch: held.epoch, state: held.epoch === NONE ? null : held.bytes, term: this.#term });
    // The newest checkpoint is committed (this board holds it): its outputs may never have been
    // released by the primary that made it. The output stage drops them if they were.
    if (held.epoch !== NONE && held.epoch > this.#released) {
      this.#released = held.epoch;
      this.#fx.push({ kind: 'release', epoch: held.epoch, outputs: held.outputs });
    }
  }

  /** The bytes a checkpoint travels as: a delta against `base` when that is smaller, else the whole state. */
  #encode(held: Held, base: Held | null): Encoded {
    const delta = base ? makeDelta(base.bytes, held.bytes) : null;
    const full = !delta || delta.length >= held.bytes.length;
    const data = full ? held.bytes : delta;
    return { data, base: full ? null : base, sum: fnv1a32(data) };
  }

  #sendCheckpoint(held: Held, base: Held | null, to: BoardIndex, xfer: boolean): void {
    this.#sendEncoded(held, this.#encode(held, base), to, xfer);
  }

  #sendEncoded(held: Held, enc: Encoded, to: BoardIndex, xfer: boolean): void {
    const { data, base, sum } = enc;
    const full = base === null;
    const size = this.cfg.chunkBytesMax;
    const count = Math.max(1, Math.ceil(data.length / size));
    for (let i = 0; i < count; i++) {
      this.#fx.push({
        kind: 'send', to,
        msg: {
          t: 'ck', from: this.cfg.self, term: this.#term, epoch: held.epoch,
          baseTerm: full ? NONE : base!.term, base: full ? NONE : base!.epoch,
          index: i, count, sum, outputs: held.outputs, data: data.subarray(i * size, (i + 1) * size), xfer,
        },
      });
    }
  }

  /** Invariants at the end of every step (TigerBeetle style: a broken one is a programmer error). */
  #check(): void {
    if (this.#role !== 'backup' && this.#termOwner(this.#term) !== this.cfg.self) throw new Error(`checkpoint invariant: ${this.#role} in term ${this.#term} owned by ${this.#termOwner(this.#term)}`);
    if (this.#role === 'primary' && this.#nextEpoch <= this.#held.epoch) throw new Error(`checkpoint invariant: next epoch ${this.#nextEpoch} not after held ${this.#held.epoch}`);
    if (this.#inflight.size > inflightEpochsMax + 1) throw new Error(`checkpoint invariant: ${this.#inflight.size} epochs in flight`);
  }
}

/** Epochs a primary keeps waiting for an acknowledgement of; older ones count as lost. */
const inflightEpochsMax = 8;
/** Checkpoints a board keeps as delta bases; a primary whose backup's last ack is older sends the whole state. */
const recentMax = 4;
