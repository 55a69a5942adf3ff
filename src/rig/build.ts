/**
 * Compiled JavaScript for the processes that must start fast and run lean: the board and plant
 * processes of `ftc sim`, and the `ftc` command. `npm install` builds dist/ (the `prepare`
 * script: `tsc -p tsconfig.build.json`); at start this checks that dist/ is not older than any
 * file under src/ and rebuilds it if it is (an edit since the last build), so a stale build is
 * never run. Without a usable build (no TypeScript compiler, a failed build) the caller runs the
 * TypeScript sources through tsx, as before, and says why.
 *
 * Why: under tsx every process start transpiles ~100 modules and keeps tsx's loader in a second
 * thread with its own V8 heap, which costs start-up time and ~20 MB of each board's memory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildState {
  /** Run the compiled JavaScript (true), or the sources through tsx (false). */
  compiled: boolean;
  /** Why not, or what was done. */
  note: string;
}

const STAMP = '.built-from-src';
/** A rebuild taking longer than this is abandoned (tsx is used instead). */
const BUILD_TIMEOUT_MS = 120_000;

/** Newest modification time (ms) of a .ts file under `dir`. */
export function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function stampMs(repoRoot: string): number {
  const stamp = join(repoRoot, 'dist', STAMP);
  return existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
}

/** Is dist/ built from the sources as they are now? */
export function isBuildFresh(repoRoot: string): boolean {
  return stampMs(repoRoot) >= newestSourceMs(join(repoRoot, 'src'));
}

/** Builds dist/ from src/ and stamps it. Throws on failure. */
export function build(repoRoot: string): void {
  const started = Date.now();
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  if (!existsSync(tsc)) throw new Error('node_modules/typescript is missing (run npm install)');
  execFileSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
  // The stamp is as new as the build's start: a source edited during the build is seen as newer.
  writeFileSync(join(repoRoot, 'dist', STAMP), `built ${new Date(started).toISOString()}\n`);
}

/** Makes sure dist/ is fresh (building it if it is not); says whether to run compiled code. */
export function ensureBuilt(repoRoot: string): BuildState {
  if (process.env.FTC_NO_BUILD === '1') return { compiled: false, note: 'FTC_NO_BUILD=1: running the TypeScript sources through tsx' };
  if (isBuildFresh(repoRoot)) return { compiled: true, note: 'dist/ is up to date' };
  try {
    build(repoRoot);
    return { compiled: true, note: 'rebuilt dist/ (src/ had changed)' };
  } catch (e) {
    const err = e as Error & { stdout?: Buffer; stderr?: Buffer };
    const detail = (err.stdout?.toString() ?? '') + (err.stderr?.toString() ?? '') || err.message;
    return { compiled: false, note: `could not build dist/ (${detail.trim().split('\n').slice(0, 3).join('; ')}): running the TypeScript sources through tsx` };
  }
}
