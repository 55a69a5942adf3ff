/**
 * Board temperature (adapter): reads a thermal zone's `temp` (millidegrees Celsius, see the
 * kernel's Documentation/driver-api/thermal/sysfs-api.rst) under a configurable root (`/` on a
 * board, a directory of the simulator's) and feeds the pure ThermalCore.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../ports/clock.ts';
import { ThermalCore, type ThermalChange, type ThermalConfig, type ThermalState } from './core-thermal.ts';

export interface ThermalMonitorOptions extends Partial<ThermalConfig> {
  /** Filesystem root holding sys/. Default `/`. */
  root?: string;
  /** The zone, e.g. thermal_zone0 (a Pi's SoC). */
  zone?: string;
}

/** A `temp` file is one number and a newline: more is not a temperature. */
const TEMP_FILE_BYTES_MAX = 32;

export class ThermalMonitor {
  readonly core: ThermalCore;
  readonly #listeners: Array<(c: ThermalChange) => void> = [];
  readonly #path: string;

  constructor(readonly opts: ThermalMonitorOptions, readonly clock: Clock) {
    this.core = new ThermalCore({ handOverC: opts.handOverC ?? 80, clearC: opts.clearC ?? 75 });
    const zone = opts.zone ?? 'thermal_zone0';
    if (!/^thermal_zone\d{1,3}$/.test(zone)) throw new RangeError(`thermal.zone: "${zone}" is not thermal_zoneN`);
    this.#path = join(opts.root ?? '/', 'sys/class/thermal', zone, 'temp');
  }

  onChange(listener: (c: ThermalChange) => void): void {
    this.#listeners.push(listener);
  }

  /** Reads once; a missing or garbled file is state `unknown` with the reason (counted, never thrown). */
  poll(): ThermalChange | undefined {
    let reading: number | Error;
    try {
      const text = readFileSync(this.#path, 'utf8').slice(0, TEMP_FILE_BYTES_MAX).trim();
      reading = /^-?\d+$/.test(text) ? Number(text) / 1000 : new Error(`${this.#path}: "${text}" is not millidegrees`);
    } catch (e) {
      reading = new Error(`${this.#path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const change = this.core.update(reading, this.clock.nowMs());
    if (change) for (const l of this.#listeners) l(change);
    return change;
  }

  get state(): ThermalState {
    return this.core.state;
  }
}
