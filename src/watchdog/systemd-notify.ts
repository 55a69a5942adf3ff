/**
 * systemd's service watchdog through sd_notify(3): READY=1 at start, STATUS=… for `systemctl
 * status`, WATCHDOG=1 as the feed (systemd.service(5) WatchdogSec=: send it at least every
 * WATCHDOG_USEC/2), STOPPING=1 on a clean stop, WATCHDOG=trigger to ask for the watchdog action
 * at once. Node has no AF_UNIX datagram sockets, so libsystemd's own sd_notify is called through
 * koffi (docs/boards-and-kernel.md), both loaded only when NOTIFY_SOCKET is set.
 * Without NOTIFY_SOCKET (not started by systemd with Type=notify) every call is silent.
 */
import { createRequire } from 'node:module';
import type { HwWatchdog } from '../ports/watchdog.ts';
import { WatchdogError } from '../ports/watchdog.ts';

/** Bound on STATUS= text (systemctl shows one line). */
export const statusCharsMax = 200;

export interface NotifyFields {
  ready?: boolean;
  stopping?: boolean;
  status?: string;
  watchdog?: boolean;
  /** WATCHDOG=trigger (systemd >= 246): act as if the watchdog expired now. */
  watchdogTrigger?: boolean;
}

/** Formats an sd_notify state string: newline-separated KEY=VALUE, STATUS kept to one bounded line. */
export function formatNotify(f: NotifyFields): string {
  const lines: string[] = [];
  if (f.ready) lines.push('READY=1');
  if (f.stopping) lines.push('STOPPING=1');
  if (f.status !== undefined) lines.push(`STATUS=${f.status.replace(/[\r\n]+/g, ' ').slice(0, statusCharsMax)}`);
  if (f.watchdogTrigger) lines.push('WATCHDOG=trigger');
  else if (f.watchdog) lines.push('WATCHDOG=1');
  return lines.join('\n');
}

/**
 * The service watchdog timeout systemd gave this process, in ms, or undefined when none applies:
 * WATCHDOG_USEC unset or invalid, or WATCHDOG_PID naming another process (sd_watchdog_enabled(3)).
 */
export function systemdWatchdogTimeoutMs(env: Record<string, string | undefined>, pid: number): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^\d+$/.test(usec) || Number(usec) === 0) return undefined;
  const forPid = env.WATCHDOG_PID;
  if (forPid !== undefined && Number(forPid) !== pid) return undefined;
  return Number(usec) / 1000;
}

export type SdNotify = (state: string) => number;

/** Loads sd_notify from libsystemd.so.0 through koffi. Throws a WatchdogError naming the fix. */
export function loadSdNotify(library = 'libsystemd.so.0'): SdNotify {
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(name: string): { func(sig: string): (...a: unknown[]) => number } };
    const fn = koffi.load(library).func('int sd_notify(int unset_environment, const char *state)');
    return (state) => fn(0, state);
  } catch (e) {
    throw new WatchdogError(
      'ENOLIBSYSTEMD',
      `NOTIFY_SOCKET is set (ftc runs under systemd with Type=notify) but sd_notify cannot be loaded: ${(e as Error).message}. Fix: install libsystemd0 (apt-get install libsystemd0), or set Type=simple in ftc's unit and use another watchdog driver.`,
    );
  }
}

export interface SystemdNotifyOptions {
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Default: process.pid. */
  pid?: number;
  /** Default: libsystemd's sd_notify through koffi, loaded at start(). */
  notify?: SdNotify;
}

export class SystemdNotifyWatchdog implements HwWatchdog {
  readonly name = 'systemd (sd_notify)';
  /** False when NOTIFY_SOCKET is unset: every call is silent. */
  readonly active: boolean;
  /** WatchdogSec= of the unit; with none, nothing to meet (MAX_SAFE_INTEGER). */
  readonly timeoutMs: number;
  /** systemd imposes its own timeout: a longer configured one is an error. */
  readonly timeoutMaxMs: number;
  #notify: SdNotify | undefined;
  #started = false;
  #stopped = false;
  #sendErrors = 0;
  #lastErrno = 0;

  constructor(opts: SystemdNotifyOptions = {}) {
    const env = opts.env ?? process.env;
    this.active = (env.NOTIFY_SOCKET ?? '') !== '';
    this.timeoutMs = (this.active ? systemdWatchdogTimeoutMs(env, opts.pid ?? process.pid) : undefined) ?? Number.MAX_SAFE_INTEGER;
    this.timeoutMaxMs = this.timeoutMs;
    this.#notify = opts.notify;
  }

  /** Recommended feed period: half of WATCHDOG_USEC (systemd.service(5)). */
  get feedPeriodMs(): number {
    return this.timeoutMs / 2;
  }
  get sendErrors(): number {
    return this.#sendErrors;
  }

  /** Sends `fields`; returns false (counted) on failure. Silent and true when inactive. */
  send(fields: NotifyFields): boolean {
    if (!this.active) return true;
    this.#notify ??= loadSdNotify();
    const rc = this.#notify(formatNotify(fields));
    if (rc < 0) {
      this.#sendErrors++;
      this.#lastErrno = -rc;
      return false;
    }
    return true;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error('systemd watchdog: start() called twice');
    this.#started = true;
    if (!this.send({ ready: true, status: 'supervision running' })) {
      throw new WatchdogError(
        'ENOTIFY',
        `sd_notify(READY=1) failed with errno ${this.#lastErrno}. Fix: check NOTIFY_SOCKET names systemd's socket (NotifyAccess=main or all in ftc's unit).`,
      );
    }
  }

  feed(): void {
    if (!this.#started || this.#stopped) throw new Error(`systemd watchdog: feed() ${this.#stopped ? 'after disarm()' : 'before start()'}`);
    this.send({ watchdog: true });
  }

  /** Shown by `systemctl status`. */
  status(text: string): boolean {
    return this.send({ status: text });
  }

  /** Supervision expired: ask systemd to act now rather than after the full WatchdogSec. */
  trigger(reason: string): boolean {
    this.#stopped = true;
    return this.send({ watchdogTrigger: true, status: `watchdog: ${reason}` });
  }

  async disarm(): Promise<boolean> {
    if (this.#stopped) return false;
    this.#stopped = true;
    // systemd stops watching once the unit is stopping.
    return this.send({ stopping: true, status: 'stopping' });
  }
}
