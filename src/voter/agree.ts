import type { SignalSpec } from '../workload/types.ts';

export interface Agreement {
  values: number[];
  /** Indexes of signals where the samples disagreed (beyond tolerance / no exact majority). */
  disagree: number[];
}

/**
 * Input agreement over the samples of the voting boards (ordered by board id).
 * Analog: mid-value select (median of 3; mean of 2, exact when both are equal; the value of 1).
 * Discrete: exact majority; with no majority the smallest value (deterministic, flagged).
 * Non-finite samples count as missing. With no sample at all a signal agrees to 0 (flagged).
 */
export function agreeInputs(spec: readonly SignalSpec[], samples: readonly (readonly number[])[]): Agreement {
  const values: number[] = [];
  const disagree: number[] = [];
  for (let i = 0; i < spec.length; i++) {
    const s = spec[i]!;
    const xs: number[] = [];
    for (const sample of samples) {
      const x = sample[i];
      if (x !== undefined && Number.isFinite(x)) xs.push(x);
    }
    xs.sort((a, b) => a - b);
    if (xs.length === 0) { values.push(0); disagree.push(i); continue; }
    if (s.kind === 'analog') {
      const n = xs.length;
      const v = n % 2 === 1 ? xs[(n - 1) / 2]! : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
      values.push(v);
      const tol = s.toleranceAbs ?? 0;
      if (n >= 2 && xs.some((x) => Math.abs(x - v) > tol)) disagree.push(i);
    } else {
      let best = xs[0]!;
      let bestCount = 0;
      for (const x of xs) {
        const c = xs.filter((y) => y === x).length;
        if (c > bestCount) { best = x; bestCount = c; }
      }
      if (bestCount * 2 <= xs.length && xs.length > 1) { best = xs[0]!; disagree.push(i); }
      else if (bestCount !== xs.length) disagree.push(i);
      values.push(best);
    }
  }
  return { values, disagree };
}
