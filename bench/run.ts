/**
 * Runs bench/*.bench.ts and prints one JSON object: { env: {...}, <name>: <figures of that bench> }.
 *
 *   node --import=tsx bench/run.ts [name...] [--option value...]     (npm run bench -- ...)
 *
 * - No names: the default set, every bench except those that export `namedOnly` (long reliability
 *   runs: demo, soak); they are listed under `skipped` with how to run them.
 * - Names (e.g. `codec rig`): only those, in that order.
 * - Options after the names go to the benches that declare them (`export const options`, see
 *   bench/options.ts), parsed and checked before anything runs, as one object argument of the
 *   bench's default-exported function: `npm run bench -- demo --runs 5`.
 * - `--help`, an unknown bench name, an unknown option, an option no named bench takes, or a bad
 *   value: a message on stderr and exit 2. A bench that throws is reported as { error } and makes
 *   the exit code 1; the others still run.
 *
 * A bench file default-exports `async function (args: BenchArgs): Promise<Record<string, unknown>>`.
 * Progress of long benches goes to stderr; stdout carries only the JSON.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BenchUsageError, type BenchArgs, type BenchOptionSpecs } from './options.ts';

interface BenchModule {
  default?: (args: BenchArgs) => Promise<Record<string, unknown>>;
  options?: BenchOptionSpecs;
  namedOnly?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const suffix = '.bench.ts';
const argv = process.argv.slice(2);
const available = readdirSync(here)
  .filter((f) => f.endsWith(suffix))
  .map((f) => f.slice(0, -suffix.length))
  .sort();

const modules = new Map<string, BenchModule | Error>();
async function load(name: string): Promise<BenchModule | Error> {
  if (!modules.has(name)) {
    try {
      modules.set(name, (await import(pathToFileURL(join(here, name + suffix)).href)) as BenchModule);
    } catch (e) {
      modules.set(name, e instanceof Error ? e : new Error(String(e)));
    }
  }
  return modules.get(name)!;
}

async function usage(message: string | null): Promise<never> {
  const lines = [
    ...(message ? [`bench/run.ts: ${message}`, ''] : []),
    'usage: npm run bench -- [name...] [--option value...]',
    '       node --import=tsx bench/run.ts [name...] [--option value...]',
    'Prints one JSON object of figures. No names: every bench except the named-only ones.',
    'benches:',
  ];
  for (const name of available) {
    const m = await load(name);
    if (m instanceof Error) { lines.push(`  ${name}  (does not load: ${m.message})`); continue; }
    lines.push(`  ${name}${m.namedOnly ? `  (only when named: ${m.namedOnly})` : ''}`);
    for (const [opt, spec] of Object.entries(m.options ?? {})) lines.push(`      --${opt}${spec.type === 'string' ? ' VALUE' : ''}  ${spec.help}`);
  }
  lines.push('Environment variables of each bench: see the header comment of bench/<name>.bench.ts.');
  console.error(lines.join('\n'));
  process.exit(2);
}

if (argv.includes('--help') || argv.includes('-h')) await usage(null);

// Names come first; everything from the first option on is options.
const firstOption = argv.findIndex((a) => a.startsWith('-'));
const wanted = firstOption < 0 ? argv : argv.slice(0, firstOption);
const optionArgs = firstOption < 0 ? [] : argv.slice(firstOption);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) await usage(`no bench named ${unknown.join(', ')}; available: ${available.join(', ')}`);

const skipped: Record<string, string> = {};
let selected = wanted;
if (wanted.length === 0) {
  selected = [];
  for (const name of available) {
    const m = await load(name);
    if (!(m instanceof Error) && m.namedOnly) skipped[name] = `${m.namedOnly}; run it with: npm run bench -- ${name}`;
    else selected.push(name);
  }
}

// Options: the union of what every bench (selected or not) declares, so that an option of a bench
// that is not selected gets its own message rather than "unknown option".
const declaredBy = new Map<string, string[]>();
const parseOptions: NonNullable<ParseArgsConfig['options']> = {};
for (const name of available) {
  const m = await load(name);
  if (m instanceof Error) continue;
  for (const [opt, spec] of Object.entries(m.options ?? {})) {
    declaredBy.set(opt, [...(declaredBy.get(opt) ?? []), name]);
    parseOptions[opt] ??= { type: spec.type };
  }
}
let values: Record<string, string | boolean | undefined> = {};
try {
  ({ values } = parseArgs({ args: optionArgs, options: parseOptions, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
} catch (e) {
  const positional = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
  await usage(`${(e as Error).message}${positional ? ' (bench names go before the options)' : ''}`);
}
const argsOf = new Map<string, BenchArgs>(selected.map((n) => [n, {}]));
for (const [opt, raw] of Object.entries(values)) {
  if (raw === undefined) continue;
  const takers = (declaredBy.get(opt) ?? []).filter((n) => selected.includes(n));
  if (takers.length === 0) await usage(`--${opt} is an option of ${(declaredBy.get(opt) ?? []).join(', ')}, which is not selected (e.g. npm run bench -- ${declaredBy.get(opt)?.[0]} --${opt} ...)`);
  for (const n of takers) {
    const spec = (modules.get(n) as BenchModule).options![opt]!;
    try {
      argsOf.get(n)![opt] = typeof raw === 'string' && spec.parse ? spec.parse(raw) : raw;
    } catch (e) {
      if (e instanceof BenchUsageError) await usage(e.message);
      throw e;
    }
  }
}

const results: Record<string, unknown> = {
  env: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() },
  ...(Object.keys(skipped).length > 0 ? { skipped } : {}),
};
let failed = false;
for (const name of selected) {
  const mod = await load(name);
  if (mod instanceof Error) {
    results[name] = { error: `bench/${name}${suffix} does not load: ${mod.message}` };
    failed = true;
    continue;
  }
  if (typeof mod.default !== 'function') {
    results[name] = { error: `bench/${name}${suffix} has no default-exported async function` };
    failed = true;
    continue;
  }
  try {
    results[name] = await mod.default(argsOf.get(name)!);
  } catch (e) {
    results[name] = { error: e instanceof Error ? e.message : String(e) };
    failed = true;
  }
}
console.log(JSON.stringify(results, null, 2));
if (failed) process.exitCode = 1;
