/**
 * Parsers of command-line option values shared by the commands (commander argParsers): a bad
 * value throws InvalidArgumentError with one message naming the limit or the fix (exit 2).
 */
import { InvalidArgumentError } from 'commander';

/** The highest control rate any command accepts (Hz). */
export const RATE_HZ_MAX = 1000;
/** A workload's options travel to child processes on their command line or in their config. */
export const OPTIONS_JSON_CHARS_MAX = 64 * 1024;

export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A JSON object (a workload's options), at most OPTIONS_JSON_CHARS_MAX characters. */
export function jsonObjectOption(value: string): Record<string, unknown> {
  if (value.length > OPTIONS_JSON_CHARS_MAX) throw new InvalidArgumentError(`${value.length} characters; give at most ${OPTIONS_JSON_CHARS_MAX}.`);
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch (e) {
    throw new InvalidArgumentError(`not JSON (${(e as Error).message}); give an object, e.g. '{"setpointC": 21}'.`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`${value} is not a JSON object; give e.g. '{"setpointC": 21}'.`);
  return v as Record<string, unknown>;
}
