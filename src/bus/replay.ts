/**
 * Per-source anti-replay window over (epoch, sequence), after IPsec's sliding window
 * (RFC 4303 §3.4.3, RFC 6479): the highest sequence seen plus a bitmap of the `windowSize`
 * sequences below it.
 *
 * - A newer epoch (the source rebooted: its boot count went up) resets the window.
 * - An older epoch is `stale` (a frame from before the source's restart).
 * - A sequence already seen is `replay`; one more than `windowSize - 1` behind the highest is
 *   `stale` (we can no longer tell, so we refuse).
 *
 * `check()` only looks; `commit()` records. Callers check, then verify whatever else they need,
 * then commit, so a frame rejected for another reason does not burn its sequence number.
 * Sources are board ids 1..`sourceIdMax` (small): memory is bounded by construction.
 *
 * Pure, deterministic, no allocation after construction.
 */

export type ReplayVerdict = 'fresh' | 'replay' | 'stale' | 'badSource';

export interface ReplayWindowOptions {
  /** Width of the bitmap in sequences: a multiple of 32, 32..1024. Default 128. */
  windowSize?: number;
  /** Largest accepted source id (ids are 1..sourceIdMax). Default 16, at most 255. */
  sourceIdMax?: number;
}

export const replayWindowSizeDefault = 128;
export const sourceIdMaxDefault = 16;

export class ReplayWindow {
  readonly windowSize: number;
  readonly sourceIdMax: number;
  readonly #words: number;
  /** Per source: whether anything was committed yet. */
  readonly #known: Uint8Array;
  readonly #epoch: Uint32Array;
  readonly #top: Uint32Array;
  /** Per source `#words` u32s; bit k of the window (k = top - seq) is word k>>5, bit k&31. */
  readonly #bits: Uint32Array;

  constructor(options: ReplayWindowOptions = {}) {
    const windowSize = options.windowSize ?? replayWindowSizeDefault;
    const sourceIdMax = options.sourceIdMax ?? sourceIdMaxDefault;
    if (!Number.isInteger(windowSize) || windowSize < 32 || windowSize > 1024 || windowSize % 32 !== 0) {
      throw new RangeError(`ReplayWindow: windowSize must be a multiple of 32 in [32, 1024], got ${windowSize}`);
    }
    if (!Number.isInteger(sourceIdMax) || sourceIdMax < 1 || sourceIdMax > 255) {
      throw new RangeError(`ReplayWindow: sourceIdMax must be an integer in [1, 255], got ${sourceIdMax}`);
    }
    this.windowSize = windowSize;
    this.sourceIdMax = sourceIdMax;
    this.#words = windowSize >>> 5;
    this.#known = new Uint8Array(sourceIdMax + 1);
    this.#epoch = new Uint32Array(sourceIdMax + 1);
    this.#top = new Uint32Array(sourceIdMax + 1);
    this.#bits = new Uint32Array((sourceIdMax + 1) * this.#words);
  }

  check(source: number, epoch: number, seq: number): ReplayVerdict {
    if (!(source >= 1 && source <= this.sourceIdMax)) return 'badSource';
    if (this.#known[source] === 0) return 'fresh';
    const e = this.#epoch[source]!;
    if (epoch > e) return 'fresh';
    if (epoch < e) return 'stale';
    const top = this.#top[source]!;
    if (seq > top) return 'fresh';
    const k = top - seq;
    if (k >= this.windowSize) return 'stale';
    const word = this.#bits[source * this.#words + (k >>> 5)]!;
    return (word >>> (k & 31)) & 1 ? 'replay' : 'fresh';
  }

  /** Records (epoch, seq) for `source`. Call only after `check()` returned 'fresh'. */
  commit(source: number, epoch: number, seq: number): void {
    if (!(source >= 1 && source <= this.sourceIdMax)) {
      throw new RangeError(`ReplayWindow.commit: source ${source} outside 1..${this.sourceIdMax}`);
    }
    const base = source * this.#words;
    const bits = this.#bits;
    const words = this.#words;
    if (this.#known[source] === 0 || epoch > this.#epoch[source]!) {
      this.#known[source] = 1;
      this.#epoch[source] = epoch;
      this.#top[source] = seq;
      bits.fill(0, base, base + words);
      bits[base] = 1;
      return;
    }
    const top = this.#top[source]!;
    if (seq > top) {
      const shift = seq - top;
      if (shift >= this.windowSize) {
        bits.fill(0, base, base + words);
      } else {
        // Shift the whole bitmap towards higher k by `shift` bits.
        const wordShift = shift >>> 5;
        const bitShift = shift & 31;
        for (let w = words - 1; w >= 0; w--) {
          const from = w - wordShift;
          const hi = from >= 0 ? bits[base + from]! : 0;
          const lo = from - 1 >= 0 ? bits[base + from - 1]! : 0;
          bits[base + w] = bitShift === 0 ? hi : ((hi << bitShift) | (lo >>> (32 - bitShift))) >>> 0;
        }
      }
      this.#top[source] = seq;
      bits[base] = (bits[base]! | 1) >>> 0;
    } else {
      const k = top - seq;
      if (k < this.windowSize) {
        const i = base + (k >>> 5);
        bits[i] = (bits[i]! | (1 << (k & 31))) >>> 0;
      }
    }
  }

  /** check() then commit() if fresh; returns the verdict. */
  accept(source: number, epoch: number, seq: number): ReplayVerdict {
    const v = this.check(source, epoch, seq);
    if (v === 'fresh') this.commit(source, epoch, seq);
    return v;
  }

  /** The (epoch, highest seq) last committed for `source`, or null. For diagnostics. */
  position(source: number): { epoch: number; seq: number } | null {
    if (!(source >= 1 && source <= this.sourceIdMax) || this.#known[source] === 0) return null;
    return { epoch: this.#epoch[source]!, seq: this.#top[source]! };
  }
}
