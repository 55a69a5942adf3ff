/**
 * Receive path: a COBS deframer for byte streams, a frame receiver (verify -> replay -> type),
 * and `StreamDecoder`, the two together.
 *
 * Operating errors (garbage, bit errors, a babbling peer, forged or replayed frames) are
 * counted, never thrown: `push()` never throws on any bytes. Memory is bounded: the deframer
 * holds at most `wireBytesMax` bytes of an unfinished frame; a longer run without a 0x00 is
 * discarded up to the next 0x00 and counted once as `oversize`.
 */
import { cobsDecodeInto, cobsEncodedBytesMax } from './cobs.ts';
import { type Frame, type FrameCodec, frameBytesMax } from './frame.ts';
import { isKnownMsgType } from './msgtypes.ts';
import { ReplayWindow, type ReplayWindowOptions } from './replay.ts';

/** Longest COBS run (without delimiters) a valid frame can produce. */
export const wireBytesMax = cobsEncodedBytesMax(frameBytesMax);

export interface RxCounters {
  /** Bytes received (stream bytes or datagram bytes). */
  bytesIn: number;
  /** Frames that passed every check and were handed out. */
  framesOk: number;
  crcErrors: number;
  /** Runs longer than a frame can be (babbling peer, lost delimiter), oversize datagrams. */
  oversize: number;
  /** Shorter than a frame, length field inconsistent, or a broken COBS group. */
  truncated: number;
  /** Unknown version or reserved flag bits set. */
  badVersion: number;
  /** Authenticated and fresh, but a message type this build does not know: skipped. */
  unknownType: number;
  /** Tag present but wrong. */
  forged: number;
  /** Keyed receiver got a frame without a tag. */
  unauthenticated: number;
  /** Lab (unkeyed) receiver got a tagged frame it cannot check: a key/config mismatch. */
  unexpectedTag: number;
  replayed: number;
  stale: number;
  /** Source id outside 1..sourceIdMax. */
  badSource: number;
}

export function newRxCounters(): RxCounters {
  return {
    bytesIn: 0,
    framesOk: 0,
    crcErrors: 0,
    oversize: 0,
    truncated: 0,
    badVersion: 0,
    unknownType: 0,
    forged: 0,
    unauthenticated: 0,
    unexpectedTag: 0,
    replayed: 0,
    stale: 0,
    badSource: 0,
  };
}

/** Human-readable reason for the last rejection, e.g. for a console line. */
export const rejectExplanations: Readonly<Record<string, string>> = {
  oversize: 'longer than frameBytesMax',
  truncated: 'shorter than its header says, or broken COBS',
  crc: 'CRC-32C mismatch (bit errors on the link)',
  badVersion: 'unknown frame version or reserved flags set',
  unauthenticated: 'untagged frame refused: this board requires HMAC tags (auth.mode hmac)',
  unexpectedTag: 'tagged frame refused: this board runs auth.mode none-lab and cannot check tags; give it the key',
  forged: 'HMAC tag mismatch (wrong key or tampering)',
  replay: 'sequence already seen in this epoch',
  stale: 'older epoch, or sequence behind the replay window',
  badSource: 'source id outside 1..sourceIdMax',
  unknownType: 'message type unknown to this build (skipped)',
};

/**
 * Splits a byte stream at 0x00 and COBS-decodes each run in place. Emits candidate frame bytes
 * (unverified); the view is valid only during the callback.
 */
export class Deframer {
  readonly #buf = new Uint8Array(wireBytesMax);
  #fill = 0;
  #discarding = false;
  readonly counters: RxCounters;
  readonly #onFrame: (bytes: Uint8Array) => void;

  constructor(onFrame: (bytes: Uint8Array) => void, counters: RxCounters = newRxCounters()) {
    this.#onFrame = onFrame;
    this.counters = counters;
  }

  /** Bytes of an unfinished frame held (bounded by wireBytesMax). */
  get bufferedBytes(): number {
    return this.#fill;
  }

  push(chunk: Uint8Array): void {
    this.counters.bytesIn += chunk.length;
    const buf = this.#buf;
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      const z = chunk.indexOf(0, pos);
      const runEnd = z < 0 ? n : z;
      const runLen = runEnd - pos;
      if (!this.#discarding) {
        if (this.#fill + runLen > buf.length) {
          // No delimiter within the longest legal frame: drop until the next 0x00.
          this.counters.oversize++;
          this.#discarding = true;
          this.#fill = 0;
        } else {
          buf.set(chunk.subarray(pos, runEnd), this.#fill);
          this.#fill += runLen;
        }
      }
      if (z < 0) break;
      // Delimiter.
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#fill > 0) {
        const len = cobsDecodeInto(buf, 0, this.#fill, buf, 0);
        this.#fill = 0;
        if (len < 0) this.counters.truncated++;
        else this.#onFrame(buf.subarray(0, len));
      }
      pos = z + 1;
    }
  }

  /** Forgets a partial frame (e.g. the port was reopened). */
  reset(): void {
    this.#fill = 0;
    this.#discarding = false;
  }
}

export interface FrameReceiverOptions extends ReplayWindowOptions {
  codec: FrameCodec;
  counters?: RxCounters;
  /** Share a replay window (e.g. one per board for all links); default: a private one. */
  replay?: ReplayWindow;
}

/** verify (length, CRC, header, tag) -> replay -> type, with counters. */
export class FrameReceiver {
  readonly codec: FrameCodec;
  readonly counters: RxCounters;
  readonly replay: ReplayWindow;
  /** Why the last frame was dropped (a key of rejectExplanations), or null. */
  lastReject: string | null = null;

  constructor(options: FrameReceiverOptions) {
    this.codec = options.codec;
    this.counters = options.counters ?? newRxCounters();
    this.replay = options.replay ?? new ReplayWindow(options);
  }

  /** Returns the frame if it passed every check, else null (counted). Never throws. */
  accept(bytes: Uint8Array): Frame | null {
    const c = this.counters;
    const r = this.codec.verify(bytes);
    if (typeof r === 'string') {
      this.lastReject = r;
      switch (r) {
        case 'crc':
          c.crcErrors++;
          break;
        case 'oversize':
          c.oversize++;
          break;
        case 'truncated':
          c.truncated++;
          break;
        case 'badVersion':
          c.badVersion++;
          break;
        case 'unauthenticated':
          c.unauthenticated++;
          break;
        case 'unexpectedTag':
          c.unexpectedTag++;
          break;
        case 'forged':
          c.forged++;
          break;
      }
      return null;
    }
    const v = this.replay.check(r.source, r.epoch, r.seq);
    if (v !== 'fresh') {
      this.lastReject = v;
      if (v === 'replay') c.replayed++;
      else if (v === 'stale') c.stale++;
      else c.badSource++;
      return null;
    }
    this.replay.commit(r.source, r.epoch, r.seq);
    if (!isKnownMsgType(r.type)) {
      this.lastReject = 'unknownType';
      c.unknownType++;
      return null;
    }
    c.framesOk++;
    return r;
  }
}

export interface StreamDecoderOptions extends FrameReceiverOptions {
  onFrame: (frame: Frame) => void;
}

/**
 * Feed it stream chunks; it calls `onFrame` for each good frame (payload view valid only during
 * the call). Never throws on any input; resynchronises at the next 0x00.
 */
export class StreamDecoder {
  readonly receiver: FrameReceiver;
  readonly #deframer: Deframer;

  constructor(options: StreamDecoderOptions) {
    this.receiver = new FrameReceiver(options);
    const onFrame = options.onFrame;
    this.#deframer = new Deframer((bytes) => {
      const f = this.receiver.accept(bytes);
      if (f) onFrame(f);
    }, this.receiver.counters);
  }

  get counters(): RxCounters {
    return this.receiver.counters;
  }

  get bufferedBytes(): number {
    return this.#deframer.bufferedBytes;
  }

  push(chunk: Uint8Array): void {
    this.#deframer.push(chunk);
  }

  reset(): void {
    this.#deframer.reset();
  }
}
