import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The voter core, the workload and the simulator are pure: they never read time, randomness or
 * I/O, so a run is a function of its seed and can be replayed exactly. (swarm-cli.ts is the shell.)
 */
const root = join(import.meta.dirname, '../..');
const dirs = ['src/voter', 'src/workload', 'src/sim', 'src/checkpoint'];
// The shells and adapters that live beside the pure code: the swarm's command line, and the
// workload's loader (it imports a file and hashes it) and checker (it runs processes and clocks).
const shells = new Set(['src/sim/swarm-cli.ts', 'src/workload/loader.ts', 'src/workload/default.ts', 'src/workload/check.ts', 'src/workload/check-runner.ts']);
// Packages that are pure themselves: cborg encodes a value to bytes and back, deterministically.
const purePackages = ['cborg', 'cborg/taglib'];
const forbidden: [RegExp, string][] = [
  [new RegExp(`\\bfrom\\s+['"](?!\\.\\.?\\/)(?!(?:${purePackages.join('|')})['"])[^'"]+['"]`), 'imports a package or node: module (only relative imports and pure packages are allowed here)'],
  [/\bimport\s*\(/, 'dynamic import'],
  [/\brequire\s*\(/, 'require()'],
  [/\bDate\b/, 'Date'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, 'timers'],
  [/\bprocess\s*\./, 'process'],
  [/\bperformance\b/, 'performance (a clock)'],
  [/\b(crypto|globalThis|fetch)\b/, 'ambient I/O or globals'],
  [/\bconsole\s*\./, 'console output'],
];

function sources(): string[] {
  const out: string[] = [];
  for (const d of dirs) for (const f of readdirSync(join(root, d))) if (f.endsWith('.ts')) out.push(`${d}/${f}`);
  return out;
}

test('the voter core, the workload and the simulator import nothing that reads time, randomness or I/O', (t) => {
  const files = sources().filter((f) => !shells.has(f));
  t.true(files.some((f) => f === 'src/voter/core.ts'), 'scanner found the core');
  t.true(files.length >= 8, `scanned ${files.length} files`);
  const hits: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:])\/\/.*$/gm, '$1');
    text.split('\n').forEach((line, i) => {
      for (const [re, what] of forbidden) if (re.test(line)) hits.push(`${f}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
  t.deepEqual(hits, []);
});

test('the purity scanner does catch an impure line', (t) => {
  const bad = ["import { readFileSync } from 'node:fs';", 'const t = Date.now();', 'const r = Math.random();', 'setTimeout(f, 1);', 'process.exit(1);'];
  for (const line of bad) t.true(forbidden.some(([re]) => re.test(line)), line);
  t.false(forbidden.some(([re]) => re.test("import { x } from './x.ts';")));
});
