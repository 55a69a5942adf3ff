import { MsgType } from '../bus/msgtypes.ts';
import type { Digest } from './hash.ts';

/**
 * Voter messages and their pure binary codec (payload only: the frame layer adds source, epoch,
 * seq, CRC and HMAC). Little-endian. Board ids are 0..7 so sets of boards fit a byte mask.
 * NONE (255) stands for "no board" in select / propose fields.
 */
export const NONE = 255;

export interface InputMsg {
  t: 'input'; from: number; cycle: number; values: number[];
  /** The sender's latest measured offset of each board's cycle start (µs, int16; OFFSET_UNKNOWN if none). */
  offsetsUs: number[];
}
export const OFFSET_UNKNOWN = -32768;
export interface VoteMsg {
  t: 'vote'; from: number; cycle: number;
  /**
   * FNV-1a 64 of (agreed inputs, outputs, next state); on the wire a little-endian u64 (lo, then
   * hi). It was a u32 before: an older decoder reads these votes shifted by 4 bytes (the members
   * mask lands on failSafe, and most are rejected as malformed), so update every board of a rig together.
   */
  digest: Digest;
  /** 0 member, 1 observer (a rejoining board proving itself). */
  role: 0 | 1;
  /** Boards whose Input for this cycle the sender received before its input deadline. */
  heardMask: number;
  membersMask: number;
  /** Boards the sender accuses (fault counter over threshold); a majority votes a board out. */
  accuseMask: number;
  /** Observers the sender has seen clean for cleanCyclesToRejoin cycles. */
  admitMask: number;
  /** Board the sender proposes as the next active one (handover), or NONE. */
  propose: number;
  failSafe: 0 | 1;
  inputs: number[];
  outputs: number[];
}
/** Carried in a Heartbeat frame: the sender's proposed driver for the cycle (select round). */
export interface ProposalMsg {
  t: 'proposal'; from: number; cycle: number; select: number;
  /** Every board the sender would accept as driver this cycle. */
  candMask: number;
}
/**
 * Sent by a board that is not in the voting set, at a cycle start. Besides asking for a snapshot it
 * carries what total-loss recovery needs: the last state this board saw a majority confirm
 * (cycle and digest; NO_CLAIM if none, e.g. after a power-on) and whether it is ready to re-form.
 */
export interface JoinMsg {
  t: 'join'; from: number; cycle: number;
  /**
   * claimDigest: FNV-1a 32 of the claimed state. 32 bits suffice here, unlike the vote digest: it
   * is compared only when a rig re-forms, and boards that re-form on a false match hold different
   * states, so their first votes (64-bit digests) disagree: outvoted, or fail safe in duplex.
   */
  claimCycle: number; claimDigest: number;
  /**
   * 0: asks for a snapshot. 1: also ready to re-form (has seen no live voting set for
   * reformQuietCycles). JOIN_IN_SERVICE: out for service: no snapshot, no fence, no re-form.
   */
  ready: 0 | 1 | typeof JOIN_IN_SERVICE;
  /** The sender's workload (Workload.id: name, version and code): a board running another one is never let in. */
  workloadId: number;
}
/**
 * Join.ready of a board taken out for service. Added after the first release: a board running an
 * older decoder rejects such a Join as a malformed frame (counted, dropped), so it sees the
 * board fall silent and may fence it as crashed. Update every board of a rig together.
 */
export const JOIN_IN_SERVICE = 2;
export const NO_CLAIM = 0xffffffff;
/**
 * Total-loss recovery (Membership frame): the highest-ranked ready board proposes that the boards
 * of `membersMask`, which all hold the state confirmed at claimCycle with claimDigest (NO_CLAIM:
 * the workload's init state), start voting at startCycle.
 */
export interface ReformMsg {
  t: 'reform'; from: number; cycle: number; startCycle: number; membersMask: number;
  claimCycle: number; claimDigest: number;
}
export interface ChunkMsg {
  t: 'chunk'; from: number; to: number; snapCycle: number;
  index: number; count: number; totalCrc: number; chunkCrc: number; bytes: Uint8Array;
}
export interface HandoverMsg { t: 'handover'; from: number; cycle: number; to: number }
export type Msg = InputMsg | VoteMsg | ProposalMsg | JoinMsg | ChunkMsg | HandoverMsg | ReformMsg;

export const valuesMax = 32;
export const chunkBytesLimit = 1024;

const typeOf: Record<Msg['t'], number> = {
  input: MsgType.Input,
  vote: MsgType.OutputVote,
  proposal: MsgType.Heartbeat,
  join: MsgType.JoinRequest,
  chunk: MsgType.StateChunk,
  handover: MsgType.Handover,
  reform: MsgType.Membership,
};

export function msgTypeOf(m: Msg): number {
  return typeOf[m.t];
}

class Writer {
  buf: Uint8Array;
  dv: DataView;
  n = 0;
  constructor() { this.buf = new Uint8Array(128); this.dv = new DataView(this.buf.buffer); }
  need(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf);
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(x: number): void { this.need(1); this.dv.setUint8(this.n, x); this.n += 1; }
  u16(x: number): void { this.need(2); this.dv.setUint16(this.n, x, true); this.n += 2; }
  u32(x: number): void { this.need(4); this.dv.setUint32(this.n, x >>> 0, true); this.n += 4; }
  f64s(xs: readonly number[]): void {
    if (xs.length > valuesMax) throw new RangeError(`codec: ${xs.length} values > valuesMax ${valuesMax}`);
    this.u8(xs.length);
    this.need(8 * xs.length);
    for (const x of xs) { this.dv.setFloat64(this.n, x, true); this.n += 8; }
  }
  bytes(b: Uint8Array): void { this.u16(b.length); this.need(b.length); this.buf.set(b, this.n); this.n += b.length; }
  done(): Uint8Array { return this.buf.slice(0, this.n); }
}

class Reader {
  dv: DataView;
  n = 0;
  constructor(readonly buf: Uint8Array) { this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }
  has(k: number): void { if (this.n + k > this.buf.length) throw new RangeError('truncated'); }
  u8(): number { this.has(1); return this.dv.getUint8(this.n++); }
  u16(): number { this.has(2); const x = this.dv.getUint16(this.n, true); this.n += 2; return x; }
  u32(): number { this.has(4); const x = this.dv.getUint32(this.n, true); this.n += 4; return x; }
  f64s(): number[] {
    const k = this.u8();
    if (k > valuesMax) throw new RangeError(`${k} values > ${valuesMax}`);
    this.has(8 * k);
    const out: number[] = [];
    for (let i = 0; i < k; i++) { out.push(this.dv.getFloat64(this.n, true)); this.n += 8; }
    return out;
  }
  bytes(): Uint8Array {
    const k = this.u16();
    if (k > chunkBytesLimit) throw new RangeError(`chunk of ${k} bytes > ${chunkBytesLimit}`);
    this.has(k);
    const b = this.buf.slice(this.n, this.n + k);
    this.n += k;
    return b;
  }
}

/** Msg -> payload bytes: [type u8][from u8][cycle u32] then the fields of that type. */
export function encodeMsg(m: Msg): Uint8Array {
  const w = new Writer();
  w.u8(typeOf[m.t]);
  w.u8(m.from);
  switch (m.t) {
    case 'input':
      w.u32(m.cycle); w.f64s(m.values);
      if (m.offsetsUs.length > 8) throw new RangeError('codec: more than 8 offsets');
      w.u8(m.offsetsUs.length);
      for (const o of m.offsetsUs) w.u16(Math.max(-32768, Math.min(32767, Math.round(o))) & 0xffff);
      break;
    case 'vote':
      w.u32(m.cycle); w.u32(m.digest.lo); w.u32(m.digest.hi); w.u8(m.role); w.u8(m.heardMask); w.u8(m.membersMask);
      w.u8(m.accuseMask); w.u8(m.admitMask); w.u8(m.propose); w.u8(m.failSafe);
      w.f64s(m.inputs); w.f64s(m.outputs);
      break;
    case 'proposal': w.u32(m.cycle); w.u8(m.select); w.u8(m.candMask); break;
    case 'join': w.u32(m.cycle); w.u32(m.claimCycle); w.u32(m.claimDigest); w.u8(m.ready); w.u32(m.workloadId); break;
    case 'reform': w.u32(m.cycle); w.u32(m.startCycle); w.u8(m.membersMask); w.u32(m.claimCycle); w.u32(m.claimDigest); break;
    case 'chunk':
      w.u32(m.snapCycle); w.u8(m.to); w.u16(m.index); w.u16(m.count); w.u32(m.totalCrc); w.u32(m.chunkCrc); w.bytes(m.bytes);
      break;
    case 'handover': w.u32(m.cycle); w.u8(m.to); break;
  }
  return w.done();
}

export type DecodeResult = { ok: true; msg: Msg } | { ok: false; reason: string };

/** Payload bytes -> Msg. Never throws: malformed input is an operating error the caller counts. */
export function decodeMsg(bytes: Uint8Array): DecodeResult {
  try {
    const r = new Reader(bytes);
    const type = r.u8();
    const from = r.u8();
    let msg: Msg;
    switch (type) {
      case MsgType.Input: {
        const cycle = r.u32(); const values = r.f64s(); const k = r.u8();
        if (k > 8) return { ok: false, reason: `${k} offsets > 8` };
        const offsetsUs: number[] = [];
        for (let i = 0; i < k; i++) offsetsUs.push((r.u16() << 16) >> 16);
        msg = { t: 'input', from, cycle, values, offsetsUs };
        break;
      }
      case MsgType.OutputVote: {
        const cycle = r.u32(); const lo = r.u32(); const digest: Digest = { hi: r.u32(), lo }; const role = r.u8();
        if (role > 1) return { ok: false, reason: `vote role ${role} not 0|1` };
        const heardMask = r.u8(); const membersMask = r.u8(); const accuseMask = r.u8(); const admitMask = r.u8();
        const propose = r.u8(); const failSafe = r.u8();
        if (failSafe > 1) return { ok: false, reason: `vote failSafe ${failSafe} not 0|1` };
        msg = {
          t: 'vote', from, cycle, digest, role: role as 0 | 1, heardMask, membersMask, accuseMask, admitMask, propose,
          failSafe: failSafe as 0 | 1, inputs: r.f64s(), outputs: r.f64s(),
        };
        break;
      }
      case MsgType.Heartbeat: msg = { t: 'proposal', from, cycle: r.u32(), select: r.u8(), candMask: r.u8() }; break;
      case MsgType.JoinRequest: {
        const cycle = r.u32(); const claimCycle = r.u32(); const claimDigest = r.u32(); const ready = r.u8(); const workloadId = r.u32();
        if (ready > JOIN_IN_SERVICE) return { ok: false, reason: `join ready ${ready} not 0|1|${JOIN_IN_SERVICE}` };
        msg = { t: 'join', from, cycle, claimCycle, claimDigest, ready: ready as JoinMsg['ready'], workloadId };
        break;
      }
      case MsgType.Membership:
        msg = { t: 'reform', from, cycle: r.u32(), startCycle: r.u32(), membersMask: r.u8(), claimCycle: r.u32(), claimDigest: r.u32() };
        break;
      case MsgType.StateChunk: {
        const snapCycle = r.u32(); const to = r.u8(); const index = r.u16(); const count = r.u16();
        const totalCrc = r.u32(); const chunkCrc = r.u32(); const b = r.bytes();
        if (index >= count) return { ok: false, reason: `chunk index ${index} >= count ${count}` };
        msg = { t: 'chunk', from, to, snapCycle, index, count, totalCrc, chunkCrc, bytes: b };
        break;
      }
      case MsgType.Handover: msg = { t: 'handover', from, cycle: r.u32(), to: r.u8() }; break;
      default: return { ok: false, reason: `message type ${type} is not a voter message` };
    }
    if (r.n !== bytes.length) return { ok: false, reason: `${bytes.length - r.n} trailing bytes` };
    return { ok: true, msg };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
