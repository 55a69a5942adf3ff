/**
 * A process's state directory as bytes and back (shell: file I/O). A consistent point reads
 * every regular file (sorted by path, bounded in count and size) into one deterministic CBOR
 * value; applying one writes it into a fresh directory beside the old and swaps the two with
 * renames, so a reader never sees half of one point and half of another.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { decodeState, encodeState } from '../workload/state-codec.ts';

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
        if (files.length + 1 > filesMax || bytes + st.size > bytesMax) throw new StateDirTooLarge(bytes + st.size, files.length + 1, bytesMax, filesMax);
        const data = readFileSync(p);
        bytes += data.length;
        files.push([relative(dir, p).split(sep).join('/'), new Uint8Array(data)]);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return encodeState(files);
}

/** Replaces `dir` with the files of a consistent point (null: an empty directory). */
export function writeStateDir(dir: string, point: Uint8Array | null): void {
  const files = point ? (decodeState(point) as [string, Uint8Array][]) : [];
  const fresh = `${dir}.new`;
  const old = `${dir}.old`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh, { recursive: true });
  for (const [rel, data] of files) {
    if (rel.split('/').some((part) => part === '..' || part === '')) throw new Error(`state point names ${JSON.stringify(rel)}: not a path inside the state directory`);
    const p = join(fresh, ...rel.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(fresh, dir);
  rmSync(old, { recursive: true, force: true });
}
