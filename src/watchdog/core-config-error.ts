/**
 * Bad configuration is an input error: one clear message naming the field, the value and the fix.
 * Pure (no I/O): the shell prints `message` and exits; tests check the field and the fix appear.
 */
export class WatchdogConfigError extends Error {
  constructor(
    /** Dotted config path of the offending field, e.g. `watchdog.timeoutMs`. */
    readonly field: string,
    readonly value: unknown,
    /** What is wrong, as a sentence fragment. */
    readonly problem: string,
    /** What to do about it. */
    readonly fix: string,
  ) {
    super(`${field} = ${show(value)}: ${problem}. Fix: ${fix}.`);
    this.name = 'WatchdogConfigError';
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return String(value);
}

/** Throws a WatchdogConfigError unless `value` is a finite number in [min, max]. */
export function requireNumberIn(field: string, value: unknown, min: number, max: number, fix: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WatchdogConfigError(field, value, 'must be a finite number', fix);
  }
  if (value < min || value > max) {
    throw new WatchdogConfigError(field, value, `must be in [${min}, ${max}]`, fix);
  }
  return value;
}

/** Throws a WatchdogConfigError unless `value` is an integer in [min, max]. */
export function requireIntIn(field: string, value: unknown, min: number, max: number, fix: string): number {
  const n = requireNumberIn(field, value, min, max, fix);
  if (!Number.isInteger(n)) throw new WatchdogConfigError(field, value, 'must be an integer', fix);
  return n;
}
