/**
 * Example: a PID loop holding the level of a tank filled by a pump and drained by a demand
 * outlet, with an overflow valve opened by a high-level switch or a large excess. The rig's
 * default workload (package.json "ftc".defaultWorkload).
 * Inputs: [levelM (analog), highSwitch (0|1)]. Outputs: [pump 0..1, overflowValve 0|1].
 * The setpoint follows a fixed schedule by cycle so the demonstration has step changes to track.
 * It brings its own encoding (three float64s) and its plant: the tank's physics and sensors.
 */
import { defineWorkload, keyedNoise, type PlantContext, type PlantModel } from '../../src/workload/define.ts';

export interface TankState {
  cycle: number;
  integral: number;
  prevError: number;
}

/** The loop's time step (s): the gains are tuned for it, whatever the rig's rate. */
export const tankDtS = 0.01;
const kp = 2.5;
const ki = 0.8;
const kd = 0.05;
const integralMax = 1.5;
/** Pump command quantum: outputs are rounded so tiny float noise cannot leak into actuators. */
const pumpQuantum = 1e-4;
const stateWords = 3;

export function tankSetpointM(cycle: number): number {
  const phase = Math.floor(cycle / 400) % 4;
  return [0.5, 0.7, 0.45, 0.6][phase]!;
}

export const tankWorkload = defineWorkload<TankState>({
  name: 'tank-pid',
  version: '1',
  inputs: [
    { name: 'levelM', kind: 'analog', toleranceAbs: 0.02, min: 0, max: 1.2, unit: 'm' },
    { name: 'highSwitch', kind: 'discrete' },
  ],
  outputs: [
    { name: 'pump', kind: 'analog', min: 0, max: 1 },
    { name: 'overflowValve', kind: 'discrete' },
  ],
  safeOutputs: [0, 0],
  init: () => ({ cycle: 0, integral: 0, prevError: 0 }),
  step(state, agreed) {
    const level = agreed[0] ?? 0;
    const high = agreed[1] ?? 0;
    const sp = tankSetpointM(state.cycle);
    const err = sp - level;
    const integral = Math.max(-integralMax, Math.min(integralMax, state.integral + err * tankDtS));
    const deriv = (err - state.prevError) / tankDtS;
    const u = kp * err + ki * integral + kd * deriv;
    const pump = Math.round(Math.max(0, Math.min(1, u)) / pumpQuantum) * pumpQuantum;
    const valve = high >= 1 || level > sp + 0.15 ? 1 : 0;
    return { state: { cycle: state.cycle + 1, integral, prevError: err }, outputs: [pump, valve] };
  },
  encode(s) {
    return new Uint8Array(new Float64Array([s.cycle, s.integral, s.prevError]).buffer);
  },
  decode(bytes) {
    if (bytes.length !== stateWords * 8) throw new RangeError(`tank state: expected ${stateWords * 8} bytes, got ${bytes.length}`);
    const a = new Float64Array(bytes.slice().buffer);
    return { cycle: a[0]!, integral: a[1]!, prevError: a[2]! };
  },
});

export default tankWorkload;

const tankHeightM = 1.2;
const highSwitchM = 0.95;

/**
 * The tank: level from pump inflow, a demand outlet that wanders, and the overflow valve. Its
 * options: levelStartM (0.3), pumpRateMps (0.12 m/s at full command), sensorNoiseM (0.002).
 */
export function plant(ctx: PlantContext): PlantModel & { levelM: number } {
  const o = ctx.options as { levelStartM?: number; pumpRateMps?: number; sensorNoiseM?: number };
  const seed = ctx.seed;
  const pumpRate = o.pumpRateMps ?? 0.12;
  const noise = o.sensorNoiseM ?? 0.002;
  const readings = new Map<number, readonly number[]>();
  let applied = 0;
  const self = {
    levelM: o.levelStartM ?? 0.3,
    sensorsFor(_board: number, cycle: number): readonly number[] {
      return readings.get(cycle) ?? reading(cycle);
    },
    step(outputs: readonly number[] | null): void {
      const [pump = 0, valve = 0] = outputs ?? tankWorkload.safeOutputs;
      const j = applied;
      const demand = 0.03 + 0.015 * Math.sin(j / 250) + 0.004 * keyedNoise(seed, j, 1);
      const overflow = valve >= 1 ? 0.25 * Math.sqrt(Math.max(0, self.levelM)) : 0;
      const rate = pump * pumpRate - Math.max(0, demand) - overflow;
      self.levelM = Math.max(0, Math.min(tankHeightM, self.levelM + rate * tankDtS));
      applied = j + 1;
      readings.set(j + 2, reading(j + 2));
      readings.delete(j - 2);
    },
  };
  function reading(cycle: number): readonly number[] {
    const level = self.levelM + noise * keyedNoise(seed, cycle, 0);
    return [level, self.levelM > highSwitchM ? 1 : 0];
  }
  readings.set(0, reading(0));
  readings.set(1, reading(1));
  return self;
}
