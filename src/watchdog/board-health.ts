/**
 * Gathers this board's HealthSummary (core-health.ts) from the supervisor, the PSU and NIC
 * monitors, an optional temperature sensor and the links' error rates, for the Health message.
 */
import { readFileSync } from 'node:fs';
import type { HealthSummary } from './core-health.ts';
import type { NicState } from './core-nic.ts';
import type { PsuState } from './core-psu.ts';
import type { Supervisor } from './core-supervisor.ts';

/**
 * Reads a Linux thermal zone (`/sys/class/thermal/thermal_zoneN/temp`, millidegrees Celsius).
 * An unreadable or garbled sensor is an operating error: returned as an Error, never thrown.
 */
export function readTemperatureC(path = '/sys/class/thermal/thermal_zone0/temp'): number | Error {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    return new Error(`temperature sensor ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!/^-?\d{1,7}$/.test(text)) return new Error(`temperature sensor ${path}: "${text.slice(0, 20)}" is not millidegrees`);
  return Number(text) / 1000;
}

export interface HealthSources {
  supervisor: Supervisor;
  psu?: { readonly state: PsuState };
  nic?: { readonly state: NicState };
  /** Thermal zone file; omitted when no sensor is configured. */
  temperaturePath?: string;
  eventLoopDelayMs?: number;
  linkErrorRatesPpm: number[];
}

export function collectHealth(src: HealthSources): HealthSummary {
  const t = src.temperaturePath === undefined ? undefined : readTemperatureC(src.temperaturePath);
  return {
    supervision: src.supervisor.globalStatus,
    psu: src.psu?.state ?? 'unknown',
    nic: src.nic?.state ?? 'unknown',
    // A sensor that fails to read says nothing about the temperature: leave it out.
    temperatureC: t instanceof Error ? undefined : t,
    eventLoopDelayMs: src.eventLoopDelayMs,
    linkErrorRatesPpm: src.linkErrorRatesPpm,
  };
}
