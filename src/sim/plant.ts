import { keyedNoise } from './prng.ts';
import { tankDtS, tankWorkload } from '../workload/tank.ts';

/**
 * Simulated tank (physics + sensors + actuators), deterministic from a seed.
 * Timing: the outputs of cycle j are applied when the output stage closes cycle j; the reading
 * sampled for cycle j+2 reflects them (one cycle of actuation/sensing pipeline), so a board
 * sampling at its cycle start never races the actuator update.
 * `step(null)` means no board drove the cycle: the output stage de-energises to the safe outputs.
 */
export interface PlantOptions {
  seed: number;
  levelStartM?: number;
  /** Pump flow at full command, in metres of level per second. */
  pumpRateMps?: number;
  sensorNoiseM?: number;
}

const tankHeightM = 1.2;
const highSwitchM = 0.95;

export class Plant {
  readonly seed: number;
  levelM: number;
  /** Number of cycles applied so far. */
  applied = 0;
  readonly safeOutputs: readonly number[] = tankWorkload.safeOutputs;
  #pumpRate: number;
  #noise: number;
  #readings = new Map<number, readonly number[]>();

  constructor(o: PlantOptions) {
    this.seed = o.seed;
    this.levelM = o.levelStartM ?? 0.3;
    this.#pumpRate = o.pumpRateMps ?? 0.12;
    this.#noise = o.sensorNoiseM ?? 0.002;
    this.#readings.set(0, this.#reading(0));
    this.#readings.set(1, this.#reading(1));
  }

  #reading(cycle: number): readonly number[] {
    const level = this.levelM + this.#noise * keyedNoise(this.seed, cycle, 0);
    return [level, this.levelM > highSwitchM ? 1 : 0];
  }

  /** The sensor sample a healthy board reads at the start of `cycle` (identical for every board). */
  sensorsFor(_board: number, cycle: number): readonly number[] {
    return this.#readings.get(cycle) ?? this.#reading(cycle);
  }

  /** Apply the outputs accepted for cycle `applied` (null: nobody drove it -> safe outputs). */
  step(outputs: readonly number[] | null): void {
    const [pump = 0, valve = 0] = outputs ?? this.safeOutputs;
    const j = this.applied;
    const demand = 0.03 + 0.015 * Math.sin(j / 250) + 0.004 * keyedNoise(this.seed, j, 1);
    const overflow = valve >= 1 ? 0.25 * Math.sqrt(Math.max(0, this.levelM)) : 0;
    const rate = pump * this.#pumpRate - Math.max(0, demand) - overflow;
    this.levelM = Math.max(0, Math.min(tankHeightM, this.levelM + rate * tankDtS));
    this.applied = j + 1;
    this.#readings.set(j + 2, this.#reading(j + 2));
    this.#readings.delete(j - 2);
  }
}

export interface ReferenceRun { outputs: number[][]; levelsM: number[] }

/** The fault-free run for a seed: what the rig must produce, cycle by cycle. */
export function runReference(seed: number, cycles: number, plantOptions: Omit<PlantOptions, 'seed'> = {}): ReferenceRun {
  const plant = new Plant({ seed, ...plantOptions });
  let state = tankWorkload.init();
  const outputs: number[][] = [];
  const levelsM: number[] = [];
  for (let k = 0; k < cycles; k++) {
    const res = tankWorkload.step(state, plant.sensorsFor(0, k));
    state = res.state;
    outputs.push(res.outputs);
    plant.step(res.outputs);
    levelsM.push(plant.levelM);
  }
  return { outputs, levelsM };
}
