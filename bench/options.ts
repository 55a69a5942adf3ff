/**
 * Command-line options of a bench (not a bench itself: bench/run.ts runs only *.bench.ts).
 *
 * A bench file may export `options: BenchOptionSpecs`; bench/run.ts then accepts those options
 * after the bench names (`npm run bench -- demo --runs 5`), checks them with `parse` before any
 * bench runs (a bad value, or an option no named bench declares, is a usage error: exit 2), and
 * passes the parsed values to the bench's default-exported function as one object keyed by the
 * option's name. An option not given is absent from the object: the bench applies its default.
 *
 * A bench may also export `namedOnly: string` (why): it then runs only when named on the command
 * line, not in the default set of `npm run bench`.
 */

export interface BenchOptionSpec {
  type: 'string' | 'boolean';
  /** One line for --help, e.g. 'N: runs of the demo (default 20)'. */
  help: string;
  /** Checks and converts a string value; throws BenchUsageError on a bad one. */
  parse?: (raw: string) => unknown;
}

export type BenchOptionSpecs = Record<string, BenchOptionSpec>;
export type BenchArgs = Record<string, unknown>;

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

/** parse() for an integer option >= min. */
export function intAtLeast(option: string, min: number): (raw: string) => number {
  return (raw) => {
    const v = Number(raw);
    if (!/^\d+$/.test(raw) || v < min) throw new BenchUsageError(`--${option}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return v;
  };
}

/** An integer from the environment (>= min), or the default; a bad value throws (the bench reports it as its error). */
export function envInt(name: string, dflt: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  return v;
}

/** A comma-separated list of positive numbers from the environment, or the default. */
export function envNumbers(name: string, dflt: string): number[] {
  const raw = process.env[name] ?? dflt;
  const xs = raw.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (xs.length === 0 || xs.some((x) => !(x > 0))) throw new Error(`${name}=${JSON.stringify(raw)}: expected comma-separated positive numbers, e.g. ${JSON.stringify(dflt)}`);
  return xs;
}
