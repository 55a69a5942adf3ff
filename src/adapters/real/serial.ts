/**
 * SerialLink over serialport 13's native binding (@serialport/bindings-cpp: a UART, a USB gadget
 * serial, or in the simulator the slave side of a pseudo-terminal from PtyCable), with direct
 * non-blocking reads and writes on its fd (see DirectLink below).
 *
 * - The tx queue is bounded: bytes not yet taken by the kernel plus the new chunk may not exceed
 *   `txQueueBytesMax`, else the chunk is dropped and counted in `stats.txDropped` (one per chunk).
 * - Port loss (USB unplugged, pty master closed: reads fail with EIO or ENXIO, or the poller
 *   reports an error) closes the link: listeners get the reason once, `isOpen` turns false.
 *   Read/write errors are counted in `stats.errors`.
 * - Opening a path that does not exist (or is busy, or not permitted) rejects with a
 *   SerialOpenError naming the path, the cause and the fix, counted in the caller's
 *   `stats.errors` when a stats object is passed (so a reopen loop keeps one count).
 * - On a pty (docs/serial-and-ptys.md) the baud rate does not throttle, modem-line ioctls fail,
 *   and opening flushes the input: bytes written before the far end opened are lost.
 */
import { readSync, writeSync } from 'node:fs';
import { autoDetect, type BindingPortInterface } from '@serialport/bindings-cpp';
import type { SerialLink, SerialStats } from '../../ports/serial.ts';

export const SERIAL_TX_QUEUE_BYTES_MAX_DEFAULT = 64 * 1024;
export const SERIAL_OPEN_TIMEOUT_MS_DEFAULT = 5_000;

export interface SerialLinkOptions {
  path: string;
  baudRate?: number;
  txQueueBytesMax?: number;
  /** Open gives up after this long (a wedged USB device can block open()). */
  openTimeoutMs?: number;
  /** Counters to use (and keep across reopen attempts); a fresh object otherwise. */
  stats?: SerialStats;
}

export class SerialOpenError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'EACCES' | 'EBUSY' | 'ETIMEDOUT' | 'EIO',
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SerialOpenError';
  }
}

function classifyOpenError(path: string, err: Error): SerialOpenError {
  const m = err.message;
  if (/No such file or directory|ENOENT/i.test(m)) {
    return new SerialOpenError('ENOENT', path, `serial port ${path} does not exist: check links.serial[].path in the board config and that the cable/USB adapter is plugged (simulator: use the PtyCable path)`, { cause: err });
  }
  if (/Permission denied|EACCES/i.test(m)) {
    return new SerialOpenError('EACCES', path, `serial port ${path}: permission denied: add the user to the dialout group (hw/udev/99-ftc.rules)`, { cause: err });
  }
  if (/Cannot lock port|Resource temporarily unavailable|EBUSY/i.test(m)) {
    return new SerialOpenError('EBUSY', path, `serial port ${path} is already open (locked) by another process: stop it (a getty? check systemctl status serial-getty@)`, { cause: err });
  }
  return new SerialOpenError('EIO', path, `serial port ${path} cannot be opened: ${m}`, { cause: err });
}

/** What this adapter uses of a bindings-cpp port on Linux and macOS: its fd and its poller. */
interface UnixPort extends BindingPortInterface {
  readonly fd: number | null;
  readonly poller: {
    once(event: 'readable' | 'writable' | 'disconnect', cb: (err: (Error & { canceled?: boolean }) | null) => void): unknown;
    poll(eventFlags: number): void;
  };
}

/** bindings-cpp's poller flags (dist/poller.js EVENTS). */
const UV_READABLE = 0b0001;
const UV_WRITABLE = 0b0010;

const RX_CHUNK_BYTES = 4096;
const retryable = (code: unknown) => code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR';

/**
 * A serial port opened with serialport's native binding (termios, lock, baud rate), read and
 * written directly on its non-blocking fd: when the poller says it is readable (epoll), and at
 * once for a write when nothing is queued. serialport's stream path costs two thread-pool hops
 * per frame (fs.read and fs.write run on libuv's pool, with a futex wake each); this costs one
 * syscall on the main thread.
 *
 * The tx queue is ours, so its bound is exact: bytes the kernel has not taken yet (a slow line,
 * a full tty buffer) plus the new chunk may not exceed txQueueBytesMax, else the chunk is dropped
 * and counted. Read errors other than EAGAIN (EIO: pty master closed, ENXIO: USB gone) close the
 * link and tell onClose listeners once.
 */
class DirectLink implements SerialLink {
  readonly stats: SerialStats;
  #open = true;
  #closeReported = false;
  readonly #data: Array<(chunk: Uint8Array) => void> = [];
  readonly #close: Array<(reason: Error | null) => void> = [];
  readonly #tx: Uint8Array[] = [];
  #txQueuedBytes = 0;
  #waitingWritable = false;
  readonly #rx = Buffer.allocUnsafe(RX_CHUNK_BYTES);

  constructor(
    readonly port: UnixPort,
    readonly path: string,
    readonly txQueueBytesMax: number,
    stats: SerialStats,
  ) {
    this.stats = stats;
    this.#armRead();
  }

  get isOpen(): boolean {
    return this.#open;
  }

  #armRead(): void {
    this.port.poller.once('readable', (err) => {
      if (!this.#open) return;
      if (err) return this.#lost(err.canceled ? null : err);
      this.#readAvailable();
      if (this.#open) this.#armRead();
    });
    // once('readable') asked for readable alone: that is all when no write waits.
    if (this.#waitingWritable) this.#repoll();
  }

  /**
   * bindings-cpp's Poller::poll (src/poller.cpp, 12.x) starts the libuv poll with only the event
   * just asked for (`uv_poll_start(handle, events, ...)`, not the events still wanted), so
   * re-arming 'readable' while a write waits for 'writable' (a data listener that answered with
   * a write the kernel took only part of) drops the writable wait: the link never writes again,
   * and the other way round reads stop while a write waits. Ask for everything still wanted,
   * whenever a write waits (a read is always wanted).
   */
  #repoll(): void {
    this.port.poller.poll(UV_READABLE | (this.#waitingWritable ? UV_WRITABLE : 0));
  }

  #readAvailable(): void {
    const fd = this.port.fd;
    if (fd === null) return this.#lost(new Error(`serial port ${this.path} closed unexpectedly`));
    // One read normally empties the line; a full chunk means more may be waiting.
    for (let i = 0; i < 16; i++) {
      let n: number;
      try {
        n = readSync(fd, this.#rx, 0, RX_CHUNK_BYTES, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (retryable(code)) return;
        this.stats.errors++;
        return this.#lost(e as Error);
      }
      if (n === 0) return;
      this.stats.rxBytes += n;
      const chunk = Buffer.from(this.#rx.subarray(0, n)); // listeners may keep it
      for (const l of this.#data) l(chunk);
      if (n < RX_CHUNK_BYTES) return;
    }
  }

  write(data: Uint8Array): boolean {
    if (!this.#open || this.#txQueuedBytes + data.length > this.txQueueBytesMax) {
      this.stats.txDropped++;
      return false;
    }
    if (this.#tx.length === 0) {
      const n = this.#writeNow(data);
      if (n < 0) return false;
      if (n === data.length) return true;
      data = data.subarray(n);
    }
    const copy = new Uint8Array(data); // callers may reuse their buffer
    this.#tx.push(copy);
    this.#txQueuedBytes += copy.length;
    this.#armWrite();
    return true;
  }

  /** Bytes the kernel took (0 if it is full), or -1 after an error that closed the link. */
  #writeNow(data: Uint8Array): number {
    const fd = this.port.fd;
    if (fd === null) {
      this.#lost(new Error(`serial port ${this.path} closed unexpectedly`));
      return -1;
    }
    try {
      const n = writeSync(fd, data, 0, data.length);
      this.stats.txBytes += n;
      return n;
    } catch (e) {
      if (retryable((e as NodeJS.ErrnoException).code)) return 0;
      this.stats.errors++;
      this.#lost(e as Error);
      return -1;
    }
  }

  #armWrite(): void {
    if (this.#waitingWritable) return;
    this.#waitingWritable = true;
    this.port.poller.once('writable', (err) => {
      this.#waitingWritable = false;
      if (!this.#open) return;
      if (err) return this.#lost(err.canceled ? null : err);
      while (this.#tx.length > 0) {
        const head = this.#tx[0]!;
        const n = this.#writeNow(head);
        if (n < 0) return;
        this.#txQueuedBytes -= n;
        if (n < head.length) {
          this.#tx[0] = head.subarray(n);
          break;
        }
        this.#tx.shift();
      }
      if (this.#tx.length > 0) this.#armWrite();
    });
    this.#repoll();
  }

  #lost(reason: Error | null): void {
    if (this.#closeReported) return;
    this.#open = false;
    this.#closeReported = true;
    this.#tx.length = 0;
    this.#txQueuedBytes = 0;
    if (this.port.isOpen) this.port.close().catch(() => {});
    for (const l of this.#close) l(reason);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#data.push(listener);
  }

  onClose(listener: (reason: Error | null) => void): void {
    this.#close.push(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#closeReported = true; // an orderly close is not reported as a loss
    try {
      await this.port.close();
    } catch {
      this.stats.errors++;
    }
  }
}

/** Opens a serial port; rejects with SerialOpenError (never throws synchronously, never hangs). */
export async function openSerialLink(opts: SerialLinkOptions): Promise<SerialLink> {
  const stats = opts.stats ?? { rxBytes: 0, txBytes: 0, txDropped: 0, errors: 0 };
  const txQueueBytesMax = opts.txQueueBytesMax ?? SERIAL_TX_QUEUE_BYTES_MAX_DEFAULT;
  const openTimeoutMs = opts.openTimeoutMs ?? SERIAL_OPEN_TIMEOUT_MS_DEFAULT;
  if (typeof opts.path !== 'string' || opts.path.length === 0) throw new TypeError(`openSerialLink: path must be a non-empty string, got ${JSON.stringify(opts.path)}`);
  if (!Number.isInteger(txQueueBytesMax) || txQueueBytesMax < 1) throw new RangeError(`openSerialLink: txQueueBytesMax must be a positive integer, got ${txQueueBytesMax}`);
  let port: UnixPort;
  try {
    port = await new Promise<UnixPort>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new SerialOpenError('ETIMEDOUT', opts.path, `serial port ${opts.path} did not open within ${openTimeoutMs} ms: the device is wedged; replug it`));
      }, openTimeoutMs);
      autoDetect().open({ path: opts.path, baudRate: opts.baudRate ?? 115_200 }).then(
        (p) => {
          clearTimeout(timer);
          if (timedOut) p.close().catch(() => {}); // opened too late: nobody owns it
          else if (typeof (p as Partial<UnixPort>).fd !== 'number' || !(p as Partial<UnixPort>).poller) {
            p.close().catch(() => {});
            reject(new SerialOpenError('EIO', opts.path, `serial port ${opts.path}: this platform's serialport binding has no pollable fd (ftc runs on Linux)`));
          } else resolve(p as UnixPort);
        },
        (err: Error) => {
          clearTimeout(timer);
          if (!timedOut) reject(classifyOpenError(opts.path, err));
        },
      );
    });
  } catch (err) {
    stats.errors++;
    throw err;
  }
  return new DirectLink(port, opts.path, txQueueBytesMax, stats);
}
