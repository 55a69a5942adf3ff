/**
 * `ftc migrate <workload> <board>`: move the active role of a running rig to another board,
 * through a board's console (the same `handover` an operator types, or the maintenance button's
 * short press). For a checkpoint workload that is a live migration: the old primary becomes a
 * backup and answers the new one's query with its newest checkpoint, the new one pulls it and
 * carries on from it (src/checkpoint/core.ts), so no output is lost. For a lockstep workload it
 * is a handover at a cycle boundary.
 */
import { readFileSync } from 'node:fs';
import { runConsoleCommand } from '../console/client.ts';

export interface MigrateOptions {
  workload: string;
  board: string;
  /** The console device to ask. */
  path: string;
  passwordFile?: string;
  /** How long to wait for the move to show in the console's status. */
  waitMs: number;
  out: (line: string) => void;
}

/** Status polls while waiting for the move: a few per second. */
const POLL_MS = 100;

interface Status { board: string; activeBoard: string | null; workload?: { name: string; class: string } }

/** Exit codes: 0 moved (or already there), 1 it did not happen, 2 bad input (another workload, unknown board). */
export async function migrate(o: MigrateOptions): Promise<number> {
  const password = o.passwordFile ? readFileSync(o.passwordFile, 'utf8').trim() : undefined;
  const ask = (line: string) => runConsoleCommand({ path: o.path, line, ...(password !== undefined ? { password } : {}) });
  const status = async (): Promise<Status> => JSON.parse(await ask('status --json')) as Status;
  const before = await status();
  if (before.workload && before.workload.name !== o.workload) {
    o.out(`ftc migrate: the rig runs workload ${before.workload.name}, not ${o.workload}; fix: ftc migrate ${before.workload.name} ${o.board}`);
    return 2;
  }
  if (before.activeBoard === o.board) {
    o.out(`${o.workload} already runs on ${o.board}`);
    return 0;
  }
  const t0 = performance.now();
  const reply = await ask(`handover ${o.board}`);
  o.out(reply);
  if (/^(error|cannot|unknown)/im.test(reply)) return /unknown board|not a board/i.test(reply) ? 2 : 1;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const s = await status();
    if (s.activeBoard === o.board) {
      const kind = before.workload?.class === 'checkpoint' ? 'migrated (final checkpoint pulled by the new primary)' : 'handed over';
      o.out(`${o.workload}: ${kind} from ${before.activeBoard ?? 'none'} to ${o.board} in ${Math.round(performance.now() - t0)} ms`);
      return 0;
    }
    if (performance.now() - t0 > o.waitMs) {
      o.out(`ftc migrate: ${o.board} is not active ${o.waitMs} ms after the request (active: ${s.activeBoard ?? 'none'}); see the console log`);
      return 1;
    }
  }
}
