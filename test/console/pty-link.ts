/**
 * Test helper: a real pseudo-terminal pair, the master side wrapped as a SerialLink (the board's
 * end), the slave path free for a client to open with serialport (the user's end), as `screen`
 * would. Uses node-pty's native openpty(); writes go through non-blocking fs.write with a queue
 * that retries on EAGAIN (FACTS.md: a blocking tty write deadlocked with the reader in-process).
 * Replace with src/adapters/sim/pty-cable.ts + the serial adapter once the board is integrated.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as tty from 'node:tty';
import type { SerialLink, SerialStats } from '../../src/ports/serial.ts';

const require = createRequire(import.meta.url);
const { requireBinary } = require('@lydell/node-pty/requireBinary.js') as {
  requireBinary(file: string): { open(cols: number, rows: number): { master: number; slave: number; pty: string } };
};

export interface PtyPair {
  /** Path of the slave side (/dev/pts/N), for the client. */
  path: string;
  link: SerialLink;
  close(): Promise<void>;
}

export function openPtyPair(txQueueBytesMax = 64 * 1024): PtyPair {
  const { master, slave, pty } = requireBinary('pty.node').open(80, 24);
  const reader = new tty.ReadStream(master);
  const stats: SerialStats = { rxBytes: 0, txBytes: 0, txDropped: 0, errors: 0 };
  const dataListeners: Array<(c: Uint8Array) => void> = [];
  const closeListeners: Array<(e: Error | null) => void> = [];
  const queue: Buffer[] = [];
  let queued = 0;
  let writing = false;
  let open = true;
  const pump = () => {
    const buf = queue[0];
    if (!buf || !open) {
      writing = false;
      return;
    }
    writing = true;
    fs.write(master, buf, (err, n) => {
      if (err && (err as NodeJS.ErrnoException).code === 'EAGAIN') {
        setTimeout(pump, 2);
        return;
      }
      if (err) {
        stats.errors++;
        queue.length = 0;
        queued = 0;
        writing = false;
        return;
      }
      stats.txBytes += n;
      if (n < buf.length) queue[0] = buf.subarray(n);
      else queue.shift();
      queued -= n;
      pump();
    });
  };
  reader.on('data', (d: Buffer) => {
    stats.rxBytes += d.length;
    for (const l of dataListeners) l(d);
  });
  // EIO on the master when no slave is open is the kernel's way of saying "hung up" (pty(7)).
  reader.on('error', () => stats.errors++);
  const link: SerialLink = {
    path: pty,
    get isOpen() {
      return open;
    },
    txQueueBytesMax,
    stats,
    write(data) {
      if (!open || queued + data.length > txQueueBytesMax) {
        stats.txDropped++;
        return false;
      }
      queue.push(Buffer.from(data));
      queued += data.length;
      if (!writing) pump();
      return true;
    },
    onData: (l) => void dataListeners.push(l),
    onClose: (l) => void closeListeners.push(l),
    close: async () => {
      if (!open) return;
      open = false;
      reader.destroy();
      try {
        fs.closeSync(slave);
      } catch {
        /* already closed */
      }
      for (const l of closeListeners) l(null);
    },
  };
  return { path: pty, link, close: () => link.close() };
}
