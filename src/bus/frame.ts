/**
 * The ftc frame, version 1. All integers big-endian (network order).
 *
 *   offset size field
 *   0      1    version        (frameVersion = 1)
 *   1      1    type           (src/bus/msgtypes.ts)
 *   2      1    flags          bit 0 = authenticated (a tag follows the payload);
 *                              bits 1..7 reserved, must be 0 in v1 (a layout change bumps version)
 *   3      1    source         board id, 1..sourceIdMax
 *   4      4    epoch          the source's boot count: a restart increments it
 *   8      4    seq            per source per epoch
 *   12     2    payloadLength  0..framePayloadBytesMax
 *   14     n    payload
 *   14+n   16   tag            only if flags bit 0: HMAC-SHA256(key, header+payload), first 16 bytes
 *   ...    4    crc            CRC-32C over every byte before it
 *
 * Size limit: payloads are at most 1024 bytes (a state snapshot goes in StateChunk pieces), so a
 * frame is at most 14 + 1024 + 16 + 4 = 1058 bytes (`frameBytesMax`): it fits one UDP datagram
 * on a 1500-byte MTU without IP fragmentation (1472 bytes of UDP payload), and costs ~92 ms at
 * 115200 baud, an upper bound on the serial latency added by one big frame.
 *
 * Receive order (`FrameCodec.verify`, then `FrameReceiver`): length -> CRC -> fixed header
 * (version, flags, length consistency) -> tag -> replay -> type. Nothing from an unauthenticated
 * frame is looked at beyond the fixed header; the payload is only handed out after all checks.
 *
 * The codec is pure: the HMAC comes in as a `MacFn` (node:crypto lives in auth-node.ts).
 */
import { crc32c } from './crc32c.ts';

export const frameVersion = 1;
export const frameHeaderBytes = 14;
export const frameTagBytes = 16;
export const frameCrcBytes = 4;
export const framePayloadBytesMax = 1024;
export const frameBytesMin = frameHeaderBytes + frameCrcBytes;
export const frameBytesMax = frameHeaderBytes + framePayloadBytesMax + frameTagBytes + frameCrcBytes;
export const frameFlagAuthenticated = 0x01;
/** HMAC keys shorter than this are refused (RFC 2104 §3: at least the output length L/2... we ask 16). */
export const macKeyBytesMin = 16;

/** HMAC-SHA256 or equivalent: returns at least `frameTagBytes` bytes; the codec keeps the first 16. */
export type MacFn = (key: Uint8Array, data: Uint8Array) => Uint8Array;

/**
 * `hmac`: every frame sent carries a tag; frames without a tag, or with a wrong one, are rejected.
 * `none-lab`: no tags, an explicit lab-only setting that `FrameCodec.authMode` reports so a console
 * or log can show it. Frames that carry a tag are then rejected (`unexpectedTag`): a lab board
 * cannot check them, and silently accepting them unchecked would hide a configuration mistake.
 */
export type FrameAuth = { mode: 'hmac'; key: Uint8Array; mac: MacFn } | { mode: 'none-lab' };

export interface FrameHeader {
  type: number;
  source: number;
  epoch: number;
  seq: number;
}

export interface Frame extends FrameHeader {
  version: number;
  flags: number;
  /** True when a tag was present and checked. */
  authenticated: boolean;
  /** A view into the received bytes: valid until the buffer is reused (copy it to keep it). */
  payload: Uint8Array;
}

export type RejectReason =
  | 'oversize'
  | 'truncated'
  | 'crc'
  | 'badVersion'
  | 'unauthenticated'
  | 'unexpectedTag'
  | 'forged';

function assertU(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`frame: ${name} must be an integer in [0, ${max}], got ${value}`);
  }
}

export class FrameCodec {
  readonly authMode: 'hmac' | 'none-lab';
  readonly #key: Uint8Array | null;
  readonly #mac: MacFn | null;

  constructor(auth: FrameAuth) {
    if (auth.mode === 'hmac') {
      if (!(auth.key instanceof Uint8Array) || auth.key.length < macKeyBytesMin) {
        throw new RangeError(
          `auth.key: an HMAC key of at least ${macKeyBytesMin} bytes is required, got ${
            auth.key instanceof Uint8Array ? `${auth.key.length} bytes` : typeof auth.key
          }; generate one with \`openssl rand -hex 32\` or set auth.mode to 'none-lab' for a lab rig`,
        );
      }
      if (typeof auth.mac !== 'function') throw new TypeError('auth.mac: a MacFn is required in hmac mode');
      this.authMode = 'hmac';
      // Our own copy: the MacFn may cache per-key state by identity, and callers may reuse buffers.
      this.#key = auth.key.slice();
      this.#mac = auth.mac;
    } else if (auth.mode === 'none-lab') {
      this.authMode = 'none-lab';
      this.#key = null;
      this.#mac = null;
    } else {
      throw new RangeError(`auth.mode: expected 'hmac' or 'none-lab', got ${String((auth as { mode: unknown }).mode)}`);
    }
  }

  /** Bytes a frame with `payloadBytes` of payload takes with this codec's auth mode. */
  frameBytes(payloadBytes: number): number {
    return frameHeaderBytes + payloadBytes + (this.#key ? frameTagBytes : 0) + frameCrcBytes;
  }

  /**
   * Writes a frame into `out` at `offset`; returns its length. Bad header values or a payload over
   * `framePayloadBytesMax` are programmer errors (RangeError).
   */
  encodeInto(h: FrameHeader, payload: Uint8Array, out: Uint8Array, offset = 0): number {
    assertU('type', h.type, 0xff);
    assertU('source', h.source, 0xff);
    assertU('epoch', h.epoch, 0xffffffff);
    assertU('seq', h.seq, 0xffffffff);
    const n = payload.length;
    if (n > framePayloadBytesMax) {
      throw new RangeError(`frame: payload is ${n} bytes, the maximum is framePayloadBytesMax = ${framePayloadBytesMax}`);
    }
    const total = this.frameBytes(n);
    if (out.length - offset < total) throw new RangeError(`frame: out has ${out.length - offset} bytes free, needs ${total}`);
    const o = offset;
    out[o] = frameVersion;
    out[o + 1] = h.type;
    out[o + 2] = this.#key ? frameFlagAuthenticated : 0;
    out[o + 3] = h.source;
    writeU32(out, o + 4, h.epoch);
    writeU32(out, o + 8, h.seq);
    out[o + 12] = n >>> 8;
    out[o + 13] = n & 0xff;
    out.set(payload, o + frameHeaderBytes);
    let end = o + frameHeaderBytes + n;
    if (this.#key) {
      const tag = this.#mac!(this.#key, out.subarray(o, end));
      if (tag.length < frameTagBytes) throw new RangeError(`auth.mac returned ${tag.length} bytes, needs >= ${frameTagBytes}`);
      out.set(tag.subarray(0, frameTagBytes), end);
      end += frameTagBytes;
    }
    writeU32(out, end, crc32c(out, o, end));
    return total;
  }

  encode(h: FrameHeader, payload: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.frameBytes(payload.length));
    this.encodeInto(h, payload, out, 0);
    return out;
  }

  /**
   * The header of a candidate frame whose length and CRC check out, or null: for a receiver that
   * drops a copy it has already delivered before spending a tag check on it. Nothing here is
   * authenticated: use it only to decide to drop, never to accept.
   */
  peekHeader(bytes: Uint8Array): { type: number; source: number; epoch: number; seq: number } | null {
    const len = bytes.length;
    if (len > frameBytesMax || len < frameBytesMin) return null;
    const crcAt = len - frameCrcBytes;
    if (crc32c(bytes, 0, crcAt) !== readU32(bytes, crcAt)) return null;
    return { type: bytes[1]!, source: bytes[3]!, epoch: readU32(bytes, 4), seq: readU32(bytes, 8) };
  }

  /**
   * Checks one candidate frame: length, CRC, fixed header, tag (in that order). Returns the frame
   * (payload is a view into `bytes`) or why it was rejected. Never throws on any input.
   * Replay and message type are the receiver's job (see FrameReceiver).
   */
  verify(bytes: Uint8Array): Frame | RejectReason {
    const len = bytes.length;
    if (len > frameBytesMax) return 'oversize';
    if (len < frameBytesMin) return 'truncated';
    const crcAt = len - frameCrcBytes;
    if (crc32c(bytes, 0, crcAt) !== readU32(bytes, crcAt)) return 'crc';
    const version = bytes[0]!;
    const flags = bytes[2]!;
    if (version !== frameVersion || (flags & ~frameFlagAuthenticated) !== 0) return 'badVersion';
    const tagged = (flags & frameFlagAuthenticated) !== 0;
    const n = (bytes[12]! << 8) | bytes[13]!;
    if (n > framePayloadBytesMax) return 'oversize';
    const payloadEnd = frameHeaderBytes + n;
    if (payloadEnd + (tagged ? frameTagBytes : 0) !== crcAt) return 'truncated';
    if (this.#key) {
      if (!tagged) return 'unauthenticated';
      const expected = this.#mac!(this.#key, bytes.subarray(0, payloadEnd));
      if (!tagEquals(expected, bytes, payloadEnd)) return 'forged';
    } else if (tagged) {
      return 'unexpectedTag';
    }
    return {
      version,
      type: bytes[1]!,
      flags,
      source: bytes[3]!,
      epoch: readU32(bytes, 4),
      seq: readU32(bytes, 8),
      authenticated: tagged,
      payload: bytes.subarray(frameHeaderBytes, payloadEnd),
    };
  }
}

/** Compares the first 16 bytes without an early exit, so timing does not leak how many matched. */
function tagEquals(expected: Uint8Array, bytes: Uint8Array, at: number): boolean {
  if (expected.length < frameTagBytes) return false;
  let diff = 0;
  for (let i = 0; i < frameTagBytes; i++) diff |= expected[i]! ^ bytes[at + i]!;
  return diff === 0;
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
