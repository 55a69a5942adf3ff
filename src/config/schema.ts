/**
 * A tiny schema helper for hand-written config files.
 *
 * Why not a JSON-schema library: every message must name the field path, the value found and the
 * fix, in words an operator at a rig can act on, and every problem must be reported at once
 * (fixing one typo per run is miserable). Ajv-style messages do neither well.
 *
 * A `Spec<T>` reads an untyped value (from `yaml`'s `toJS()`) into a `T`, recording problems in an
 * `Issues` collector instead of throwing. `INVALID` marks a value that could not be read; callers
 * keep going so that sibling fields are still checked.
 */
import { isDeepStrictEqual } from 'node:util';

export type PathItem = string | number;
export type Path = readonly PathItem[];

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** `links.serial[0].path` */
export function formatPath(path: Path): string {
  let out = '';
  for (const item of path) {
    if (typeof item === 'number') out += `[${item}]`;
    else out += out === '' ? item : `.${item}`;
  }
  return out === '' ? '(document)' : out;
}

const VALUE_SHOWN_CHARS_MAX = 80;

/** The value as the operator wrote it, short: strings quoted, objects as compact JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > VALUE_SHOWN_CHARS_MAX ? `${text.slice(0, VALUE_SHOWN_CHARS_MAX - 1)}…` : text;
}

/** Collects problems; each one names file(:line), field path, value found and the fix. */
export class Issues {
  readonly messages: string[] = [];
  constructor(
    readonly source: string,
    private readonly lineOf?: (path: Path) => number | undefined,
  ) {}

  add(path: Path, value: unknown, problem: string, fix: string): void {
    const line = this.lineOf?.(path);
    const where = line === undefined ? this.source : `${this.source}:${line}`;
    this.messages.push(`${where}: ${formatPath(path)}: ${showValue(value)} ${problem}; fix: ${fix}`);
  }

  /** A problem that is about the file as a whole (syntax error, unreadable file). */
  addRaw(message: string): void {
    this.messages.push(message);
  }

  get ok(): boolean {
    return this.messages.length === 0;
  }
}

export interface Spec<T> {
  /** What a valid value looks like, used in fixes: "an integer in [1, 1000]". */
  readonly expect: string;
  /** When present, a missing key takes this value. */
  readonly defaultValue?: T;
  /** A missing key is fine and reads as undefined. */
  readonly optional?: boolean;
  read(value: unknown, path: Path, issues: Issues): T | Invalid;
}

export type SpecOut<S> = S extends Spec<infer T> ? T : never;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

export function int(opts: { min: number; max: number; unit?: string; hex?: boolean }): Spec<number> {
  const show = (n: number) => (opts.hex ? `0x${n.toString(16).padStart(2, '0')}` : String(n));
  const expect = `an integer in [${show(opts.min)}, ${show(opts.max)}]${opts.unit ? ` (${opts.unit})` : ''}`;
  return {
    expect,
    read(value, path, issues) {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        issues.add(path, value, `is ${kindOf(value)}, not an integer`, `write ${expect}`);
        return INVALID;
      }
      if (value < opts.min || value > opts.max) {
        issues.add(path, value, `is out of range`, `write ${expect}`);
        return INVALID;
      }
      return value;
    },
  };
}

/** A finite number (a gain, a threshold, a voltage); `choices` restricts it to a few values (a chip's ranges). */
export function num(opts: { min?: number; max?: number; unit?: string; choices?: readonly number[] } = {}): Spec<number> {
  const range = opts.choices ? `one of ${opts.choices.join(', ')}` : `a number${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? `${opts.min !== undefined ? ' and' : ''} <= ${opts.max}` : ''}`;
  const expect = `${range}${opts.unit ? ` (${opts.unit})` : ''}`;
  return {
    expect,
    read(value, path, issues) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        issues.add(path, value, `is ${kindOf(value)}, not a finite number`, `write ${expect}`);
        return INVALID;
      }
      if ((opts.choices && !opts.choices.includes(value)) || (opts.min !== undefined && value < opts.min) || (opts.max !== undefined && value > opts.max)) {
        issues.add(path, value, 'is out of range', `write ${expect}`);
        return INVALID;
      }
      return value;
    },
  };
}

export function bool(): Spec<boolean> {
  return {
    expect: 'true or false',
    read(value, path, issues) {
      if (typeof value !== 'boolean') {
        // YAML 1.2 reads `yes`/`on` as strings: say so, it is the usual cause.
        issues.add(path, value, `is ${kindOf(value)}, not a boolean`, 'write true or false (YAML 1.2: yes/no/on/off are strings)');
        return INVALID;
      }
      return value;
    },
  };
}

export function str(opts: { pattern?: RegExp; expect?: string; lengthMax?: number } = {}): Spec<string> {
  const lengthMax = opts.lengthMax ?? 4096;
  const expect = opts.expect ?? 'a string';
  return {
    expect,
    read(value, path, issues) {
      if (typeof value !== 'string' || value.length === 0) {
        issues.add(path, value, typeof value === 'string' ? 'is empty' : `is ${kindOf(value)}, not a string`, `write ${expect}`);
        return INVALID;
      }
      if (value.length > lengthMax) {
        issues.add(path, value, `is longer than ${lengthMax} characters`, `write ${expect}`);
        return INVALID;
      }
      if (opts.pattern && !opts.pattern.test(value)) {
        issues.add(path, value, 'is malformed', `write ${expect}`);
        return INVALID;
      }
      return value;
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[]): Spec<V> {
  const expect = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    expect,
    read(value, path, issues) {
      if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as V;
      const near = typeof value === 'string' ? closest(value, values) : undefined;
      issues.add(path, value, 'is not allowed', near ? `write ${JSON.stringify(near)} (${expect})` : `write ${expect}`);
      return INVALID;
    },
  };
}

export function list<T>(item: Spec<T>, opts: { min?: number; max: number }): Spec<T[]> {
  const min = opts.min ?? 0;
  const expect = `a list of ${min}..${opts.max} items, each ${item.expect}`;
  return {
    expect,
    read(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.add(path, value, `is ${kindOf(value)}, not a list`, `write ${expect}`);
        return INVALID;
      }
      if (value.length < min || value.length > opts.max) {
        issues.add(path, value, `has ${value.length} items`, `write ${expect}`);
        return INVALID;
      }
      const out: T[] = [];
      let bad = false;
      value.forEach((v, i) => {
        const r = item.read(v, [...path, i], issues);
        if (r === INVALID) bad = true;
        else out.push(r);
      });
      return bad ? INVALID : out;
    },
  };
}

/** The key may be missing; it then reads as undefined. */
/** Any mapping of plain data (numbers, strings, booleans, null, lists, mappings): options handed on as they are. */
export function plainMapping(): Spec<Record<string, unknown>> {
  return {
    expect: 'a mapping of plain values, e.g. { setpointC: 21 }',
    read(value, path, issues) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.add(path, value, `is ${kindOf(value)}, not a mapping`, 'give a mapping of plain values, e.g. { setpointC: 21 }');
        return INVALID;
      }
      return value as Record<string, unknown>;
    },
  };
}

export function optional<T>(spec: Spec<T>): Spec<T | undefined> {
  return { expect: spec.expect, optional: true, read: (v, p, i) => spec.read(v, p, i) };
}

/** The key may be missing; it then takes `value` (defaults are all listed in defaults.ts). */
export function withDefault<T>(spec: Spec<T>, value: T): Spec<T> {
  return { expect: spec.expect, defaultValue: value, read: (v, p, i) => spec.read(v, p, i) };
}

type ObjOut<F extends Record<string, Spec<unknown>>> = { [K in keyof F]: SpecOut<F[K]> };

export interface ObjSpec<T> extends Spec<T> {
  /**
   * Read what can be read: every valid key (defaults filled), problems recorded for the rest.
   * Lets cross-field checks run on the valid sections while a typo elsewhere is reported too.
   * `value` is undefined when the input is not a mapping at all.
   */
  readPartial(value: unknown, path: Path, issues: Issues): { value: Partial<T> | undefined; complete: boolean };
}

/**
 * A mapping with exactly these keys. Unknown keys are reported (typos are the commonest config
 * bug) with the nearest known key suggested; missing required keys are reported with what to add.
 */
export function obj<F extends Record<string, Spec<unknown>>>(fields: F): ObjSpec<ObjOut<F>> {
  const keys = Object.keys(fields);
  const expect = `a mapping with keys ${keys.join(', ')}`;
  const readPartial = (value: unknown, path: Path, issues: Issues): { value: Partial<ObjOut<F>> | undefined; complete: boolean } => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.add(path, value, `is ${kindOf(value)}, not a mapping`, `write ${expect}`);
      return { value: undefined, complete: false };
    }
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let bad = false;
    // A typo shows up as an unknown key plus a missing one: report it once, as the typo.
    const typoFor = new Set<string>();
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(fields, key)) {
        const near = closest(key, keys);
        if (near && !Object.hasOwn(input, near)) typoFor.add(near);
        issues.add(
          [...path, key],
          input[key],
          `is not a known key${path.length ? ` of ${formatPath(path)}` : ''}`,
          near ? `rename "${key}" to "${near}" (a typo?) or remove it` : `remove it (known keys: ${keys.join(', ')})`,
        );
        bad = true;
      }
    }
    for (const key of keys) {
      const spec = fields[key]!;
      const v = input[key];
      if (v === undefined || v === null) {
        if (spec.defaultValue !== undefined) out[key] = structuredClone(spec.defaultValue);
        else if (spec.optional) out[key] = undefined;
        else if (typoFor.has(key)) bad = true;
        else {
          issues.add([...path, key], v, 'is required', `add ${formatPath([...path, key])}: ${spec.expect}`);
          bad = true;
        }
        continue;
      }
      const r = spec.read(v, [...path, key], issues);
      if (r === INVALID) bad = true;
      else out[key] = r;
    }
    return { value: out as Partial<ObjOut<F>>, complete: !bad };
  };
  return {
    expect,
    readPartial,
    read(value, path, issues) {
      const r = readPartial(value, path, issues);
      return r.complete ? (r.value as ObjOut<F>) : INVALID;
    },
  };
}

/** Levenshtein distance, for "did you mean" on typos. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The candidate within a third of the word's length in edits, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Report every value that occurs more than once in `items` (pins, addresses, ids). */
export function reportDuplicates<T>(
  items: readonly { path: Path; value: T; what: string }[],
  issues: Issues,
  fix: (value: T) => string,
): void {
  const seen: { value: T; what: string }[] = [];
  for (const item of items) {
    const first = seen.find((s) => isDeepStrictEqual(s.value, item.value));
    if (first) issues.add(item.path, item.value, `is already used by ${first.what}`, fix(item.value));
    else seen.push({ value: item.value, what: item.what });
  }
}
