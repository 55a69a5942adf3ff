/**
 * PSU redundancy (pure): two (or more) power-good inputs, debounced here from the edges the GPIO
 * adapter reports, optionally cross-checked by an INA219-class monitor per rail.
 * States: redundant (at least two rails good), degraded (one left: alarm, hand the active role
 * away), lost (none: the board runs on hold-up energy).
 *
 * A rail is good when its debounced power-good level is 1 and, if a monitor is fitted and its last
 * reading is fresh, the reading is within the rail's thresholds. A failing or stale monitor is an
 * operating error (counted) and leaves the judgement to the power-good line: a broken sensor must
 * not demote a healthy board.
 */
import type { Bit } from '../ports/gpio.ts';
import { WatchdogConfigError, requireNumberIn } from './core-config-error.ts';
import { RedundancyTracker, redundancyOf } from './core-redundancy.ts';
import type { Redundancy, RedundancyChange } from './core-redundancy.ts';

export type PsuState = 'redundant' | 'degraded' | 'lost' | 'unknown';
export const psuStateNames: Record<Redundancy, PsuState> = { redundant: 'redundant', degraded: 'degraded', none: 'lost', unknown: 'unknown' };

export interface PsuRailConfig {
  name: string;
  /** Thresholds checked when a monitor is fitted on this rail. */
  busMinMv?: number;
  busMaxMv?: number;
  currentMaxMa?: number;
}

export interface PsuCoreConfig {
  rails: PsuRailConfig[];
  /** A power-good level must hold this long to count (contact bounce, supply ripple at switch-over). */
  debounceMs: number;
  /** A monitor reading older than this is ignored. */
  readingStaleMs: number;
}

export interface RailReading {
  busMv: number;
  currentMa: number;
}

export interface RailStatus {
  name: string;
  powerGood: Bit;
  reading: RailReading | undefined;
  good: boolean;
  /** Why the rail is not good (undefined when good). */
  fault: string | undefined;
}

export const railsMax = 4;

export function validatePsuConfig(cfg: PsuCoreConfig, field = 'psu'): void {
  if (!Array.isArray(cfg.rails) || cfg.rails.length < 2 || cfg.rails.length > railsMax) {
    throw new WatchdogConfigError(`${field}.rails`, cfg.rails?.length, `must list 2..${railsMax} rails`, 'list one entry per power supply (power-good pin, optional monitor)');
  }
  requireNumberIn(`${field}.debounceMs`, cfg.debounceMs, 0, 10_000, 'use a few ms to a few hundred ms');
  requireNumberIn(`${field}.readingStaleMs`, cfg.readingStaleMs, 1, 3_600_000, 'use a few polling periods');
  cfg.rails.forEach((r, i) => {
    const f = `${field}.rails[${i}]`;
    if (r.busMinMv !== undefined) requireNumberIn(`${f}.busMinMv`, r.busMinMv, 0, 32_000, 'the INA219 measures 0..32 V');
    if (r.busMaxMv !== undefined) requireNumberIn(`${f}.busMaxMv`, r.busMaxMv, r.busMinMv ?? 0, 32_000, 'make busMaxMv at least busMinMv, at most 32000');
    if (r.currentMaxMa !== undefined) requireNumberIn(`${f}.currentMaxMa`, r.currentMaxMa, 0, 1e6, 'use the rail\'s rated current in mA');
  });
}

interface Rail {
  cfg: PsuRailConfig;
  rawLevel: Bit;
  rawSinceMs: number;
  stableLevel: Bit;
  reading: RailReading | undefined;
  readingAtMs: number;
}

export class PsuMonitorCore {
  readonly #rails: Rail[];
  readonly #tracker: RedundancyTracker<PsuState>;
  #readErrors = 0;
  #lastReadError: string | undefined;

  /** `initialLevels`: the power-good levels read at start, taken as stable. */
  constructor(
    readonly cfg: PsuCoreConfig,
    initialLevels: readonly Bit[],
    startMs: number,
  ) {
    validatePsuConfig(cfg);
    if (initialLevels.length !== cfg.rails.length) throw new Error(`PsuMonitorCore: ${initialLevels.length} initial levels for ${cfg.rails.length} rails`);
    this.#rails = cfg.rails.map((r, i) => {
      const level = initialLevels[i] as Bit;
      return { cfg: r, rawLevel: level, rawSinceMs: startMs, stableLevel: level, reading: undefined, readingAtMs: -Infinity };
    });
    // `unknown` until the first step, so listeners attached after construction see the first judgement.
    this.#tracker = new RedundancyTracker(psuStateNames, startMs);
  }

  #rail(index: number): Rail {
    const r = this.#rails[index];
    if (!r) throw new RangeError(`PsuMonitorCore: no rail ${index}`);
    return r;
  }

  /** A power-good edge (the new logical level) on rail `index`. */
  powerGoodEdge(index: number, level: Bit, nowMs: number): RedundancyChange<PsuState> | undefined {
    const r = this.#rail(index);
    if (level !== r.rawLevel) {
      r.rawLevel = level;
      r.rawSinceMs = nowMs;
    }
    return this.#evaluate(nowMs);
  }

  /** A monitor reading on rail `index`, or the error that prevented it (counted). */
  reading(index: number, reading: RailReading | Error, nowMs: number): RedundancyChange<PsuState> | undefined {
    const r = this.#rail(index);
    if (reading instanceof Error) {
      this.#readErrors++;
      this.#lastReadError = `${r.cfg.name}: ${reading.message}`;
    } else {
      r.reading = reading;
      r.readingAtMs = nowMs;
    }
    return this.#evaluate(nowMs);
  }

  /** Applies the debounce and staleness as time passes. */
  step(nowMs: number): RedundancyChange<PsuState> | undefined {
    return this.#evaluate(nowMs);
  }

  #status(r: Rail, nowMs: number): RailStatus {
    const fresh = r.reading !== undefined && nowMs - r.readingAtMs <= this.cfg.readingStaleMs;
    const reading = fresh ? r.reading : undefined;
    let fault: string | undefined;
    if (r.stableLevel !== 1) fault = `${r.cfg.name} power-good low`;
    else if (reading) {
      const { busMinMv, busMaxMv, currentMaxMa } = r.cfg;
      if (busMinMv !== undefined && reading.busMv < busMinMv) fault = `${r.cfg.name} bus ${reading.busMv} mV below ${busMinMv} mV`;
      else if (busMaxMv !== undefined && reading.busMv > busMaxMv) fault = `${r.cfg.name} bus ${reading.busMv} mV above ${busMaxMv} mV`;
      else if (currentMaxMa !== undefined && reading.currentMa > currentMaxMa) fault = `${r.cfg.name} current ${reading.currentMa} mA above ${currentMaxMa} mA`;
    }
    return { name: r.cfg.name, powerGood: r.stableLevel, reading, good: fault === undefined, fault };
  }

  #evaluate(nowMs: number): RedundancyChange<PsuState> | undefined {
    for (const r of this.#rails) {
      if (r.rawLevel !== r.stableLevel && nowMs - r.rawSinceMs >= this.cfg.debounceMs) r.stableLevel = r.rawLevel;
    }
    const rails = this.#rails.map((r) => this.#status(r, nowMs));
    const good = rails.filter((s) => s.good).length;
    const faults = rails.flatMap((s) => (s.fault ? [s.fault] : []));
    const cause = `${good} of ${rails.length} supplies good${faults.length ? `; ${faults.join('; ')}` : ''}`;
    return this.#tracker.set(redundancyOf(good), cause, nowMs);
  }

  rails(nowMs: number): RailStatus[] {
    return this.#rails.map((r) => this.#status(r, nowMs));
  }
  get state(): PsuState {
    return this.#tracker.state;
  }
  get cause(): string {
    return this.#tracker.cause;
  }
  get handOver(): boolean {
    return this.#tracker.handOver;
  }
  get changes(): readonly RedundancyChange<PsuState>[] {
    return this.#tracker.changes;
  }
  get readErrors(): number {
    return this.#readErrors;
  }
  get lastReadError(): string | undefined {
    return this.#lastReadError;
  }
}
