/**
 * DatagramLink over node:dgram (UDP on the boards' bonded Ethernet; 127.0.0.1 in the simulator).
 *
 * - `send()` never throws for network conditions: errors (sync or in the send callback, e.g.
 *   EACCES to a broadcast address, ENETUNREACH, ENOBUFS) are counted in `stats.errors`.
 * - Payloads over `datagramBytesMax` are a programmer error (RangeError). Received datagrams over
 *   it are dropped and counted as errors (a peer with a different limit is misconfigured).
 * - Addresses are "host:port" ("[v6]:port" for IPv6).
 */
import * as dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { DatagramLink, SerialStats } from '../../ports/serial.ts';

/** 1500-byte Ethernet MTU − 20 (IPv4) − 8 (UDP): no IP fragmentation. */
export const UDP_DATAGRAM_BYTES_MAX_DEFAULT = 1472;

export interface DatagramLinkOptions {
  /** Address to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  host: string;
  /** Port to bind; 0 = any free port (see `localAddress`). */
  port: number;
  datagramBytesMax?: number;
  stats?: SerialStats;
}

/** Parses "host:port" / "[v6]:port"; a malformed address is a programmer/config error. */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || isIP(host) === 0 || !(port >= 1 && port <= 65535)) {
    throw new RangeError(`UDP address ${JSON.stringify(address)} is invalid: use "IPv4:port" or "[IPv6]:port", port 1-65535`);
  }
  return { host, port };
}

const formatAddress = (host: string, port: number): string => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);

class UdpLink implements DatagramLink {
  readonly #listeners: Array<(data: Uint8Array, from: string) => void> = [];
  #closed = false;

  constructor(
    readonly socket: dgram.Socket,
    readonly localAddress: string,
    readonly datagramBytesMax: number,
    readonly stats: SerialStats,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (msg.length > this.datagramBytesMax) {
        this.stats.errors++;
        return;
      }
      this.stats.rxBytes += msg.length;
      const from = formatAddress(rinfo.address, rinfo.port);
      for (const l of this.#listeners) l(msg, from);
    });
    socket.on('error', () => {
      this.stats.errors++;
    });
  }

  send(data: Uint8Array, to: string): boolean {
    if (data.length > this.datagramBytesMax) {
      throw new RangeError(`UDP send: ${data.length} bytes exceed datagramBytesMax ${this.datagramBytesMax}`);
    }
    const { host, port } = parseHostPort(to);
    if (this.#closed) {
      this.stats.txDropped++;
      return false;
    }
    const len = data.length;
    try {
      this.socket.send(data, port, host, (err) => {
        if (err) this.stats.errors++;
        else this.stats.txBytes += len;
      });
    } catch {
      this.stats.errors++;
      return false;
    }
    return true;
  }

  onMessage(listener: (data: Uint8Array, from: string) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** Binds a UDP socket to host:port. Bind failures (EADDRINUSE, EADDRNOTAVAIL) reject with a clear message. */
export async function openDatagramLink(opts: DatagramLinkOptions): Promise<DatagramLink> {
  const max = opts.datagramBytesMax ?? UDP_DATAGRAM_BYTES_MAX_DEFAULT;
  if (!Number.isInteger(max) || max < 1 || max > 65507) throw new RangeError(`datagramBytesMax ${max} is invalid: use 1-65507 (UDP over IPv4 maximum)`);
  const family = isIP(opts.host);
  if (family === 0) throw new RangeError(`UDP bind host ${JSON.stringify(opts.host)} is not an IP address: use 0.0.0.0 or this board's address`);
  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
  const stats = opts.stats ?? { rxBytes: 0, txBytes: 0, txDropped: 0, errors: 0 };
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      stats.errors++;
      socket.close();
      reject(new Error(`UDP bind ${formatAddress(opts.host, opts.port)} failed: ${err.message}: another ftc (or program) uses the port, or the address is not on this host; fix links.udp in the board config`, { cause: err }));
    };
    socket.once('error', onError);
    socket.bind(opts.port, opts.host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  const a = socket.address();
  return new UdpLink(socket, formatAddress(a.address, a.port), max, stats);
}
