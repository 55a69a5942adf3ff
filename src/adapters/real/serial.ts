/**
 * SerialLink over serialport 13 with its real native binding (a UART, a USB gadget serial, or in
 * the simulator the slave side of a pseudo-terminal from PtyCable).
 *
 * - The tx queue is bounded: bytes handed to serialport and not yet written to the fd
 *   (`writableLength`) plus the new chunk may not exceed `txQueueBytesMax`, else the chunk is
 *   dropped and counted in `stats.txDropped` (one per dropped chunk).
 * - Port loss (USB unplugged, pty master closed) ends in serialport's 'close' event: listeners
 *   get the reason once, `isOpen` turns false. Read/write errors are counted in `stats.errors`.
 * - Opening a path that does not exist (or is busy, or not permitted) rejects with a
 *   SerialOpenError naming the path, the cause and the fix, counted in the caller's
 *   `stats.errors` when a stats object is passed (so a reopen loop keeps one count).
 * - FACTS.md: on a pty, baudRate does not throttle, `set({dtr, rts})` fails, and opening flushes
 *   the input: bytes written before the far end opened are lost.
 */
import { SerialPort } from 'serialport';
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

class PortLink implements SerialLink {
  readonly stats: SerialStats;
  #open = true;
  #closeReported = false;
  #closing = false;
  /** Last stream error: a write error may close the stream (autoDestroy) with no reason attached. */
  #lastError: Error | null = null;
  readonly #data: Array<(chunk: Uint8Array) => void> = [];
  readonly #close: Array<(reason: Error | null) => void> = [];

  constructor(
    readonly port: SerialPort,
    readonly path: string,
    readonly txQueueBytesMax: number,
    stats: SerialStats,
  ) {
    this.stats = stats;
    port.on('data', (chunk: Buffer) => {
      this.stats.rxBytes += chunk.length;
      for (const l of this.#data) l(chunk);
    });
    port.on('error', (err: Error) => {
      this.stats.errors++;
      this.#lastError = err;
    });
    port.on('close', (err?: Error | null) => {
      this.#open = false;
      if (this.#closeReported) return;
      this.#closeReported = true;
      if (err) this.stats.errors++;
      const reason = this.#closing ? null : (err ?? this.#lastError ?? new Error(`serial port ${this.path} closed unexpectedly`));
      for (const l of this.#close) l(reason);
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  write(data: Uint8Array): boolean {
    if (!this.#open || this.port.writableLength + data.length > this.txQueueBytesMax) {
      this.stats.txDropped++;
      return false;
    }
    const chunk = Buffer.from(data); // our copy: callers may reuse their buffer
    this.port.write(chunk, (err) => {
      if (err) this.stats.errors++;
      else this.stats.txBytes += chunk.length;
    });
    return true;
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
    this.#closing = true;
    await new Promise<void>((resolve) => {
      this.port.close((err) => {
        if (err) this.stats.errors++;
        resolve();
      });
    });
  }
}

/** Opens a serial port; rejects with SerialOpenError (never throws synchronously, never hangs). */
export async function openSerialLink(opts: SerialLinkOptions): Promise<SerialLink> {
  const stats = opts.stats ?? { rxBytes: 0, txBytes: 0, txDropped: 0, errors: 0 };
  const txQueueBytesMax = opts.txQueueBytesMax ?? SERIAL_TX_QUEUE_BYTES_MAX_DEFAULT;
  const openTimeoutMs = opts.openTimeoutMs ?? SERIAL_OPEN_TIMEOUT_MS_DEFAULT;
  if (typeof opts.path !== 'string' || opts.path.length === 0) throw new TypeError(`openSerialLink: path must be a non-empty string, got ${JSON.stringify(opts.path)}`);
  if (!Number.isInteger(txQueueBytesMax) || txQueueBytesMax < 1) throw new RangeError(`openSerialLink: txQueueBytesMax must be a positive integer, got ${txQueueBytesMax}`);
  const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate ?? 115_200, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new SerialOpenError('ETIMEDOUT', opts.path, `serial port ${opts.path} did not open within ${openTimeoutMs} ms: the device is wedged; replug it`));
      }, openTimeoutMs);
      port.open((err) => {
        clearTimeout(timer);
        if (timedOut) {
          if (!err) port.close(() => {}); // opened too late: nobody owns it
        } else if (err) reject(classifyOpenError(opts.path, err));
        else resolve();
      });
    });
  } catch (err) {
    stats.errors++;
    if (port.isOpen) port.close(() => {});
    throw err;
  }
  return new PortLink(port, opts.path, txQueueBytesMax, stats);
}
