/**
 * Estimating a peer's cycle-start offset from messages that may be late (pure).
 *
 * Each cycle a board measures when a peer's Input for that cycle arrived, relative to its own
 * cycle start: m = offset + one-way delay + whatever held the sender or the receiver up (a late
 * wake, a GC pause), minus the nominal delay. The peer's Input carries its own measurement of us,
 * th = -offset + delay back + its hold-ups. Two-way, (m - th) / 2 cancels the delay and
 * (m + th) / 2 is the sample's delay. Hold-ups only ever add, so of the last few samples the one
 * with the least delay is the one least disturbed: its offset is the estimate (NTP's clock
 * filter, RFC 5905 §10; PTP's best-sample idea). Without th (a joining board is not measured by
 * anyone yet) the least m is taken.
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
  constructor(readonly peers: number, readonly windowCycles = SKEW_WINDOW_CYCLES_DEFAULT) {
    if (!(Number.isInteger(peers) && peers >= 1 && peers <= peersMax)) throw new RangeError(`SkewFilter: peers must be 1..${peersMax}, got ${peers}`);
    if (!(Number.isInteger(windowCycles) && windowCycles >= 1 && windowCycles <= 64)) throw new RangeError(`SkewFilter: windowCycles must be 1..64, got ${windowCycles}`);
    this.#samples = Array.from({ length: peers }, () => []);
  }

  /**
   * One measurement of `peer` for `cycle`: `oneWayMs` (m above) and, if the peer sent it, its
   * measurement of us `theirsMs` (NaN when unknown).
   */
  add(peer: number, cycle: number, oneWayMs: number, theirsMs: number): void {
    const s = this.#samples[peer]!;
    const twoWay = !Number.isNaN(theirsMs);
    s.push(twoWay ? { cycle, offsetMs: (oneWayMs - theirsMs) / 2, delayMs: (oneWayMs + theirsMs) / 2, twoWay } : { cycle, offsetMs: oneWayMs, delayMs: oneWayMs, twoWay });
    if (s.length > this.windowCycles) s.shift();
  }

  /** The best offset of `peer` among the samples of the last `windowCycles` before `cycle`, or NaN. */
  offset(peer: number, cycle: number): number {
    const s = this.#samples[peer]!;
    while (s.length > 0 && s[0]!.cycle < cycle - this.windowCycles) s.shift();
    let best: Sample | null = null;
    for (const x of s) if (best === null || x.delayMs < best.delayMs) best = x;
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
  }

  /** Forget everything (a new cycle grid: the old samples are about another epoch). */
  clear(): void {
    for (const s of this.#samples) s.length = 0;
  }
}
