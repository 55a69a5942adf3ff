/**
 * Simulated serial cables and a simulated UDP network, behind the same SerialLink and
 * DatagramLink ports as the real adapters, so the board's real SerialTransport (COBS, deframer)
 * and UdpTransport run on top of them unchanged. Bytes move in virtual time (src/sim/world.ts):
 *
 * - A serial cable has two directions. Each has a line rate (10 bits per byte, 8N1): a write
 *   occupies the line for its bytes' time, and bytes reach the far end in order after the line
 *   time plus a latency draw (the pty figures of src/sim/latency-data.ts). Faults per direction:
 *   cut (bytes vanish), bit errors (each bit flipped with a probability), lost chunks, duplicated
 *   chunks, reordered chunks, extra delay.
 * - The UDP network delivers each datagram after a latency draw; faults per directed pair of
 *   addresses: cut, loss, duplication, reordering, extra delay.
 *
 * Delivery goes through the receiving board's SimProcess: a held (frozen, late) proc reads
 * its bytes when it runs again, a dead one never.
 *
 * Limits: a direction's queued bytes (written, not yet on the wire) are bounded by the link's
 * txQueueBytesMax, as on a real UART; over it a write is dropped and counted (SerialLink contract).
 */
import type { DatagramLink, SerialLink, SerialStats } from '../ports/serial.ts';
import { sampleLatency, type LatencyDistribution } from './latency.ts';
import type { Prng } from './prng.ts';
import type { SimProcess, World } from './world.ts';

/** What a fault does to one direction of a link (all off by default). */
export interface LinkCondition {
  cut: boolean;
  /** Probability that a chunk (serial write) or datagram is lost. */
  lossP: number;
  dupP: number;
  /** Extra random delay (uniform 0..reorderMs) that lets later chunks overtake this one. */
  reorderMs: number;
  /** Extra delay added to everything (ms). */
  delayMs: number;
  /** Serial only: probability that each bit is flipped. */
  bitErrorRate: number;
}

export const cleanCondition = (): LinkCondition => ({ cut: false, lossP: 0, dupP: 0, reorderMs: 0, delayMs: 0, bitErrorRate: 0 });

const newStats = (): SerialStats => ({ rxBytes: 0, txBytes: 0, txDropped: 0, errors: 0 });

export interface LinkCounters {
  chunksSent: number;
  chunksLost: number;
  chunksDuplicated: number;
  bitsFlipped: number;
  cutDroppedBytes: number;
}

const newCounters = (): LinkCounters => ({ chunksSent: 0, chunksLost: 0, chunksDuplicated: 0, bitsFlipped: 0, cutDroppedBytes: 0 });

class SerialEnd implements SerialLink {
  readonly stats = newStats();
  readonly txQueueBytesMax: number;
  #open = true;
  readonly data: Array<(chunk: Uint8Array) => void> = [];
  readonly #close: Array<(reason: Error | null) => void> = [];
  /** True time at which this direction's line is free again. */
  lineFreeAtMs = 0;
  /** Deliveries stay in order unless a reorder fault says otherwise. */
  lastArrivalMs = 0;
  far!: SerialEnd;
  proc!: SimProcess;
  readonly condition = cleanCondition();

  constructor(readonly cable: SimSerialCable, readonly path: string, txQueueBytesMax: number) {
    this.txQueueBytesMax = txQueueBytesMax;
  }
  get isOpen(): boolean {
    return this.#open;
  }
  write(data: Uint8Array): boolean {
    if (!this.#open || !this.proc.noteSend()) {
      this.stats.txDropped++;
      return false;
    }
    return this.cable.send(this, data);
  }
  onData(listener: (chunk: Uint8Array) => void): void {
    this.data.push(listener);
  }
  onClose(listener: (reason: Error | null) => void): void {
    this.#close.push(listener);
  }
  async close(): Promise<void> {
    this.#open = false;
  }
  /** A new proc opens this end (the board restarted): listeners of the old one are gone. */
  reopen(proc: SimProcess): void {
    this.#open = true;
    this.data.length = 0;
    this.#close.length = 0;
    this.proc = proc;
  }
}

/** A null-modem cable between two boards: ends `a` and `b`, one direction each way. */
export class SimSerialCable {
  readonly a: SerialEnd;
  readonly b: SerialEnd;
  readonly counters = newCounters();

  constructor(
    readonly world: World,
    readonly rng: Prng,
    readonly o: { name: string; baudRate: number; latency: LatencyDistribution; txQueueBytesMax?: number },
  ) {
    if (!(o.baudRate >= 1200 && o.baudRate <= 12_000_000)) throw new RangeError(`serial cable ${o.name}: baudRate ${o.baudRate} out of range`);
    const q = o.txQueueBytesMax ?? 64 * 1024;
    this.a = new SerialEnd(this, `${o.name}:a`, q);
    this.b = new SerialEnd(this, `${o.name}:b`, q);
    this.a.far = this.b;
    this.b.far = this.a;
  }

  /** Both ends, for the board processes that open them. */
  attach(aProc: SimProcess, bProc: SimProcess): void {
    this.a.proc = aProc;
    this.b.proc = bProc;
  }

  send(from: SerialEnd, data: Uint8Array): boolean {
    const now = this.world.nowMs;
    const c = from.condition;
    const bytesMs = (data.length * 10 * 1000) / this.o.baudRate;
    const queuedBytes = Math.max(0, from.lineFreeAtMs - now) * this.o.baudRate / 10000;
    if (queuedBytes + data.length > from.txQueueBytesMax) {
      from.stats.txDropped++;
      return false;
    }
    from.lineFreeAtMs = Math.max(now, from.lineFreeAtMs) + bytesMs;
    from.stats.txBytes += data.length;
    this.counters.chunksSent++;
    if (c.cut) {
      this.counters.cutDroppedBytes += data.length;
      return true; // the wire eats it: the sender cannot tell
    }
    if (c.lossP > 0 && this.rng.chance(c.lossP)) {
      this.counters.chunksLost++;
      return true;
    }
    const copies = c.dupP > 0 && this.rng.chance(c.dupP) ? 2 : 1;
    if (copies === 2) this.counters.chunksDuplicated++;
    for (let i = 0; i < copies; i++) {
      let bytes = data;
      if (c.bitErrorRate > 0) bytes = this.#flip(data, c.bitErrorRate);
      let at = from.lineFreeAtMs + sampleLatency(this.o.latency, this.rng) + c.delayMs;
      if (c.reorderMs > 0) at += this.rng.next() * c.reorderMs;
      else at = Math.max(at, from.lastArrivalMs);
      from.lastArrivalMs = Math.max(from.lastArrivalMs, at);
      const to = from.far;
      const copy = new Uint8Array(bytes);
      const gen = to.proc.generation;
      this.world.at(at, () => {
        if (to.proc.generation !== gen || !to.isOpen) return;
        to.proc.deliver(() => {
          if (to.proc.generation !== gen) return;
          to.stats.rxBytes += copy.length;
          for (const l of to.data) l(copy);
        });
      });
    }
    return true;
  }

  #flip(data: Uint8Array, ber: number): Uint8Array {
    let out: Uint8Array | null = null;
    const bits = data.length * 8;
    // Geometric gaps between flipped bits: cost per flip, not per bit.
    let pos = ber >= 1 ? 0 : Math.floor(Math.log(1 - this.rng.next()) / Math.log(1 - ber));
    while (pos < bits) {
      out ??= new Uint8Array(data);
      out[pos >> 3] = out[pos >> 3]! ^ (1 << (pos & 7));
      this.counters.bitsFlipped++;
      pos += 1 + (ber >= 1 ? 0 : Math.floor(Math.log(1 - this.rng.next()) / Math.log(1 - ber)));
    }
    return out ?? data;
  }
}

/** A UDP network of named addresses ("host:port"), one socket per board. */
export class SimUdpNetwork {
  readonly #sockets = new Map<string, SimDatagramLink>();
  readonly #conditions = new Map<string, LinkCondition>();
  readonly #lastArrival = new Map<string, number>();
  readonly counters = { datagrams: 0, lost: 0, duplicated: 0, cutDropped: 0, noListener: 0 };

  constructor(readonly world: World, readonly rng: Prng, readonly latency: LatencyDistribution) {}

  /** The socket bound at `address` for a board's proc (re-binding after a restart replaces it). */
  bind(address: string, proc: SimProcess, datagramBytesMax = 1472): SimDatagramLink {
    const link = new SimDatagramLink(this, address, proc, datagramBytesMax);
    this.#sockets.set(address, link);
    return link;
  }

  /** The condition of datagrams from `from` to `to` (created clean on first use). */
  condition(from: string, to: string): LinkCondition {
    const k = `${from}>${to}`;
    let c = this.#conditions.get(k);
    if (!c) this.#conditions.set(k, (c = cleanCondition()));
    return c;
  }

  send(from: SimDatagramLink, data: Uint8Array, to: string): void {
    this.counters.datagrams++;
    const c = this.#conditions.get(`${from.localAddress}>${to}`);
    if (c?.cut) {
      this.counters.cutDropped++;
      return;
    }
    if (c && c.lossP > 0 && this.rng.chance(c.lossP)) {
      this.counters.lost++;
      return;
    }
    const copies = c && c.dupP > 0 && this.rng.chance(c.dupP) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    const k = `${from.localAddress}>${to}`;
    for (let i = 0; i < copies; i++) {
      let at = this.world.nowMs + sampleLatency(this.latency, this.rng) + (c?.delayMs ?? 0);
      if (c && c.reorderMs > 0) at += this.rng.next() * c.reorderMs;
      else at = Math.max(at, this.#lastArrival.get(k) ?? 0);
      this.#lastArrival.set(k, Math.max(this.#lastArrival.get(k) ?? 0, at));
      const copy = new Uint8Array(data);
      const src = from.localAddress;
      this.world.at(at, () => {
        const sock = this.#sockets.get(to);
        if (!sock || sock.closed) {
          this.counters.noListener++;
          return;
        }
        const gen = sock.proc.generation;
        sock.proc.deliver(() => {
          if (sock.proc.generation !== gen || sock.closed) return;
          sock.stats.rxBytes += copy.length;
          for (const l of sock.listeners) l(copy, src);
        });
      });
    }
  }
}

export class SimDatagramLink implements DatagramLink {
  readonly stats = newStats();
  readonly listeners: Array<(data: Uint8Array, from: string) => void> = [];
  closed = false;
  constructor(
    readonly net: SimUdpNetwork,
    readonly localAddress: string,
    readonly proc: SimProcess,
    readonly datagramBytesMax: number,
  ) {}
  send(data: Uint8Array, to: string): boolean {
    if (data.length > this.datagramBytesMax) throw new RangeError(`SimDatagramLink.send: ${data.length} bytes > datagramBytesMax ${this.datagramBytesMax}`);
    if (this.closed || !this.proc.noteSend()) {
      this.stats.errors++;
      return false;
    }
    this.stats.txBytes += data.length;
    this.net.send(this, data, to);
    return true;
  }
  onMessage(listener: (data: Uint8Array, from: string) => void): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
