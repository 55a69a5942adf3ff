/**
 * Example: a heater on a clock schedule, with a randomised minimum off time. A checkpoint
 * workload (`class: 'checkpoint'`): its step reads the wall clock for the day or night set point
 * and draws the relay's anti-short-cycle delay at random, so three boards stepping it in
 * lockstep would never agree (`ftc workload check --class lockstep` says so). As a checkpoint
 * workload one board, the primary, steps it; its state (relay, hold-off end, switch count) goes
 * to the other boards after every epoch, and the relay command reaches the output stage only once
 * a backup holds that state. If the primary dies, a backup carries on from the newest checkpoint.
 * Inputs: [tempC (analog)]. Outputs: [heater (0|1)]. Options: daySetpointC (21), nightSetpointC
 * (17), dayFromHour (7), dayToHour (22), bandC (1), holdOffMs (3000: the relay stays off at least
 * this long, plus up to as much again at random, so several heaters on one supply do not all
 * come back together).
 */
import { defineWorkload } from '../../src/workload/define.ts';
export { plant } from '../thermostat/workload.ts';

export interface ScheduleState {
  heaterOn: boolean;
  holdUntilMs: number;
  switches: number;
}

function num(o: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${key}: ${JSON.stringify(v)} is not a number`);
  return v;
}

export default function schedule(options: Readonly<Record<string, unknown>>) {
  const day = num(options, 'daySetpointC', 21);
  const night = num(options, 'nightSetpointC', 17);
  const fromHour = num(options, 'dayFromHour', 7);
  const toHour = num(options, 'dayToHour', 22);
  const bandC = num(options, 'bandC', 1);
  const holdOffMs = num(options, 'holdOffMs', 3000);
  return defineWorkload<ScheduleState>({
    name: 'schedule',
    version: '1',
    class: 'checkpoint',
    inputs: [{ name: 'tempC', kind: 'analog', toleranceAbs: 0.5, min: -20, max: 80, unit: 'degC' }],
    outputs: [{ name: 'heater', kind: 'discrete' }],
    safeOutputs: [0],
    init: () => ({ heaterOn: false, holdUntilMs: 0, switches: 0 }),
    async step(state, [tempC]) {
      const nowMs = Date.now();
      const hour = new Date(nowMs).getHours();
      const setpointC = hour >= fromHour && hour < toHour ? day : night;
      let { heaterOn, holdUntilMs, switches } = state;
      if (!Number.isFinite(tempC!)) heaterOn = false;
      else if (heaterOn && tempC! >= setpointC + bandC / 2) {
        heaterOn = false;
        holdUntilMs = nowMs + holdOffMs * (1 + Math.random());
        switches++;
      } else if (!heaterOn && tempC! <= setpointC - bandC / 2 && nowMs >= holdUntilMs) {
        heaterOn = true;
        switches++;
      }
      return { state: { heaterOn, holdUntilMs, switches }, outputs: [heaterOn ? 1 : 0] };
    },
  });
}
