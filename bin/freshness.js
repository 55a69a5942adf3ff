// Is dist/ built from the sources as they are now? Shared by bin/ftc.js, bin/build.js and
// src/rig/build.ts: the build's stamp (dist/.built-from-src) must not be older than any .ts file
// under src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP = 'dist/.built-from-src';

/** Newest modification time (ms) of a .ts file under `dir`. */
export function newestSourceMs(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function isBuildFresh(root) {
  const stamp = join(root, STAMP);
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestSourceMs(join(root, 'src'));
}
