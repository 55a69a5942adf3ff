/**
 * The simulated world of a workload that brings no plant of its own: seeded inputs within each
 * signal's declared range, open loop (the outputs are applied and ignored).
 *
 * - analog: a smooth wander between min and max (0..1 if not declared): a sum of three slow sines
 *   with seeded periods and phases, the same on every board, plus per-board noise of at most a
 *   quarter of the signal's tolerance (mid-value select agrees on it);
 * - discrete: a seeded 0/1 level held for 20-200 cycles at a time, the same on every board.
 * Every sample is a pure function of (seed, board, cycle), so any board may ask in any order.
 */
import type { PlantModel, SignalSpec } from '../workload/types.ts';
import { keyedNoise } from './prng.ts';

const unit = (seed: number, cycle: number, stream: number) => (keyedNoise(seed, cycle, stream) + 1) / 2;

export function signalPlant(seed: number, inputs: readonly SignalSpec[]): PlantModel {
  const waves = inputs.map((s, i) => [0, 1, 2].map((j) => ({
    periodCycles: 80 + 1000 * unit(seed, i, 100 + j),
    phase: 2 * Math.PI * unit(seed, i, 200 + j),
    weight: [0.5, 0.3, 0.2][j]!,
  })));
  const analog = (i: number, s: SignalSpec, cycle: number): number => {
    const lo = s.min ?? 0;
    const hi = s.max ?? 1;
    let u = 0;
    for (const w of waves[i]!) u += w.weight * Math.sin((2 * Math.PI * cycle) / w.periodCycles + w.phase);
    // u in [-1, 1]: kept off the range's ends by the noise's margin.
    const margin = (s.toleranceAbs ?? 0) / 4;
    return lo + margin + ((u + 1) / 2) * Math.max(0, hi - lo - 2 * margin);
  };
  const discrete = (i: number, cycle: number): number => {
    // Blocks of 20-200 cycles; each block's level is seeded.
    const blockCycles = 20 + Math.floor(180 * unit(seed, i, 300));
    return unit(seed, Math.floor(cycle / blockCycles), 400 + i) < 0.5 ? 0 : 1;
  };
  return {
    sensorsFor(board, cycle) {
      return inputs.map((s, i) => {
        if (s.kind === 'discrete') return discrete(i, cycle);
        const noise = ((s.toleranceAbs ?? 0) / 4) * keyedNoise(seed ^ (0x51ed + board), cycle, i);
        return analog(i, s, cycle) + noise;
      });
    },
    step() { /* open loop */ },
  };
}
