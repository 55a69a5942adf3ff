/**
 * Linux `/dev/watchdog` driver (Documentation/watchdog/watchdog-api.rst, drivers/watchdog/watchdog_dev.c):
 * - opening the device starts the countdown; only one opener at a time (EBUSY otherwise);
 * - any write feeds it; a 'V' in the last write arms the "magic close": closing right after stops
 *   the watchdog, unless the driver is `nowayout`. A later write without 'V' cancels the magic,
 *   so feeds use another byte;
 * - closing without the magic leaves it running ("watchdog did not stop!"): the board resets;
 * - status in /sys/class/watchdog/watchdogN/{identity,timeout,timeleft,bootstatus,nowayout,state,
 *   max_timeout,min_timeout}; bootstatus bit WDIOF_CARDRESET (0x20) means the last reboot was
 *   caused by the watchdog;
 * - the timeout is set with the WDIOC_SETTIMEOUT ioctl in whole seconds (koffi calls libc's
 *   ioctl: Node has no ioctl).
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import type { HwWatchdog } from '../ports/watchdog.ts';
import { WatchdogError } from '../ports/watchdog.ts';

const WDIOF_CARDRESET = 0x0020;
/** _IOWR('W', 6, int) from include/uapi/linux/watchdog.h. */
const WDIOC_SETTIMEOUT = 0xc0045706;
const feedByte = Buffer.from('.');
const magicClose = Buffer.from('V');

export interface LinuxWatchdogOptions {
  /** Default `/dev/watchdog` (the kernel's alias of watchdog0). */
  devicePath?: string;
  /** Default `/sys/class/watchdog/watchdogN` matching the device. */
  sysfsDir?: string;
  /** Timeout to set at start (whole seconds, ioctl); default: keep the one in force. */
  timeoutMs?: number;
  /** Used when sysfs has no `max_timeout` (Raspberry Pi bcm2835_wdt: 15 s). Default 15000. */
  timeoutMaxMs?: number;
  /** Config field naming the device, for messages. Default `watchdog.device`. */
  field?: string;
  /** Sets the timeout on an open fd; default: ioctl(WDIOC_SETTIMEOUT) through koffi. Returns the timeout in force, s. */
  setTimeoutSeconds?: (fd: number, seconds: number) => number;
}

export interface LinuxWatchdogStatus {
  identity: string | undefined;
  timeoutS: number | undefined;
  timeleftS: number | undefined;
  maxTimeoutS: number | undefined;
  minTimeoutS: number | undefined;
  bootstatus: number | undefined;
  nowayout: boolean | undefined;
  state: string | undefined;
  /** bootstatus has WDIOF_CARDRESET: the last reboot was the watchdog's doing. */
  lastResetByWatchdog: boolean;
}

export function defaultSysfsDir(devicePath: string): string {
  const name = basename(devicePath);
  return `/sys/class/watchdog/${name === 'watchdog' ? 'watchdog0' : name}`;
}

/** Maps an open() failure to one message naming the cause and the fix. */
export function explainOpenError(path: string, code: string | undefined, field = 'watchdog.device'): WatchdogError {
  switch (code) {
    case 'ENOENT':
      return new WatchdogError(
        'ENOENT',
        `no watchdog device at ${path}. Fix: enable the watchdog driver (Raspberry Pi: dtparam=watchdog=on in /boot/firmware/config.txt, then reboot; a PC or VM: modprobe softdog), or set ${field} to the right device, or use the "systemd" or "sim" watchdog driver.`,
      );
    case 'EBUSY':
      return new WatchdogError(
        'EBUSY',
        `${path} is busy: another process holds it open, usually systemd's RuntimeWatchdogSec= (check: systemctl show -p RuntimeWatchdogUSec), or watchdogd, or another ftc. Fix: set RuntimeWatchdogSec=0 in /etc/systemd/system.conf and run systemctl daemon-reexec, or keep systemd on the hardware and use the "systemd" watchdog driver (WatchdogSec= in ftc's unit) so ftc feeds systemd.`,
      );
    case 'EACCES':
    case 'EPERM':
      return new WatchdogError(
        code,
        `permission denied opening ${path}. Fix: install hw/udev/99-ftc.rules (it gives /dev/watchdog* to group watchdog) and add ftc's user to the watchdog group (hw/install.sh does both), or run ftc as root.`,
      );
    default:
      return new WatchdogError(code ?? 'EIO', `cannot open ${path} (${code ?? 'unknown error'}). Fix: check ${field} names a watchdog device (ls /dev/watchdog*).`);
  }
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
function readInt(path: string): number | undefined {
  const t = readTrim(path);
  if (t === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(t)) return undefined;
  return Number(t);
}

let ioctlFn: ((fd: number, req: number, type: string, arg: number[]) => number) | undefined;
let koffiErrno: (() => number) | undefined;

/** ioctl(fd, WDIOC_SETTIMEOUT, &seconds) through koffi, loaded on first use. */
export function ioctlSetTimeoutSeconds(fd: number, seconds: number): number {
  if (!ioctlFn) {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as {
      load(name: string): { func(sig: string): (...args: unknown[]) => number };
      errno(): number;
    };
    const fn = koffi.load('libc.so.6').func('int ioctl(int fd, unsigned long request, ...)');
    ioctlFn = (f, req, type, arg) => fn(f, req, type, arg);
    koffiErrno = () => koffi.errno();
  }
  const arg = [seconds];
  const rc = ioctlFn(fd, WDIOC_SETTIMEOUT, 'int *', arg);
  if (rc < 0) {
    const errno = koffiErrno?.() ?? 0;
    throw Object.assign(new Error(`ioctl(WDIOC_SETTIMEOUT) failed, errno ${errno}`), { errno });
  }
  return arg[0] ?? seconds;
}

export class LinuxWatchdog implements HwWatchdog {
  readonly name: string;
  readonly devicePath: string;
  readonly sysfsDir: string;
  #timeoutMs: number;
  #timeoutMaxMs: number;
  #fd: number | undefined;
  #started = false;
  #disarmed = false;
  #stopOutcome: boolean | undefined;
  #writeErrors = 0;
  readonly #opts: LinuxWatchdogOptions;

  constructor(opts: LinuxWatchdogOptions = {}) {
    this.#opts = opts;
    this.devicePath = opts.devicePath ?? '/dev/watchdog';
    this.sysfsDir = opts.sysfsDir ?? defaultSysfsDir(this.devicePath);
    const st = this.readStatus();
    this.name = `${this.devicePath}${st.identity ? ` (${st.identity})` : ''}`;
    this.#timeoutMaxMs = st.maxTimeoutS !== undefined ? st.maxTimeoutS * 1000 : (opts.timeoutMaxMs ?? 15_000);
    this.#timeoutMs = opts.timeoutMs ?? (st.timeoutS !== undefined ? st.timeoutS * 1000 : Number.NaN);
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }
  get timeoutMaxMs(): number {
    return this.#timeoutMaxMs;
  }
  /** Feeds whose write failed (an operating error: counted, the next feed retries). */
  get writeErrors(): number {
    return this.#writeErrors;
  }

  readStatus(): LinuxWatchdogStatus {
    const d = this.sysfsDir;
    const bootstatus = readInt(`${d}/bootstatus`);
    const nowayout = readInt(`${d}/nowayout`);
    return {
      identity: readTrim(`${d}/identity`),
      timeoutS: readInt(`${d}/timeout`),
      timeleftS: readInt(`${d}/timeleft`),
      maxTimeoutS: readInt(`${d}/max_timeout`),
      minTimeoutS: readInt(`${d}/min_timeout`),
      bootstatus,
      nowayout: nowayout === undefined ? undefined : nowayout !== 0,
      state: readTrim(`${d}/state`),
      lastResetByWatchdog: bootstatus !== undefined && (bootstatus & WDIOF_CARDRESET) !== 0,
    };
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error(`${this.devicePath}: start() called twice`);
    const field = this.#opts.field ?? 'watchdog.device';
    if (!Number.isFinite(this.#timeoutMs)) {
      throw new WatchdogError(
        'ENOTIMEOUT',
        `cannot tell the timeout of ${this.devicePath}: ${this.sysfsDir}/timeout is unreadable. Fix: set watchdog.timeoutMs, or point ${field} at a device listed in /sys/class/watchdog.`,
      );
    }
    try {
      // O_WRONLY without O_CREAT: never create a regular file in place of a missing device.
      this.#fd = openSync(this.devicePath, constants.O_WRONLY);
    } catch (e) {
      throw explainOpenError(this.devicePath, (e as NodeJS.ErrnoException).code, field);
    }
    this.#started = true;
    const wantS = Math.ceil(this.#timeoutMs / 1000);
    const inForceS = this.readStatus().timeoutS;
    if (this.#opts.timeoutMs !== undefined && inForceS !== wantS) {
      try {
        const gotS = (this.#opts.setTimeoutSeconds ?? ioctlSetTimeoutSeconds)(this.#fd, wantS);
        this.#timeoutMs = gotS * 1000;
      } catch (e) {
        // Opening armed the device; a configuration error must not end in a reset (ftc exits,
        // systemd starts it again, the same error: a reboot loop). Disarm it again with the
        // magic 'V' unless nowayout forbids it (found in a QEMU guest on softdog: the next
        // opener got EBUSY and the guest reset).
        const nowayout = this.readStatus().nowayout === true;
        const fd = this.#fd;
        this.#fd = undefined;
        this.#started = false;
        try {
          if (!nowayout) writeSync(fd, magicClose);
        } finally {
          closeSync(fd);
        }
        throw new WatchdogError(
          'ESETTIMEOUT',
          `${this.devicePath} refused a ${wantS} s timeout (${(e as Error).message}; ENOTTY, errno 25, means it is not a watchdog device); ${nowayout ? `it stays armed (nowayout) and resets the board in ${inForceS ?? '?'} s` : 'it was disarmed again'}. Fix: use a timeout the device supports (${this.sysfsDir}/max_timeout), or omit watchdog.timeoutMs to keep the one in force (${inForceS ?? '?'} s).`,
        );
      }
    }
  }

  feed(): void {
    if (this.#fd === undefined || this.#disarmed) throw new Error(`${this.devicePath}: feed() ${this.#disarmed ? 'after disarm()' : 'before start()'}`);
    try {
      writeSync(this.#fd, feedByte);
    } catch {
      this.#writeErrors++;
    }
  }

  /** Clean stop: magic 'V' then close. With nowayout the board still resets: close and report false. */
  async disarm(): Promise<boolean> {
    // Not started: nothing is armed. Already stopped: the same outcome as then.
    if (this.#fd === undefined) return this.#stopOutcome ?? true;
    this.#disarmed = true;
    const nowayout = this.readStatus().nowayout === true;
    const fd = this.#fd;
    this.#fd = undefined;
    if (!nowayout) writeSync(fd, magicClose);
    closeSync(fd);
    this.#stopOutcome = !nowayout;
    return this.#stopOutcome;
  }

  /**
   * Closes without the magic 'V' (after supervision expired): the kernel keeps counting and the
   * board resets. Never writes anything.
   */
  abandon(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    this.#disarmed = true;
    this.#stopOutcome = false;
    closeSync(fd);
  }
}
