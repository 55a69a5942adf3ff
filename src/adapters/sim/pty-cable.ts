/**
 * A simulated null-modem cable made of two real pseudo-terminals. Two boards (processes or
 * SerialLinks in this one) open `pathA` and `pathB` with serialport's real binding; the cable
 * relays master A <-> master B and can cut the line or flip bits.
 *
 * How (docs/serial-and-ptys.md):
 * - ptys come from @lydell/node-pty's native `open()` (openpty): {master, slave, pty path}. The
 *   package's JS `open()` wraps the slave in a resumed tty.ReadStream that would steal bytes meant
 *   for the board, so the native one is used directly.
 * - The cable keeps its own slave fd open (never read): without it, the master reads EIO while no
 *   board has the slave open, and a board restart would hang up the line.
 * - Before handing out the paths, each slave is opened and closed once with serialport's binding,
 *   which leaves the terminal raw (no echo, no CR/LF mapping): otherwise bytes reaching a slave
 *   before its board opens would be echoed back to the other board.
 * - Masters are read with a tty.ReadStream and written with non-blocking fs.write + a bounded
 *   queue retried on EAGAIN (a blocking tty.WriteStream write deadlocks with an in-process reader).
 * - Bounded relay queues: when a side does not read (board stopped, slave buffer full), bytes
 *   beyond `relayQueueBytesMax` are dropped and counted.
 * - A pty moves bytes at memory speed whatever the baud rate (docs/serial-and-ptys.md). `lineRateBytesPerSecond`
 *   (e.g. 11_520 for 115200 8N1) paces each direction on wall time, so frame timing looks like a
 *   UART's; a sender faster than the line fills the relay queue and loses bytes there.
 *
 * Usable from a supervisor process: it only needs the event loop running; boards open the
 * slave paths from their own processes.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as tty from 'node:tty';
import { autoDetect } from '@serialport/bindings-cpp';
import { Prng } from '../../sim/prng.ts';

const require = createRequire(import.meta.url);

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

export const PTY_RELAY_QUEUE_BYTES_MAX_DEFAULT = 64 * 1024;
/** Retry delay after EAGAIN on a master write (the far slave's input buffer is full). */
const EAGAIN_RETRY_MS = 2;
/** Line-rate pacing writes this many ms worth of bytes at a time (timer granularity ~1 ms). */
const PACE_SLICE_MS = 2;
/** A late timer may send the bytes it owes, up to this many ms worth: timers slip under load. */
const PACE_CATCHUP_MS_MAX = 20;

export interface PtyDirectionStats {
  /** Bytes read from the source master. */
  bytesIn: number;
  /** Bytes written to the destination master. */
  bytesOut: number;
  /** Bytes dropped because the cable was cut. */
  cutDroppedBytes: number;
  /** Bytes dropped because the relay queue was full (the far side is not reading). */
  queueDroppedBytes: number;
  bitsFlipped: number;
  readErrors: number;
  writeErrors: number;
}

const newStats = (): PtyDirectionStats => ({ bytesIn: 0, bytesOut: 0, cutDroppedBytes: 0, queueDroppedBytes: 0, bitsFlipped: 0, readErrors: 0, writeErrors: 0 });

/** Seeded bit-flipper: the gap to the next flipped bit is geometric, so cost is per flip, not per bit. */
class BitFlipper {
  readonly #prng: Prng;
  readonly #ber: number;
  #gapBits: number;
  constructor(ber: number, seed: number) {
    this.#ber = ber;
    this.#prng = new Prng(seed);
    this.#gapBits = this.#draw();
  }
  #draw(): number {
    if (this.#ber >= 1) return 0;
    return Math.floor(Math.log(1 - this.#prng.next()) / Math.log(1 - this.#ber));
  }
  /** Flips bits in place; returns how many. Flip positions depend only on the stream offset. */
  apply(buf: Buffer): number {
    let flipped = 0;
    const bits = buf.length * 8;
    let pos = this.#gapBits;
    while (pos < bits) {
      buf[pos >> 3]! ^= 1 << (pos & 7);
      flipped++;
      pos += 1 + this.#draw();
    }
    this.#gapBits = pos - bits;
    return flipped;
  }
}

class Side {
  readonly reader: tty.ReadStream;
  readonly queue: Buffer[] = [];
  queuedBytes = 0;
  writing = false;
  retryTimer: NodeJS.Timeout | null = null;
  closed = false;
  /** Line-rate pacing: wall time (performance.now) at which the simulated line is free again. */
  lineFreeAtMs = 0;

  constructor(
    readonly master: number,
    readonly slave: number,
    readonly path: string,
  ) {
    this.reader = new tty.ReadStream(master);
  }
}

export class PtyCable {
  readonly pathA: string;
  readonly pathB: string;
  readonly relayQueueBytesMax: number;
  readonly stats: { aToB: PtyDirectionStats; bToA: PtyDirectionStats } = { aToB: newStats(), bToA: newStats() };
  #cut = false;
  #bytesPerMs: number | null = null;
  #flipAB: BitFlipper | null = null;
  #flipBA: BitFlipper | null = null;
  readonly #a: Side;
  readonly #b: Side;
  #closed = false;

  private constructor(a: Side, b: Side, relayQueueBytesMax: number) {
    this.#a = a;
    this.#b = b;
    this.pathA = a.path;
    this.pathB = b.path;
    this.relayQueueBytesMax = relayQueueBytesMax;
    this.#relay(a, b, this.stats.aToB, () => this.#flipAB);
    this.#relay(b, a, this.stats.bToA, () => this.#flipBA);
  }

  /** Creates the two ptys and starts relaying. */
  static async open(opts: { relayQueueBytesMax?: number; lineRateBytesPerSecond?: number | null } = {}): Promise<PtyCable> {
    const max = opts.relayQueueBytesMax ?? PTY_RELAY_QUEUE_BYTES_MAX_DEFAULT;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`PtyCable: relayQueueBytesMax must be a positive integer, got ${max}`);
    const { requireBinary } = require('@lydell/node-pty/requireBinary.js') as { requireBinary(f: string): NativePty };
    const pty = requireBinary('pty.node');
    const binding = autoDetect();
    const sides: Side[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const t = pty.open(80, 24);
        // Raw mode via the same binding the boards use; the setting stays while our slave fd is open.
        const port = await binding.open({ path: t.pty, baudRate: 115_200 });
        await port.close();
        sides.push(new Side(t.master, t.slave, t.pty));
      }
    } catch (err) {
      for (const s of sides) PtyCable.#destroySide(s);
      throw new Error(`PtyCable: cannot create a pseudo-terminal pair: ${(err as Error).message}`, { cause: err });
    }
    const cable = new PtyCable(sides[0]!, sides[1]!, max);
    cable.setLineRate(opts.lineRateBytesPerSecond ?? null);
    return cable;
  }

  /** Paces both directions to `bytesPerSecond` (8N1: baud / 10); null = as fast as the ptys go. */
  setLineRate(bytesPerSecond: number | null): void {
    if (bytesPerSecond !== null && !(bytesPerSecond > 0 && Number.isFinite(bytesPerSecond))) {
      throw new RangeError(`PtyCable.setLineRate: bytesPerSecond must be > 0 (or null for unpaced), got ${bytesPerSecond}`);
    }
    this.#bytesPerMs = bytesPerSecond === null ? null : bytesPerSecond / 1000;
  }

  /** Cable cut (true) or repaired (false): while cut, every byte both ways is dropped and counted. */
  cut(on: boolean): void {
    this.#cut = on;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /**
   * Flips each relayed bit with probability `ber` (0 disables), both ways, from a PRNG seeded with
   * `seed` (each direction has its own stream: seed and seed + 1).
   */
  setBitErrorRate(ber: number, seed: number): void {
    if (!(ber >= 0 && ber <= 1)) throw new RangeError(`PtyCable.setBitErrorRate: ber must be in [0, 1], got ${ber}`);
    if (!Number.isInteger(seed)) throw new RangeError(`PtyCable.setBitErrorRate: seed must be an integer, got ${seed}`);
    this.#flipAB = ber > 0 ? new BitFlipper(ber, seed) : null;
    this.#flipBA = ber > 0 ? new BitFlipper(ber, seed + 1) : null;
  }

  #relay(from: Side, to: Side, stats: PtyDirectionStats, flipper: () => BitFlipper | null): void {
    from.reader.on('data', (chunk: Buffer) => {
      stats.bytesIn += chunk.length;
      if (this.#cut) {
        stats.cutDroppedBytes += chunk.length;
        return;
      }
      if (to.queuedBytes + chunk.length > this.relayQueueBytesMax) {
        stats.queueDroppedBytes += chunk.length;
        return;
      }
      const buf = Buffer.from(chunk); // ReadStream may reuse its buffer; we mutate for BER
      const f = flipper();
      if (f) stats.bitsFlipped += f.apply(buf);
      // An idle line starts sending now, with no credit for the time it sat idle.
      if (to.queue.length === 0 && !to.writing) to.lineFreeAtMs = Math.max(to.lineFreeAtMs, performance.now());
      to.queue.push(buf);
      to.queuedBytes += buf.length;
      this.#pump(to, stats);
    });
    // EIO on the master only happens if every slave fd closed; we hold one, so this is a fault.
    from.reader.on('error', () => {
      stats.readErrors++;
    });
  }

  #pump(side: Side, stats: PtyDirectionStats): void {
    if (side.writing || side.closed || side.retryTimer) return;
    const head = side.queue[0];
    if (!head) return;
    let length = head.length;
    const rate = this.#bytesPerMs;
    if (rate !== null) {
      const now = performance.now();
      const waitMs = side.lineFreeAtMs - now;
      if (waitMs > 0) {
        side.retryTimer = setTimeout(() => {
          side.retryTimer = null;
          this.#pump(side, stats);
        }, Math.ceil(waitMs));
        return;
      }
      const behindMs = Math.min(PACE_CATCHUP_MS_MAX, now - side.lineFreeAtMs);
      length = Math.max(1, Math.min(head.length, Math.floor(rate * (behindMs + PACE_SLICE_MS))));
      side.lineFreeAtMs = now - behindMs + length / rate;
    }
    // The master is non-blocking: one write(2) on this thread, no thread-pool hop per chunk
    // (fs.write's callback form costs two context switches for a ~100-byte frame).
    let written: number;
    try {
      written = fs.writeSync(side.master, head, 0, length);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        side.retryTimer = setTimeout(() => {
          side.retryTimer = null;
          this.#pump(side, stats);
        }, EAGAIN_RETRY_MS);
        return;
      }
      stats.writeErrors++;
      side.queue.shift(); // drop the chunk: an fd error other than EAGAIN will not heal by retrying
      side.queuedBytes -= head.length;
      this.#pump(side, stats);
      return;
    }
    stats.bytesOut += written;
    side.queuedBytes -= written;
    if (written < head.length) side.queue[0] = head.subarray(written);
    else side.queue.shift();
    // Paced: the rest goes when the line is free again (#pump sets a timer); unpaced: at once.
    if (side.queue.length > 0) this.#pump(side, stats);
  }

  static #destroySide(s: Side): void {
    s.closed = true;
    if (s.retryTimer) clearTimeout(s.retryTimer);
    s.queue.length = 0;
    s.reader.destroy(); // closes the master fd: boards' reads then fail (port loss)
    try {
      fs.closeSync(s.slave);
    } catch {
      // already closed
    }
  }

  /** Stops relaying and closes both ptys; boards holding the slaves see the port go away. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const done = (s: Side): Promise<void> =>
      new Promise((resolve) => (s.reader.closed ? resolve() : s.reader.once('close', () => resolve())));
    const closing = [done(this.#a), done(this.#b)];
    PtyCable.#destroySide(this.#a);
    PtyCable.#destroySide(this.#b);
    await Promise.all(closing);
  }
}
