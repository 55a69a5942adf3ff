/**
 * Runs every bench/*.bench.ts (or only those named on the command line, e.g.
 * `node --import=tsx bench/run.ts codec`) and prints one JSON object:
 * { env: {...}, <name>: <figures returned by that bench> }.
 *
 * A bench file default-exports `async function (): Promise<Record<string, unknown>>`.
 * A bench that throws is reported as { error } and makes the exit code 1; the others still run.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suffix = '.bench.ts';
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const available = readdirSync(here)
  .filter((f) => f.endsWith(suffix))
  .map((f) => f.slice(0, -suffix.length))
  .sort();
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`bench/run.ts: no bench named ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

const results: Record<string, unknown> = {
  env: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() },
};
let failed = false;
for (const name of wanted.length > 0 ? wanted : available) {
  const mod = (await import(pathToFileURL(join(here, name + suffix)).href)) as { default?: () => Promise<Record<string, unknown>> };
  if (typeof mod.default !== 'function') {
    results[name] = { error: `bench/${name}${suffix} has no default-exported async function` };
    failed = true;
    continue;
  }
  try {
    results[name] = await mod.default();
  } catch (e) {
    results[name] = { error: e instanceof Error ? e.message : String(e) };
    failed = true;
  }
}
console.log(JSON.stringify(results, null, 2));
if (failed) process.exitCode = 1;
