/**
 * PSU monitor (adapter): power-good inputs on GPIO (edge interrupts; debounced by the pure core
 * under the caller's clock) and optional INA219 monitors polled on I²C. Changes go to listeners;
 * a change into `degraded` or `lost` carries `handOver: true` for the voter.
 */
import type { Clock } from '../ports/clock.ts';
import type { GpioChip, GpioLine } from '../ports/gpio.ts';
import type { I2cBus } from '../ports/i2c.ts';
import { PsuMonitorCore } from './core-psu.ts';
import type { PsuRailConfig, PsuState, RailStatus } from './core-psu.ts';
import type { RedundancyChange } from './core-redundancy.ts';
import { Ina219 } from './ina219.ts';

export interface PsuRailWiring extends PsuRailConfig {
  /** sysfs GPIO number of the supply's power-good output. */
  powerGoodPin: number;
  /** Power-good outputs are often open-drain, active low. */
  activeLow?: boolean;
  monitor?: { bus: I2cBus; address: number; shuntMilliOhm: number };
}

export interface PsuMonitorOptions {
  rails: PsuRailWiring[];
  debounceMs: number;
  readingStaleMs: number;
}

export type PsuListener = (change: RedundancyChange<PsuState>) => void;

export class PsuMonitor {
  readonly core: PsuMonitorCore;
  readonly #lines: GpioLine[];
  readonly #unwatch: Array<() => void>;
  readonly #monitors: Array<Ina219 | undefined>;
  readonly #listeners: PsuListener[] = [];

  constructor(chip: GpioChip, opts: PsuMonitorOptions, readonly clock: Clock) {
    const lines: GpioLine[] = [];
    try {
      for (const r of opts.rails) lines.push(chip.open(r.powerGoodPin, 'in', 'both', { activeLow: r.activeLow ?? false }));
    } catch (e) {
      for (const l of lines) l.close();
      throw e;
    }
    this.#lines = lines;
    this.core = new PsuMonitorCore(
      { rails: opts.rails, debounceMs: opts.debounceMs, readingStaleMs: opts.readingStaleMs },
      lines.map((l) => l.read()),
      clock.nowMs(),
    );
    this.#monitors = opts.rails.map((r) => (r.monitor ? new Ina219(r.monitor.bus, r.monitor.address, r.monitor.shuntMilliOhm) : undefined));
    this.#unwatch = lines.map((l, i) => l.watch((v) => this.#emit(this.core.powerGoodEdge(i, v, this.clock.nowMs()))));
  }

  #emit(change: RedundancyChange<PsuState> | undefined): void {
    if (change) for (const l of this.#listeners) l(change);
  }

  onChange(listener: PsuListener): void {
    this.#listeners.push(listener);
  }

  /** Reads the monitors (I²C errors are counted by the core) and applies debounce/staleness. */
  async poll(): Promise<void> {
    for (const [i, m] of this.#monitors.entries()) {
      if (!m) continue;
      const reading = await m.read().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      this.#emit(this.core.reading(i, reading, this.clock.nowMs()));
    }
    this.#emit(this.core.step(this.clock.nowMs()));
  }

  get state(): PsuState {
    return this.core.state;
  }
  rails(): RailStatus[] {
    return this.core.rails(this.clock.nowMs());
  }

  close(): void {
    for (const u of this.#unwatch) u();
    for (const l of this.#lines) l.close();
  }
}
