/**
 * The machine a simulated board runs on: how late its timers fire, how long its process takes to
 * start, and how slow it is while it warms up. Measured on this kind of machine (2 cores, Node
 * 20.20), 2026-12-02:
 * - timer lateness: 3,000 wakes of the board's own timer scheduler (src/ports/scheduler.ts) at a
 *   20 ms cycle's phase deadlines. Node's timers count whole milliseconds, so a wake is 0-1 ms
 *   late even on an idle machine. Quiet: median 0.68 ms, p99 1.2 ms, p99.9 4.5 ms, max 6.3 ms.
 *   Both cores busy (two `yes > /dev/null`): p99 4.3 ms, p99.9 6.5 ms, max 15 ms.
 * - a board process of `ftc sim` from spawn to its first tick (node, tsx, johnny-five, serialport):
 *   ~1.3-2.5 s; in its first second its wakes ran 5-19 ms late now and then (JIT, lazy module
 *   loading, the garbage of start-up).
 * Rarer, bigger hold-ups (a process woken 10-50 ms late because the kernel ran another of the
 * rig's processes, two of them at once, a GC pause) are faults the seeded plans inject on purpose
 * (src/sim/board-plan.ts), each a fault of its board when it exceeds the protocol's bound.
 */
import { checkDistribution, sampleLatency, type LatencyDistribution } from './latency.ts';
import type { Prng } from './prng.ts';

export interface MachineProfile {
  name: 'quiet' | 'busy';
  /** Lateness of every timer wake. */
  wakeLate: LatencyDistribution;
  /** Process start to its first tick (uniform in the range). */
  startupMs: readonly [number, number];
  /** After the first tick, the process is slow this long... */
  warmupMs: number;
  /** ...during which a wake is late with this probability, by a uniform draw in warmupLateMs. */
  warmupLateP: number;
  warmupLateMs: readonly [number, number];
}

export const QUIET_MACHINE: MachineProfile = {
  name: 'quiet',
  wakeLate: checkDistribution({ name: 'timer lateness (quiet)', quantiles: [{ q: 0, ms: 0 }, { q: 0.1, ms: 0.262 }, { q: 0.5, ms: 0.679 }, { q: 0.9, ms: 1.066 }, { q: 0.99, ms: 1.203 }, { q: 0.999, ms: 4.484 }, { q: 1, ms: 6.258 }] }),
  startupMs: [1300, 2500],
  warmupMs: 1000,
  warmupLateP: 0.15,
  warmupLateMs: [5, 19],
};

export const BUSY_MACHINE: MachineProfile = {
  name: 'busy',
  wakeLate: checkDistribution({ name: 'timer lateness (both cores busy)', quantiles: [{ q: 0, ms: 0 }, { q: 0.1, ms: 0.217 }, { q: 0.5, ms: 0.632 }, { q: 0.9, ms: 1.032 }, { q: 0.99, ms: 4.335 }, { q: 0.999, ms: 6.499 }, { q: 1, ms: 15.221 }] }),
  startupMs: [1300, 2500],
  warmupMs: 1000,
  warmupLateP: 0.3,
  warmupLateMs: [5, 19],
};

/** How late one wake of a process runs, `sinceStartMs` after its first tick. */
export function wakeLateMs(m: MachineProfile, rng: Prng, sinceStartMs: number): number {
  let late = sampleLatency(m.wakeLate, rng);
  if (sinceStartMs < m.warmupMs && rng.chance(m.warmupLateP)) late += rng.range(m.warmupLateMs[0], m.warmupLateMs[1]);
  return late;
}
