/**
 * Where a board keeps its forensics bundles (shell: files): at most `filesMax` of them, each at
 * most `bytesMax` (the oldest steps go first when one is bigger), the oldest file removed.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { ForensicsBundle } from './bundle.ts';

export const BUNDLE_FILES_MAX = 8;
export const BUNDLE_BYTES_MAX = 2 * 1024 * 1024;

/** Writes the bundle; returns its path. */
export function storeBundle(dir: string, b: ForensicsBundle, filesMax = BUNDLE_FILES_MAX, bytesMax = BUNDLE_BYTES_MAX): string {
  mkdirSync(dir, { recursive: true });
  let text = JSON.stringify(b, null, 1);
  const steps = [...b.steps];
  const votes = [...b.votes];
  // The oldest go first, steps and then votes; the newest step and vote always stay.
  while (Buffer.byteLength(text) > bytesMax && (steps.length > 1 || votes.length > 1)) {
    if (steps.length > 1) steps.shift();
    else votes.shift();
    text = JSON.stringify({ ...b, steps, votes }, null, 1);
  }
  const file = join(dir, `forensics-${b.board}-boot${b.boot}-cycle${b.cycle}.json`);
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  const all = readdirSync(dir).filter((f) => /^forensics-.*\.json$/.test(f)).map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((x, y) => x.t - y.t || x.f.localeCompare(y.f));
  for (const { f } of all.slice(0, Math.max(0, all.length - filesMax))) rmSync(join(dir, f), { force: true });
  return file;
}
