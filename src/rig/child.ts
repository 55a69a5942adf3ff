/**
 * The child side of the supervisor contract (ring 3), for board and plant processes.
 * See supervisor.ts for the whole contract.
 */
import { createRequire } from 'node:module';
import { WATCHDOG_RESET_EXIT_CODE } from './supervisor.ts';

export interface ChildEnv {
  /** Name given by the supervisor (FTC_CHILD), or null when run by hand. */
  name: string | null;
  /** 1 on first start, +1 at each restart (FTC_BOOT). */
  boot: number;
  /** power-on | restart | watchdog | the reason given before a watchdog reset. */
  resetReason: string;
}

export function childEnv(env: NodeJS.ProcessEnv = process.env): ChildEnv {
  const boot = Number(env.FTC_BOOT ?? '1');
  return {
    name: env.FTC_CHILD ?? null,
    boot: Number.isInteger(boot) && boot >= 1 ? boot : 1,
    resetReason: env.FTC_RESET_REASON ?? 'power-on',
  };
}

/** One event as one JSON line on stdout (stdout pipes are synchronous on Linux: no loss at exit). */
export function emitEvent(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

/** The simulated hardware watchdog fires: say why, then exit 86 so the supervisor reboots us. */
export function watchdogReset(reason: string): never {
  emitEvent({ kind: 'reset', reason });
  process.exit(WATCHDOG_RESET_EXIT_CODE);
}

/** Longest control line accepted from the supervisor. */
const CONTROL_LINE_BYTES_MAX = 64 * 1024;

/**
 * Read control messages (JSON lines) from the supervisor on stdin, and exit when stdin ends:
 * the supervisor is gone (even kill -9'd) and nobody else would ever stop this process.
 */
export function attachToSupervisor(onControl: (message: Record<string, unknown>) => void = () => {}): void {
  const parentPid = process.ppid;
  dieWithParent();
  // The parent may have died before prctl took effect: then we were reparented already.
  if (process.ppid !== parentPid) process.exit(0);
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const v: unknown = JSON.parse(line);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) onControl(v as Record<string, unknown>);
      } catch {
        /* not a control message: ignore */
      }
    }
    if (buf.length > CONTROL_LINE_BYTES_MAX) buf = '';
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}

const PR_SET_PDEATHSIG = 1; // include/uapi/linux/prctl.h
const SIGKILL = 9;

/**
 * Ask Linux to SIGKILL this process when its parent dies (prctl(2) PR_SET_PDEATHSIG). This also
 * covers a child frozen by a `hang` fault (SIGSTOP), which could not notice stdin ending: SIGKILL
 * works on stopped processes. Returns false where unavailable (not Linux, koffi missing); the
 * stdin-end rule still applies then.
 */
export function dieWithParent(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(name: string): { func(sig: string): (...a: number[]) => number } };
    const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) === 0;
  } catch {
    return false;
  }
}
