#!/usr/bin/env node
// `npm run build` / `prepare`: compiles src/ to dist/ (tsconfig.build.json) and stamps the build,
// so the board processes and the `ftc` command run JavaScript, not TypeScript through tsx
// (src/rig/build.ts checks the stamp at start). Without TypeScript installed (npm ci --omit=dev)
// it says so and exits 0: ftc then runs its sources through tsx.
import { execFileSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP } from './freshness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
if (!existsSync(tsc)) {
  console.log('ftc build: TypeScript is not installed (npm ci --omit=dev?): not building dist/; ftc runs its TypeScript sources through tsx');
  process.exit(0);
}
// The stamp is as new as the build's start: a source edited during the build is seen as newer.
const started = new Date();
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
writeFileSync(join(root, STAMP), `built ${started.toISOString()}\n`);
utimesSync(join(root, STAMP), started, started);
