/**
 * Node-specific supervision inputs (adapters): the event-loop delay and the heap in use. The shell
 * samples them periodically and reports the values to the pure Supervisor as measurements.
 *
 * Why not `perf_hooks.monitorEventLoopDelay`: measured on Node 20.20, its `reset()` also forgets
 * the previous timer timestamp, so the first interval after a reset is not recorded — a 150 ms
 * stall starting right after a sample (exactly when a control cycle runs) never shows up. This
 * monitor does the same thing (an unref'd interval timer recording its own lateness into a
 * perf_hooks histogram) but keeps the timestamp across resets, and `sample()` also counts the
 * lateness of the interval still pending, so a stall that just ended is seen at once.
 */
import { createHistogram } from 'node:perf_hooks';
import type { RecordableHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export const eventLoopDelayMeasurement = 'eventLoopDelayMs';
export const heapUsedMeasurement = 'heapUsedMb';

export interface EventLoopSample {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  /** Number of intervals measured since the previous sample. */
  count: number;
}

const nsPerMs = 1e6;

export class EventLoopMonitor {
  readonly #h: RecordableHistogram = createHistogram();
  #timer: ReturnType<typeof setInterval> | undefined;
  #prevMs = 0;
  /** Lateness of the pending interval already reported by sample(), not to be counted twice. */
  #reportedPendingMs = 0;
  constructor(readonly resolutionMs = 10) {
    if (!(resolutionMs >= 1)) throw new RangeError(`EventLoopMonitor: resolutionMs must be >= 1, got ${resolutionMs}`);
  }
  start(): void {
    if (this.#timer) return;
    this.#prevMs = performance.now();
    this.#timer = setInterval(() => {
      const nowMs = performance.now();
      const lateMs = nowMs - this.#prevMs - this.resolutionMs - this.#reportedPendingMs;
      this.#prevMs = nowMs;
      this.#reportedPendingMs = 0;
      // A histogram records integers >= 1 (ns).
      this.#h.record(Math.max(1, Math.round(lateMs * nsPerMs)));
    }, this.resolutionMs);
    this.#timer.unref(); // supervision must not keep the process alive
  }
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
  /** The delays since the previous sample (including the interval still pending), then resets. */
  sample(): EventLoopSample {
    const h = this.#h;
    const pendingMs = this.#timer ? Math.max(0, performance.now() - this.#prevMs - this.resolutionMs - this.#reportedPendingMs) : 0;
    this.#reportedPendingMs += pendingMs;
    const count = h.count;
    const s: EventLoopSample =
      count === 0
        ? { maxMs: pendingMs, p99Ms: pendingMs, meanMs: pendingMs, count }
        : { maxMs: Math.max(h.max / nsPerMs, pendingMs), p99Ms: Math.max(h.percentile(99) / nsPerMs, pendingMs), meanMs: h.mean / nsPerMs, count };
    h.reset();
    return s;
  }
}

export interface HeapSample {
  usedMb: number;
  limitMb: number;
}

export function heapSample(): HeapSample {
  const s = getHeapStatistics();
  return { usedMb: s.used_heap_size / 2 ** 20, limitMb: s.heap_size_limit / 2 ** 20 };
}
