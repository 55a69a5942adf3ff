#!/usr/bin/env node
// The `ftc` command. Runs the compiled JavaScript in dist/ (built by `npm install`), rebuilt
// first if any source under src/ is newer than the build; without a usable build it runs the
// TypeScript sources through tsx (src/rig/build.ts). Works from any working directory.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isBuildFresh } from './freshness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let main;
if (process.env.FTC_NO_BUILD !== '1' && isBuildFresh(root)) {
  ({ main } = await import(pathToFileURL(join(root, 'dist/cli/main.js')).href));
} else {
  // Stale or missing build: run the sources (sim-run rebuilds dist/ for its children itself).
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    // A checkout without its dependencies: nothing to run the sources with.
    console.error(`ftc: the build in dist/ is missing or older than src/, and tsx (which runs the sources) is not installed.\nfix: run \`npm install\` in ${root} (it installs the dependencies and builds dist/)`);
    process.exit(1);
  }
  register();
  ({ main } = await import(pathToFileURL(join(root, 'src/cli/main.ts')).href));
}
// A reader that went away (`ftc sim --help | head`) ends the output, not with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv);
