#!/usr/bin/env node
// The `ftc` command. Runs the compiled JavaScript in dist/ (built by `npm install`), rebuilt
// first if any source under src/ is newer than the build; without a usable build it runs the
// TypeScript sources through tsx (src/rig/build.ts). Works from any working directory.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

const stamp = join(root, 'dist/.built-from-src');
let main;
if (process.env.FTC_NO_BUILD !== '1' && existsSync(stamp) && statSync(stamp).mtimeMs >= newest(join(root, 'src'))) {
  ({ main } = await import(pathToFileURL(join(root, 'dist/cli/main.js')).href));
} else {
  // Stale or missing build: run the sources (sim-run rebuilds dist/ for its children itself).
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(pathToFileURL(join(root, 'src/cli/main.ts')).href));
}
process.exitCode = await main(process.argv);
