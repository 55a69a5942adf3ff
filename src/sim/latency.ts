/**
 * Message latency as data: an empirical distribution given by its quantiles, sampled by inverse
 * transform with linear interpolation between them. The figures for this machine's ptys and
 * loopback UDP, and how they were measured, are in src/sim/latency-data.ts.
 */
import type { Prng } from './prng.ts';

export interface LatencyQuantile {
  /** Cumulative probability, 0..1. */
  q: number;
  ms: number;
}

export interface LatencyDistribution {
  name: string;
  /** Ascending in q and ms, from q = 0 (the minimum) to q = 1 (the maximum seen). */
  quantiles: readonly LatencyQuantile[];
}

export function checkDistribution(d: LatencyDistribution): LatencyDistribution {
  const qs = d.quantiles;
  if (qs.length < 2 || qs[0]!.q !== 0 || qs[qs.length - 1]!.q !== 1) throw new RangeError(`latency ${d.name}: quantiles must run from q = 0 to q = 1`);
  for (let i = 1; i < qs.length; i++) {
    if (!(qs[i]!.q > qs[i - 1]!.q && qs[i]!.ms >= qs[i - 1]!.ms)) throw new RangeError(`latency ${d.name}: quantiles must ascend (entry ${i})`);
  }
  if (!(qs[0]!.ms >= 0)) throw new RangeError(`latency ${d.name}: negative latency`);
  return d;
}

/** One latency draw, in ms. */
export function sampleLatency(d: LatencyDistribution, rng: Prng): number {
  const u = rng.next();
  const qs = d.quantiles;
  for (let i = 1; i < qs.length; i++) {
    const hi = qs[i]!;
    if (u <= hi.q) {
      const lo = qs[i - 1]!;
      return lo.ms + ((u - lo.q) / (hi.q - lo.q)) * (hi.ms - lo.ms);
    }
  }
  return qs[qs.length - 1]!.ms;
}

/** The value at cumulative probability q (for reports and tests). */
export function latencyAt(d: LatencyDistribution, q: number): number {
  const qs = d.quantiles;
  for (let i = 1; i < qs.length; i++) {
    const hi = qs[i]!;
    if (q <= hi.q) {
      const lo = qs[i - 1]!;
      return lo.ms + ((q - lo.q) / (hi.q - lo.q)) * (hi.ms - lo.ms);
    }
  }
  return qs[qs.length - 1]!.ms;
}
