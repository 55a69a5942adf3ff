/**
 * Board temperature (pure): from SoC temperature readings to ok / hot, with hysteresis. A hot
 * board is still correct, but soon a slow one: a Raspberry Pi's firmware throttles the ARM cores
 * from 80 °C, harder towards 85 °C (Raspberry Pi documentation, "Frequency management and
 * thermal control"), and a throttled board misses deadlines. So a hot board hands its work to a
 * cooler one ahead of that, as it does on losing one PSU or one NIC slave.
 */
export type ThermalState = 'ok' | 'hot' | 'unknown';

export interface ThermalConfig {
  /** At or above this the board is hot and hands over. */
  handOverC: number;
  /** It is ok again only below this (hysteresis: a reading near the limit does not flap). */
  clearC: number;
}

export const THERMAL_DEFAULTS: ThermalConfig = { handOverC: 80, clearC: 75 };

/** A temperature outside this is a broken sensor, not a reading. */
const PLAUSIBLE_C = { min: -40, max: 150 } as const;

export interface ThermalChange {
  from: ThermalState;
  to: ThermalState;
  atMs: number;
  cause: string;
  /** Only a hot board hands over: an unreadable sensor is reported, not acted on. */
  handOver: boolean;
}

export function checkThermalConfig(c: ThermalConfig): string | null {
  if (!(Number.isFinite(c.handOverC) && c.handOverC > PLAUSIBLE_C.min && c.handOverC < PLAUSIBLE_C.max)) return `handOverC ${c.handOverC} is not a temperature in (${PLAUSIBLE_C.min}, ${PLAUSIBLE_C.max}) °C`;
  if (!(Number.isFinite(c.clearC) && c.clearC < c.handOverC)) return `clearC ${c.clearC} must be below handOverC ${c.handOverC} (the hysteresis)`;
  return null;
}

export class ThermalCore {
  #state: ThermalState = 'unknown';
  #lastC: number | null = null;
  #cause = 'no reading yet';
  readonly stats = { readings: 0, readErrors: 0 };

  constructor(readonly cfg: ThermalConfig = THERMAL_DEFAULTS) {
    const bad = checkThermalConfig(cfg);
    if (bad) throw new RangeError(`thermal: ${bad}`);
  }

  get state(): ThermalState {
    return this.#state;
  }

  get lastC(): number | null {
    return this.#lastC;
  }

  /** Why the state is what it is (the last reading, or why there was none): for the console. */
  get cause(): string {
    return this.#cause;
  }

  /** A reading in °C, or why there is none. Returns the change, if the state changed. */
  update(reading: number | Error, nowMs: number): ThermalChange | undefined {
    let to: ThermalState;
    let cause: string;
    if (reading instanceof Error || !(reading > PLAUSIBLE_C.min && reading < PLAUSIBLE_C.max)) {
      this.stats.readErrors++;
      this.#lastC = null;
      to = 'unknown';
      cause = reading instanceof Error ? reading.message : `implausible reading ${reading} °C`;
    } else {
      this.stats.readings++;
      this.#lastC = reading;
      const c = reading.toFixed(1);
      if (reading >= this.cfg.handOverC) { to = 'hot'; cause = `SoC ${c} °C, at or over ${this.cfg.handOverC} °C`; }
      else if (this.#state === 'hot' && reading >= this.cfg.clearC) { to = 'hot'; cause = `SoC ${c} °C, not yet below ${this.cfg.clearC} °C`; }
      else { to = 'ok'; cause = `SoC ${c} °C`; }
    }
    this.#cause = cause;
    if (to === this.#state) return undefined;
    const change: ThermalChange = { from: this.#state, to, atMs: nowMs, cause, handOver: to === 'hot' };
    this.#state = to;
    return change;
  }
}
