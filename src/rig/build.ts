/**
 * Compiled JavaScript for the processes that must start fast and run lean: the board and plant
 * processes of `ftc sim`, and the `ftc` command. `npm install` builds dist/ (the `prepare`
 * script, bin/build.js); at start this checks that dist/ is not older than any file under src/
 * (bin/freshness.js) and rebuilds it if it is (an edit since the last build), so a stale build is
 * never run. Without a usable build (no TypeScript compiler, a failed build) the caller runs the
 * TypeScript sources through tsx, as before, and says why.
 *
 * Why: under tsx every process start transpiles ~100 modules and keeps tsx's loader in a second
 * thread with its own V8 heap, which costs start-up time and ~20 MB of each board's memory.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { isBuildFresh } from '../../bin/freshness.js';

export interface BuildState {
  /** Run the compiled JavaScript (true), or the sources through tsx (false). */
  compiled: boolean;
  /** Why not, or what was done. */
  note: string;
}

/** A rebuild taking longer than this is abandoned (tsx is used instead). */
const BUILD_TIMEOUT_MS = 120_000;

/** Makes sure dist/ is fresh (building it if it is not); says whether to run compiled code. */
export function ensureBuilt(repoRoot: string): BuildState {
  if (process.env.FTC_NO_BUILD === '1') return { compiled: false, note: 'FTC_NO_BUILD=1: running the TypeScript sources through tsx' };
  if (isBuildFresh(repoRoot)) return { compiled: true, note: 'dist/ is up to date' };
  try {
    execFileSync(process.execPath, [join(repoRoot, 'bin/build.js')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
  } catch (e) {
    const err = e as Error & { stdout?: Buffer; stderr?: Buffer };
    const detail = (err.stdout?.toString() ?? '') + (err.stderr?.toString() ?? '') || err.message;
    return { compiled: false, note: `could not build dist/ (${detail.trim().split('\n').slice(0, 3).join('; ')}): running the TypeScript sources through tsx` };
  }
  return isBuildFresh(repoRoot)
    ? { compiled: true, note: 'rebuilt dist/ (src/ had changed)' }
    : { compiled: false, note: 'dist/ was not built (TypeScript not installed?): running the TypeScript sources through tsx' };
}
