/**
 * The sd_notify socket a process-class program talks to (shell ring: a socket). systemd's
 * protocol (sd_notify(3)): the program sends newline-separated KEY=VALUE datagrams to the
 * AF_UNIX path in $NOTIFY_SOCKET. ftc reads READY=1, WATCHDOG=1 (the program's own liveness,
 * against `watchdogMs`, told to it as WATCHDOG_USEC the way systemd does) and FTC_SYNC=1 (a
 * consistent point, syncOn: mark). Node has no AF_UNIX datagram sockets: libc's socket, bind and
 * recv are called through koffi (as src/watchdog/systemd-notify.ts calls sd_notify), the socket
 * non-blocking and drained from the board's tick, never blocking it.
 */
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
/** sockaddr_un.sun_path is 108 bytes with its NUL (unix(7)). */
export const NOTIFY_PATH_BYTES_MAX = 107;
/** A notify message is a few short lines; longer is cut (systemd allows more, we need less). */
const DATAGRAM_BYTES_MAX = 4096;
/** Datagrams read per tick at most: a program that floods its socket cannot starve the board. */
const DATAGRAMS_PER_DRAIN_MAX = 64;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number | bigint;
  close(fd: number): number;
  errno(): number;
}

let libc: Libc | null = null;
function loadLibc(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as { load(n: string): { func(sig: string): (...a: unknown[]) => number }; errno(): number };
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int, int, int)') as Libc['socket'],
    bind: lib.func('int bind(int, const uint8_t *addr, uint32_t len)') as Libc['bind'],
    recv: lib.func('intptr_t recv(int, _Out_ uint8_t *buf, size_t len, int flags)') as Libc['recv'],
    close: lib.func('int close(int)') as Libc['close'],
    errno: () => koffi.errno(),
  };
  return libc;
}

export interface NotifyMessage {
  ready: boolean;
  watchdog: boolean;
  sync: boolean;
  status?: string;
}

/** One datagram's fields (unknown keys ignored, as systemd ignores them). */
export function parseNotify(text: string): NotifyMessage {
  const m: NotifyMessage = { ready: false, watchdog: false, sync: false };
  for (const line of text.split('\n')) {
    if (line === 'READY=1') m.ready = true;
    else if (line === 'WATCHDOG=1') m.watchdog = true;
    else if (line === 'FTC_SYNC=1') m.sync = true;
    else if (line.startsWith('STATUS=')) m.status = line.slice(7, 207);
  }
  return m;
}

export class NotifySocket {
  readonly #fd: number;
  readonly #buf = Buffer.alloc(DATAGRAM_BYTES_MAX);
  readonly stats = { datagrams: 0, errors: 0 };

  /** Binds `path` (replacing a stale socket file). Throws an Error naming the path on failure. */
  constructor(readonly path: string) {
    if (Buffer.byteLength(path) > NOTIFY_PATH_BYTES_MAX) throw new Error(`notify socket path ${path} is over ${NOTIFY_PATH_BYTES_MAX} bytes (sun_path); fix: a shorter process.stateDir`);
    const c = loadLibc();
    rmSync(path, { force: true });
    const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM): errno ${c.errno()}`);
    const addr = Buffer.alloc(2 + NOTIFY_PATH_BYTES_MAX + 1);
    addr.writeUInt16LE(AF_UNIX, 0);
    addr.write(path, 2);
    if (c.bind(fd, addr, 2 + Buffer.byteLength(path) + 1) !== 0) {
      const errno = c.errno();
      c.close(fd);
      throw new Error(`bind ${path}: errno ${errno}`);
    }
    this.#fd = fd;
  }

  /** Every datagram waiting (bounded), without blocking. */
  drain(): NotifyMessage[] {
    const c = loadLibc();
    const out: NotifyMessage[] = [];
    for (let i = 0; i < DATAGRAMS_PER_DRAIN_MAX; i++) {
      const n = Number(c.recv(this.#fd, this.#buf, DATAGRAM_BYTES_MAX, MSG_DONTWAIT));
      if (n < 0) {
        if (c.errno() !== EAGAIN) this.stats.errors++;
        break;
      }
      this.stats.datagrams++;
      out.push(parseNotify(this.#buf.subarray(0, n).toString('utf8')));
    }
    return out;
  }

  close(): void {
    loadLibc().close(this.#fd);
    rmSync(this.path, { force: true });
  }
}
