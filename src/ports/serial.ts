/**
 * A byte stream to one peer: a UART, a USB gadget serial, or (in the simulator) a pseudo-terminal.
 *
 * Contract:
 * - `write()` queues bytes and returns at once; it never blocks the tick loop. If the queued
 *   bytes would exceed `txQueueBytesMax`, the chunk is dropped, counted in `stats.txDropped`,
 *   and `write()` returns false (a stalled peer must not grow our memory).
 * - `onData` listeners get chunks in arrival order; chunk boundaries carry no meaning.
 * - When the port goes away (USB unplugged, pty closed) `onClose` listeners are called once with
 *   the reason; `isOpen` becomes false; `write()` then returns false and counts `txDropped`.
 *   This is an operating error, never a throw from a callback.
 * - `close()` is idempotent.
 */
export interface SerialLink {
  readonly path: string;
  readonly isOpen: boolean;
  readonly txQueueBytesMax: number;
  readonly stats: SerialStats;
  write(data: Uint8Array): boolean;
  onData(listener: (chunk: Uint8Array) => void): void;
  onClose(listener: (reason: Error | null) => void): void;
  close(): Promise<void>;
}

export interface SerialStats {
  rxBytes: number;
  txBytes: number;
  txDropped: number;
  errors: number;
}

/**
 * Datagrams to peers (UDP on the boards' bonded Ethernet; loopback in the simulator).
 *
 * Contract:
 * - `send()` never throws for network conditions (EHOSTUNREACH, ENOBUFS): it counts them in
 *   `stats.errors` and returns false. Payloads over `datagramBytesMax` are a programmer error
 *   and throw RangeError.
 * - `onMessage` listeners receive whole datagrams with the sender's address string "host:port".
 * - `close()` is idempotent.
 */
export interface DatagramLink {
  readonly localAddress: string;
  readonly datagramBytesMax: number;
  readonly stats: SerialStats;
  send(data: Uint8Array, to: string): boolean;
  onMessage(listener: (data: Uint8Array, from: string) => void): void;
  close(): Promise<void>;
}
