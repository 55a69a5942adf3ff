/**
 * Estimating a peer's cycle-start offset from messages that may be late (pure).
 *
 * Each cycle a board measures when a peer's Input for that cycle arrived, relative to its own
 * cycle start: m(c) = offset + one-way delay + whatever held the sender or the receiver up (a late
 * wake, a GC pause), minus the nominal delay. The peer's next Input carries its measurement of our
 * Input of the same cycle, th(c) = -offset + delay back + its hold-ups. Two-way, (m - th) / 2
 * cancels the delay and (m + th) / 2 is the sample's delay; both halves are about the same cycle's
 * traffic, so a delay that changes (a fault starting or ending) is not read as an offset for long.
 * Hold-ups only ever add, so of the last few samples the one with the least delay is the one least
 * disturbed: its offset is the estimate (NTP's clock filter, RFC 5905 §10; PTP's best-sample
 * idea). Without th (a joining board is not measured by anyone yet) the least m is taken.
 *
 * A late message is then a late message, not a skew: one noisy cycle cannot move the estimate,
 * and a real offset shows in every sample, the least delayed one too.
 *
 * Limits: at most `windowCycles` samples per peer (the oldest drop out), at most 16 peers.
 */

interface Sample {
  cycle: number;
  offsetMs: number;
  delayMs: number;
  twoWay: boolean;
}

export const SKEW_WINDOW_CYCLES_DEFAULT = 8;
const peersMax = 16;

export class SkewFilter {
  readonly #samples: Sample[][];
  /** The last one-way measurement of each peer, waiting for the peer's half of the same cycle. */
  readonly #lastOneWay: Array<{ cycle: number; ms: number; shiftMs: number }>;
  constructor(readonly peers: number, readonly windowCycles = SKEW_WINDOW_CYCLES_DEFAULT) {
    if (!(Number.isInteger(peers) && peers >= 1 && peers <= peersMax)) throw new RangeError(`SkewFilter: peers must be 1..${peersMax}, got ${peers}`);
    if (!(Number.isInteger(windowCycles) && windowCycles >= 1 && windowCycles <= 64)) throw new RangeError(`SkewFilter: windowCycles must be 1..64, got ${windowCycles}`);
    this.#samples = Array.from({ length: peers }, () => []);
    this.#lastOneWay = Array.from({ length: peers }, () => ({ cycle: -Infinity, ms: NaN, shiftMs: 0 }));
  }

  /**
   * `peer`'s Input for `cycle` arrived `oneWayMs` after our cycle start (m above), carrying its
   * measurement of our Input of the cycle before (`theirsMs`, NaN when unknown).
   */
  add(peer: number, cycle: number, oneWayMs: number, theirsMs: number): void {
    const s = this.#samples[peer]!;
    const prev = this.#lastOneWay[peer]!;
    this.#lastOneWay[peer] = { cycle, ms: oneWayMs, shiftMs: 0 };
    if (Number.isNaN(theirsMs)) s.push({ cycle, offsetMs: oneWayMs, delayMs: oneWayMs, twoWay: false });
    // Both halves were measured against our cycle start as it was then; moves of it since count against the offset.
    else if (prev.cycle === cycle - 1) s.push({ cycle: cycle - 1, offsetMs: (prev.ms - theirsMs) / 2 - prev.shiftMs, delayMs: (prev.ms + theirsMs) / 2, twoWay: true });
    else return; // nothing of ours to pair it with (a lost Input): no sample
    if (s.length > this.windowCycles) s.shift();
  }

  /**
   * The best offset of `peer` among the samples of the last `windowCycles` before `cycle`, or
   * NaN. `twoWayOnly`: only samples whose delay cancelled (a one-way sample cannot tell a late
   * sender from a late reader: a voting board acts on two-way samples only).
   */
  offset(peer: number, cycle: number, twoWayOnly = false): number {
    const s = this.#samples[peer]!;
    while (s.length > 0 && s[0]!.cycle < cycle - this.windowCycles) s.shift();
    let best: Sample | null = null;
    for (const x of s) if ((!twoWayOnly || x.twoWay) && (best === null || x.delayMs < best.delayMs)) best = x;
    return best === null ? NaN : best.offsetMs;
  }

  /**
   * This board moved its own cycle start later by `deltaMs`: every stored offset (peer start minus
   * ours) is that much smaller now. Delays do not change (one-way samples move with the offset).
   */
  shift(deltaMs: number): void {
    for (const s of this.#samples) {
      for (const x of s) {
        x.offsetMs -= deltaMs;
        if (!x.twoWay) x.delayMs -= deltaMs;
      }
    }
    for (const x of this.#lastOneWay) x.shiftMs += deltaMs;
  }

  /** Forget everything (a new cycle grid: the old samples are about another epoch). */
  clear(): void {
    for (const s of this.#samples) s.length = 0;
    for (const x of this.#lastOneWay) x.cycle = -Infinity;
  }
}
