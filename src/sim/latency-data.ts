/**
 * Latency figures measured on this kind of machine (2 × AMD EPYC cores, Node 20.20, Debian 12),
 * 2026-12-02, with `npm run bench -- latency` (bench/latency.bench.ts): 5,000 frames of 100 bytes,
 * one every 2 ms, from one process to an echo process and back; one-way = round trip / 2.
 * - pty: through a PtyCable (two real ptys, relayed by a third party as `ftc sim` does), both
 *   ends through serialport's native binding. A pty ignores the baud rate: no line-rate time.
 * - udp: node:dgram over loopback.
 * "quiet": nothing else running. "busy": two `yes > /dev/null` hogging both cores. The busy tails
 * (pty max 25 ms, UDP max 57 ms) are the OS not running the receiving process, which the
 * simulator models as the process's own lateness (src/sim/machine.ts), so links use the quiet
 * figures and the machine model adds the rest.
 */
import { checkDistribution, type LatencyDistribution } from './latency.ts';

export const PTY_QUIET: LatencyDistribution = checkDistribution({
  name: 'pty (quiet)',
  quantiles: [{ q: 0, ms: 0.087 }, { q: 0.5, ms: 0.211 }, { q: 0.9, ms: 0.349 }, { q: 0.99, ms: 1.214 }, { q: 0.999, ms: 3.097 }, { q: 1, ms: 6.788 }],
});

export const UDP_QUIET: LatencyDistribution = checkDistribution({
  name: 'udp loopback (quiet)',
  quantiles: [{ q: 0, ms: 0.031 }, { q: 0.5, ms: 0.107 }, { q: 0.9, ms: 0.172 }, { q: 0.99, ms: 0.377 }, { q: 0.999, ms: 1.262 }, { q: 1, ms: 3.777 }],
});

export const PTY_BUSY: LatencyDistribution = checkDistribution({
  name: 'pty (both cores busy)',
  quantiles: [{ q: 0, ms: 0.05 }, { q: 0.5, ms: 0.147 }, { q: 0.9, ms: 0.603 }, { q: 0.99, ms: 2.878 }, { q: 0.999, ms: 6.851 }, { q: 1, ms: 24.858 }],
});

export const UDP_BUSY: LatencyDistribution = checkDistribution({
  name: 'udp loopback (both cores busy)',
  quantiles: [{ q: 0, ms: 0.011 }, { q: 0.5, ms: 0.055 }, { q: 0.9, ms: 0.122 }, { q: 0.99, ms: 1.616 }, { q: 0.999, ms: 2.777 }, { q: 1, ms: 56.684 }],
});
