/**
 * Example: a thermostat. One heater relay held on or off around a setpoint by hysteresis:
 * on when the room falls to the band's bottom, off when it reaches the band's top, unchanged
 * in between (so the relay does not chatter on sensor noise).
 * Inputs: [tempC (analog, an I²C temperature sensor such as a TMP102 on each board)].
 * Outputs: [heater (0|1, a relay)].
 * Options: setpointC (21), bandC (1): the band is setpointC ± bandC/2.
 *
 * Deterministic: the state is one boolean and the decision compares the agreed temperature with
 * constants; no time, no randomness. The boards' own sensors differ by a fraction of a degree,
 * which mid-value select absorbs before `step` sees a value.
 */
import { defineWorkload, keyedNoise, type PlantContext, type PlantModel } from '../../src/workload/define.ts';

export interface ThermostatState {
  heaterOn: boolean;
}

export interface ThermostatOptions {
  setpointC?: number;
  bandC?: number;
}

/** The sensor's range (a TMP102 reads -40..125 °C; a room outside -20..80 is a broken sensor). */
const tempMinC = -20;
const tempMaxC = 80;

function option(o: Readonly<Record<string, unknown>>, key: string, fallback: number, ok: (v: number) => boolean, what: string): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RangeError(`${key}: ${JSON.stringify(v)} is not ${what}`);
  return v;
}

/** The band the thermostat holds, from the options (the plant reads the same ones). */
export function thermostatBand(o: Readonly<Record<string, unknown>>): { onBelowC: number; offAboveC: number } {
  const setpointC = option(o, 'setpointC', 21, (v) => v > tempMinC && v < tempMaxC, `a setpoint inside ${tempMinC}..${tempMaxC} °C`);
  const bandC = option(o, 'bandC', 1, (v) => v > 0 && v <= 10, 'a band above 0 and at most 10 °C');
  return { onBelowC: setpointC - bandC / 2, offAboveC: setpointC + bandC / 2 };
}

export default function thermostat(options: Readonly<Record<string, unknown>>) {
  const { onBelowC, offAboveC } = thermostatBand(options);
  return defineWorkload<ThermostatState>({
    name: 'thermostat',
    version: '1',
    inputs: [{ name: 'tempC', kind: 'analog', toleranceAbs: 0.5, min: tempMinC, max: tempMaxC, unit: 'degC' }],
    outputs: [{ name: 'heater', kind: 'discrete' }],
    // A relay that drops out when the rig fails safe: a cold room is the safe failure, not a fire.
    safeOutputs: [0],
    init: () => ({ heaterOn: false }),
    step(state, agreed) {
      const tempC = agreed[0]!;
      let heaterOn = state.heaterOn === true;
      if (!Number.isFinite(tempC)) heaterOn = false; // no temperature, no heat
      else if (tempC <= onBelowC) heaterOn = true;
      else if (tempC >= offAboveC) heaterOn = false;
      return { state: { heaterOn }, outputs: [heaterOn ? 1 : 0] };
    },
  });
}

/** The TMP102's resolution: each board's reading is a whole number of these. */
const sensorLsbC = 0.0625;
/** Each board's own sensor error (its chip, its spot on the board): under a quarter of the 0.5 °C tolerance with the LSB. */
const boardNoiseC = 0.06;
/** Noise every board sees alike (air moving past all three sensors). */
const commonNoiseC = 0.05;
/** Readings kept for boards that ask late (a slow board asks for an earlier cycle). */
const readingsKept = 64;

/**
 * The room: one thermal mass losing heat to the outside through walls with time constant tauS,
 * heated by a heater that would lift it heaterRiseC above the outside if left on. The outside
 * temperature is seeded (-5..10 °C) and wanders slowly. The defaults are a small, light room so
 * a run of seconds shows the heater cycling; a real room has tauS in hours.
 * Options (besides the workload's): tauS (30), heaterRiseC (40), startC (seeded 15..19).
 */
export function plant(ctx: PlantContext): PlantModel & { tempC: number; outsideC: number } {
  const o = ctx.options as { tauS?: number; heaterRiseC?: number; startC?: number };
  const seed = ctx.seed;
  const tauS = o.tauS ?? 30;
  const riseC = o.heaterRiseC ?? 40;
  const outsideBaseC = 2.5 + 7.5 * keyedNoise(seed, 0, 10);
  const wanderPeriodS = 300 + 300 * (keyedNoise(seed, 0, 11) + 1);
  const outsideAt = (cycle: number) => outsideBaseC + 2 * Math.sin((2 * Math.PI * cycle * ctx.periodS) / wanderPeriodS);
  const air = new Map<number, number>(); // cycle -> the temperature its sample reads (before each board's own error)
  let applied = 0;
  const self = {
    tempC: o.startC ?? 17 + 2 * keyedNoise(seed, 0, 12),
    outsideC: outsideAt(0),
    sensorsFor(board: number, cycle: number): readonly number[] {
      const t = air.get(cycle) ?? self.tempC + commonNoiseC * keyedNoise(seed, cycle, 1);
      const own = t + boardNoiseC * keyedNoise(seed ^ (0x7e3a + board), cycle, 2);
      return [Math.max(tempMinC, Math.min(tempMaxC, Math.round(own / sensorLsbC) * sensorLsbC))];
    },
    step(outputs: readonly number[] | null): void {
      const heater = (outputs ?? [0])[0] === 1 ? 1 : 0;
      const j = applied;
      self.outsideC = outsideAt(j);
      // Exact exponential step of dT/dt = (outside + heater*rise - T) / tau over one period.
      const target = self.outsideC + heater * riseC;
      self.tempC = target + (self.tempC - target) * Math.exp(-ctx.periodS / tauS);
      applied = j + 1;
      air.set(j + 2, self.tempC + commonNoiseC * keyedNoise(seed, j + 2, 1));
      air.delete(j + 2 - readingsKept);
    },
  };
  air.set(0, self.tempC + commonNoiseC * keyedNoise(seed, 0, 1));
  air.set(1, self.tempC + commonNoiseC * keyedNoise(seed, 1, 1));
  return self;
}
