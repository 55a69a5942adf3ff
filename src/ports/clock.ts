/**
 * Monotonic time, the only way ring-2 and ring-3 code learns the time.
 *
 * Contract:
 * - `nowMs()` never goes backwards and is unaffected by wall-clock steps (NTP, RTC set).
 *   Values are milliseconds from an arbitrary origin, fractional allowed.
 * - The pure core never holds a Clock: the shell reads `nowMs()` once per tick and passes the
 *   value in as an argument, so the core can be stepped under a virtual clock.
 */
export interface Clock {
  nowMs(): number;
}

/** Real monotonic clock (performance.now, CLOCK_MONOTONIC on Linux). */
export const monotonicClock: Clock = {
  nowMs: () => performance.now(),
};

/**
 * A clock moved only by the caller: for tests and the deterministic simulator.
 * `advance(ms)` with a negative value is a programmer error and throws.
 */
export class VirtualClock implements Clock {
  #nowMs: number;
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }
  nowMs(): number {
    return this.#nowMs;
  }
  advance(deltaMs: number): void {
    if (!(deltaMs >= 0)) throw new RangeError(`VirtualClock.advance: deltaMs must be >= 0, got ${deltaMs}`);
    this.#nowMs += deltaMs;
  }
  set(nowMs: number): void {
    if (!(nowMs >= this.#nowMs)) throw new RangeError(`VirtualClock.set: time may not go backwards (${nowMs} < ${this.#nowMs})`);
    this.#nowMs = nowMs;
  }
}
