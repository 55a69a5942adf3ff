/**
 * A process's state directory as bytes and back (shell: file I/O). A consistent point reads
 * every regular file (sorted by path, bounded in count and size) into one deterministic CBOR
 * value; applying one writes it into a fresh directory beside the old and swaps the two with
 * renames, so a reader never sees half of one point and half of another.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { decodeState, encodeState } from '../workload/state-codec.ts';

/** CBOR framing of one [path, bytes] entry, counted against the size limit with the bytes themselves. */
const FILE_OVERHEAD_BYTES = 16;

export class StateDirTooLarge extends Error {
  constructor(readonly bytes: number, readonly files: number, readonly bytesMax: number, readonly filesMax: number) {
    super(`the state directory holds ${files} files, ${bytes} bytes: over ${filesMax} files or ${bytesMax} bytes (process.stateBytesMax / stateFilesMax); fix: keep only the state the program needs to carry on there, or raise the limit`);
    this.name = 'StateDirTooLarge';
  }
}

/** Every regular file under `dir`, as [relative path, bytes], sorted. */
export function readStateDir(dir: string, bytesMax: number, filesMax: number): Uint8Array {
  const files: [string, Uint8Array][] = [];
  let bytes = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue; // removed while we read: the next point has it right
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        // A file costs its bytes, its path and a few bytes of encoding: all of it travels.
        const rel = relative(dir, p).split(sep).join('/');
        const cost = st.size + rel.length + FILE_OVERHEAD_BYTES;
        if (files.length + 1 > filesMax || bytes + cost > bytesMax) throw new StateDirTooLarge(bytes + cost, files.length + 1, bytesMax, filesMax);
        const data = readFileSync(p);
        bytes += data.length + rel.length + FILE_OVERHEAD_BYTES;
        files.push([rel, new Uint8Array(data)]);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  try {
    return encodeState(files);
  } catch (e) {
    if (e instanceof RangeError) throw new StateDirTooLarge(bytes, files.length, bytesMax, filesMax);
    throw e;
  }
}

/** Replaces `dir` with the files of a consistent point (null: an empty directory). */
export function writeStateDir(dir: string, point: Uint8Array | null): void {
  const files = point ? (decodeState(point) as [string, Uint8Array][]) : [];
  // Every path checked before anything is written: a bad point leaves nothing behind.
  for (const [rel] of files) {
    if (rel.split('/').some((part) => part === '..' || part === '')) throw new Error(`state point names ${JSON.stringify(rel)}: not a path inside the state directory`);
  }
  const fresh = `${dir}.new`;
  const old = `${dir}.old`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh, { recursive: true });
  for (const [rel, data] of files) {
    const p = join(fresh, ...rel.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(fresh, dir);
  rmSync(old, { recursive: true, force: true });
}
