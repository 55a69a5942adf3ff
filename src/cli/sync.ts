/**
 * `ftc sync`: run by a process-class program (syncOn: mark) to say "my state directory is
 * consistent now". It copies the directory into one encoded point while the program waits for it
 * to return, so the point is exactly the state at the call even if the program writes on at once
 * after; then it signals the board (SIGUSR2 to $FTC_PID), which sends that point to the others.
 * Everything it needs is in the program's environment, set by the board that started it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readStateDir, StateDirTooLarge } from '../process/state-dir.ts';

export class SyncError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'SyncError';
  }
}

export function runSync(env: NodeJS.ProcessEnv = process.env): void {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new SyncError(`ftc sync: ${name} is not set; fix: run ftc sync from the program the board started (process class, syncOn: mark), which has it in its environment`, 2);
    return v;
  };
  const stateDir = need('FTC_STATE_DIR');
  const pointFile = need('FTC_SYNC_FILE');
  const pid = Number(need('FTC_PID'));
  const bytesMax = Number(need('FTC_STATE_BYTES_MAX'));
  const filesMax = Number(need('FTC_STATE_FILES_MAX'));
  let point: Uint8Array;
  try {
    point = readStateDir(stateDir, bytesMax, filesMax);
  } catch (e) {
    if (e instanceof StateDirTooLarge) throw new SyncError(`ftc sync: ${e.message}`, 1);
    throw e;
  }
  // Whole or not at all: the board may read it at any moment.
  writeFileSync(`${pointFile}.tmp`, point);
  renameSync(`${pointFile}.tmp`, pointFile);
  try {
    process.kill(pid, 'SIGUSR2');
  } catch (e) {
    throw new SyncError(`ftc sync: the board (pid ${pid}) is gone (${(e as NodeJS.ErrnoException).code}); the point stays for its next start`, 1);
  }
}
