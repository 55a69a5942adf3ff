import { fnv1a32 } from '../voter/hash.ts';
import type { SignalSpec, Workload } from './types.ts';

/**
 * Reference workload: a PID loop holding the level of a tank filled by a pump and drained by a
 * demand outlet, with an overflow valve opened by a high-level switch or a large excess.
 * Inputs: [levelM (analog), highSwitch (0|1)]. Outputs: [pump 0..1, overflowValve 0|1].
 * The setpoint follows a fixed schedule by cycle so the demonstration has step changes to track.
 */
export interface TankState {
  cycle: number;
  integral: number;
  prevError: number;
}

export const tankDtS = 0.01;
const kp = 2.5;
const ki = 0.8;
const kd = 0.05;
const integralMax = 1.5;
/** Pump command quantum: outputs are rounded so tiny float noise cannot leak into actuators. */
const pumpQuantum = 1e-4;

export function tankSetpointM(cycle: number): number {
  const phase = Math.floor(cycle / 400) % 4;
  return [0.5, 0.7, 0.45, 0.6][phase]!;
}

const inputs: readonly SignalSpec[] = [
  { name: 'levelM', kind: 'analog', toleranceAbs: 0.02 },
  { name: 'highSwitch', kind: 'discrete' },
];
const outputs: readonly SignalSpec[] = [
  { name: 'pump', kind: 'analog' },
  { name: 'overflowValve', kind: 'discrete' },
];

const stateWords = 3;

export const tankWorkload: Workload<TankState> = {
  name: 'tank-pid',
  inputs,
  outputs,
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
    const a = new Float64Array([s.cycle, s.integral, s.prevError]);
    return new Uint8Array(a.buffer);
  },
  decode(bytes) {
    if (bytes.length !== stateWords * 8) throw new RangeError(`tank state: expected ${stateWords * 8} bytes, got ${bytes.length}`);
    const a = new Float64Array(bytes.slice().buffer);
    return { cycle: a[0]!, integral: a[1]!, prevError: a[2]! };
  },
  digest(s) {
    return fnv1a32(this.encode(s));
  },
};
