/**
 * The simulated world of a run: the workload's own plant (its module's `plant` export) or, when
 * it brings none, seeded inputs within its signals' ranges (src/sim/signal-plant.ts). Both are
 * deterministic from the seed. `step(null)` means no board drove the cycle: the output stage
 * de-energises to the safe outputs.
 */
import type { LoadedWorkload } from '../workload/loader.ts';
import type { PlantModel, SignalSpec, Workload } from '../workload/types.ts';
import { agreeInputs } from '../voter/agree.ts';
import { signalPlant } from './signal-plant.ts';

export interface SimWorld {
  workload: Workload<unknown>;
  /** A fresh plant for a run of `seed`. */
  plantFor(seed: number): PlantModel;
}

export function simWorld(l: LoadedWorkload, periodS: number): SimWorld {
  const factory = l.plant;
  return {
    workload: l.workload,
    plantFor: (seed) => (factory ? factory({ seed, options: l.options, periodS }) : signalPlant(seed, l.workload.inputs)),
  };
}

/**
 * The same world with every board reading board 0's sample: the voter-core swarm (src/sim/sim.ts)
 * judges outputs against one fault-free reference, which per-board noise would make depend on
 * whose samples each cycle agreed (the whole-board swarm judges per cycle and keeps the noise).
 */
export function sameSamplesWorld(world: SimWorld): SimWorld {
  return {
    workload: world.workload,
    plantFor(seed) {
      const p = world.plantFor(seed);
      return { sensorsFor: (_board, cycle) => p.sensorsFor(0, cycle), step: (o) => p.step(o) };
    },
  };
}

/** A sensor fault's reading: stuck (every sensor at a fixed value) or noisy (analog ones a sixth of their range off, discrete ones random). */
export function faultySample(specs: readonly SignalSpec[], base: readonly number[], kind: 'stuck' | 'noisy', rng: { range(lo: number, hi: number): number; int(n: number): number }): number[] {
  const lo = (x: SignalSpec) => x.min ?? 0;
  const hi = (x: SignalSpec) => x.max ?? 1;
  if (kind === 'stuck') return specs.map((x) => (x.kind === 'discrete' ? 0 : lo(x) + 0.8 * (hi(x) - lo(x))));
  return specs.map((x, i) => (x.kind === 'discrete' ? rng.int(2) : base[i]! + (rng.range(-1, 1) * (hi(x) - lo(x))) / 6));
}

export interface ReferenceRun { outputs: number[][] }

/** What three healthy boards agree for `cycle`: the mid-value (analog) or majority (discrete) of their samples. */
export function agreedSample(plant: PlantModel, wl: Workload<unknown>, cycle: number): number[] {
  return agreeInputs(wl.inputs, [0, 1, 2].map((b) => plant.sensorsFor(b, cycle))).values;
}

/** The fault-free run for a seed: what the rig must produce, cycle by cycle. */
export function runReference(world: SimWorld, seed: number, cycles: number): ReferenceRun {
  const plant = world.plantFor(seed);
  const wl = world.workload;
  let state = wl.init();
  const outputs: number[][] = [];
  for (let k = 0; k < cycles; k++) {
    const res = wl.step(state, agreedSample(plant, wl, k));
    state = res.state;
    outputs.push(res.outputs);
    plant.step(res.outputs);
  }
  return { outputs };
}
