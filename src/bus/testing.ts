/**
 * In-memory SerialLink and DatagramLink that honour the port contracts (src/ports/serial.ts),
 * for tests, benchmarks and the simulator. Nothing moves until the caller pumps: deterministic,
 * no timers, no re-entrancy (a listener that writes back does not run inside the writer's call).
 */
import type { DatagramLink, SerialLink, SerialStats } from '../ports/serial.ts';

function newStats(): SerialStats {
  return { rxBytes: 0, txBytes: 0, txDropped: 0, errors: 0 };
}

export interface MemorySerialOptions {
  /** Port contract: a write that would exceed this many undelivered bytes is dropped. Default 64 KiB. */
  txQueueBytesMax?: number;
  /** Split deliveries into chunks of at most this many bytes (chunk boundaries mean nothing). */
  chunkBytesMax?: number;
}

class MemorySerialEnd implements SerialLink {
  readonly path: string;
  readonly txQueueBytesMax: number;
  readonly stats = newStats();
  #open = true;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #dataListeners: Array<(chunk: Uint8Array) => void> = [];
  #closeListeners: Array<(reason: Error | null) => void> = [];
  peer!: MemorySerialEnd;
  /** Optional fault injection: transforms each chunk on its way to the peer (null = lose it). */
  mutate: ((chunk: Uint8Array) => Uint8Array | null) | null = null;
  /** When true, bytes written are accepted and lost (a cut wire the OS does not notice). */
  silent = false;

  constructor(path: string, txQueueBytesMax: number) {
    this.path = path;
    this.txQueueBytesMax = txQueueBytesMax;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  write(data: Uint8Array): boolean {
    if (!this.#open || this.#queuedBytes + data.length > this.txQueueBytesMax) {
      this.stats.txDropped++;
      return false;
    }
    if (this.silent) {
      this.stats.txBytes += data.length;
      return true;
    }
    this.#queue.push(data.slice());
    this.#queuedBytes += data.length;
    this.stats.txBytes += data.length;
    return true;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#dataListeners.push(listener);
  }

  onClose(listener: (reason: Error | null) => void): void {
    this.#closeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.goAway(null);
  }

  /** The port disappears (USB unplugged): both ends see onClose once; undelivered bytes are lost. */
  goAway(reason: Error | null): void {
    for (const end of [this, this.peer]) {
      if (!end.#open) continue;
      end.#open = false;
      end.#queue = [];
      end.#queuedBytes = 0;
      for (const l of end.#closeListeners) l(reason);
    }
  }

  /** Takes the writes queued so far (they are then in flight). */
  takeQueued(): Uint8Array[] {
    const q = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    return q;
  }

  /** Delivers writes to the peer's listeners in chunks; returns bytes delivered. */
  deliver(writes: Uint8Array[], chunkBytesMax: number): number {
    let moved = 0;
    for (const data of writes) {
      for (let at = 0; at < data.length && this.peer.#open; at += chunkBytesMax) {
        let chunk: Uint8Array | null = data.subarray(at, Math.min(data.length, at + chunkBytesMax));
        if (this.mutate) chunk = this.mutate(chunk);
        if (!chunk) continue;
        this.peer.stats.rxBytes += chunk.length;
        moved += chunk.length;
        for (const l of this.peer.#dataListeners) l(chunk);
      }
    }
    return moved;
  }
}

/** A connected pair of in-memory serial ports (a null-modem cable). */
export class MemorySerialPair {
  readonly a: MemorySerialEnd;
  readonly b: MemorySerialEnd;
  readonly chunkBytesMax: number;

  constructor(pathA: string, pathB: string, options: MemorySerialOptions = {}) {
    const q = options.txQueueBytesMax ?? 65536;
    this.chunkBytesMax = options.chunkBytesMax ?? 4096;
    this.a = new MemorySerialEnd(pathA, q);
    this.b = new MemorySerialEnd(pathB, q);
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  /**
   * Delivers what was queued in both directions before this call; replies written by listeners
   * meanwhile wait for the next pump (so a round trip takes two pumps, as on a real wire).
   */
  pump(): number {
    const fromA = this.a.takeQueued();
    const fromB = this.b.takeQueued();
    return this.a.deliver(fromA, this.chunkBytesMax) + this.b.deliver(fromB, this.chunkBytesMax);
  }
}

export type { MemorySerialEnd };

class MemoryDatagramEnd implements DatagramLink {
  readonly localAddress: string;
  readonly datagramBytesMax: number;
  readonly stats = newStats();
  #closed = false;
  #listeners: Array<(data: Uint8Array, from: string) => void> = [];
  readonly #net: MemoryNetwork;

  constructor(net: MemoryNetwork, localAddress: string, datagramBytesMax: number) {
    this.#net = net;
    this.localAddress = localAddress;
    this.datagramBytesMax = datagramBytesMax;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Uint8Array, to: string): boolean {
    if (data.length > this.datagramBytesMax) {
      throw new RangeError(`DatagramLink.send: ${data.length} bytes > datagramBytesMax ${this.datagramBytesMax}`);
    }
    if (this.#closed) {
      this.stats.errors++;
      return false;
    }
    this.stats.txBytes += data.length;
    this.#net.enqueue(this.localAddress, to, data.slice());
    return true;
  }

  onMessage(listener: (data: Uint8Array, from: string) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  receive(data: Uint8Array, from: string): void {
    if (this.#closed) return;
    this.stats.rxBytes += data.length;
    for (const l of this.#listeners) l(data, from);
  }
}

export type { MemoryDatagramEnd };

/**
 * A loss-free in-memory LAN: datagrams wait in a bounded queue until `pump()`. Datagrams to an
 * unknown address are lost silently (as UDP would). `drop` can filter datagrams (fault injection).
 */
export class MemoryNetwork {
  readonly queueDatagramsMax: number;
  #queue: Array<{ from: string; to: string; data: Uint8Array }> = [];
  readonly #ends = new Map<string, MemoryDatagramEnd>();
  /** Datagrams lost because the queue was full. */
  overflowed = 0;
  /** Return true to lose this datagram. */
  drop: ((from: string, to: string, data: Uint8Array) => boolean) | null = null;

  constructor(queueDatagramsMax = 10_000) {
    this.queueDatagramsMax = queueDatagramsMax;
  }

  link(address: string, datagramBytesMax = 1472): MemoryDatagramEnd {
    if (this.#ends.has(address)) throw new Error(`MemoryNetwork.link: address ${address} already in use`);
    const end = new MemoryDatagramEnd(this, address, datagramBytesMax);
    this.#ends.set(address, end);
    return end;
  }

  enqueue(from: string, to: string, data: Uint8Array): void {
    if (this.#queue.length >= this.queueDatagramsMax) {
      this.overflowed++;
      return;
    }
    this.#queue.push({ from, to, data });
  }

  /** Delivers the datagrams queued so far; returns how many were delivered. */
  pump(): number {
    const q = this.#queue;
    this.#queue = [];
    let n = 0;
    for (const d of q) {
      if (this.drop?.(d.from, d.to, d.data)) continue;
      const end = this.#ends.get(d.to);
      if (!end) continue;
      end.receive(d.data, d.from);
      n++;
    }
    return n;
  }
}
