/**
 * The simulator's watchdog: an HwWatchdog driven by a Clock that really resets. The rig's tick
 * calls `poll()`; when the countdown runs out (or, in window mode, on a kick before the window
 * opens) it calls the injected `onReset(reason)` once. In the rig, `onReset` is
 * `(r) => watchdogReset(formatResetReason(r))` from src/rig/child.ts: the board's process says
 * why and exits 86; the rig's supervisor restarts it with the reason in FTC_RESET_REASON, the
 * simulator's bootstatus.
 */
import type { Clock } from '../ports/clock.ts';
import type { HwWatchdog } from '../ports/watchdog.ts';

export interface ResetReason {
  cause: 'timeout' | 'early-kick';
  /** When the reset happened (the board's clock, ms). */
  atMs: number;
  lastFeedMs: number;
  detail: string;
}

export interface SimWatchdogOptions {
  clock: Clock;
  timeoutMs: number;
  /** Default: timeoutMs. */
  timeoutMaxMs?: number;
  /** Window mode: a feed sooner than this after the previous one resets at once. */
  windowMinMs?: number;
  name?: string;
  onReset: (reason: ResetReason) => void;
}

export class SimWatchdog implements HwWatchdog {
  readonly name: string;
  readonly timeoutMs: number;
  readonly timeoutMaxMs: number;
  #armed = false;
  #started = false;
  #lastFeedMs = 0;
  #fired: ResetReason | undefined;
  #feeds = 0;
  constructor(readonly opts: SimWatchdogOptions) {
    this.name = opts.name ?? 'simulated watchdog';
    this.timeoutMs = opts.timeoutMs;
    this.timeoutMaxMs = opts.timeoutMaxMs ?? opts.timeoutMs;
  }
  /** The reset that happened, if any. */
  get fired(): ResetReason | undefined {
    return this.#fired;
  }
  get feeds(): number {
    return this.#feeds;
  }
  async start(): Promise<void> {
    if (this.#started) throw new Error(`${this.name}: start() called twice`);
    this.#started = true;
    this.#armed = true;
    this.#lastFeedMs = this.opts.clock.nowMs();
  }
  #reset(reason: ResetReason): void {
    if (this.#fired) return;
    this.#fired = reason;
    this.#armed = false;
    this.opts.onReset(reason);
  }
  feed(): void {
    if (!this.#started) throw new Error(`${this.name}: feed() before start()`);
    if (!this.#armed) {
      if (this.#fired) return; // the board is being reset; late feeds change nothing
      throw new Error(`${this.name}: feed() after disarm()`);
    }
    const nowMs = this.opts.clock.nowMs();
    if (this.poll(nowMs)) return;
    const sinceMs = nowMs - this.#lastFeedMs;
    const windowMinMs = this.opts.windowMinMs ?? 0;
    if (windowMinMs > 0 && sinceMs < windowMinMs) {
      this.#reset({ cause: 'early-kick', atMs: nowMs, lastFeedMs: this.#lastFeedMs, detail: `kicked ${Math.round(sinceMs)} ms after the previous feed, window opens at ${windowMinMs} ms` });
      return;
    }
    this.#lastFeedMs = nowMs;
    this.#feeds++;
  }
  /** Checks the countdown; returns true if the board is (now or already) reset. */
  poll(nowMs: number = this.opts.clock.nowMs()): boolean {
    if (this.#armed && nowMs - this.#lastFeedMs > this.timeoutMs) {
      this.#reset({ cause: 'timeout', atMs: nowMs, lastFeedMs: this.#lastFeedMs, detail: `not fed for ${Math.round(nowMs - this.#lastFeedMs)} ms (timeout ${this.timeoutMs} ms)` });
    }
    return this.#fired !== undefined;
  }
  async disarm(): Promise<boolean> {
    if (this.#fired) return false;
    this.#armed = false;
    return true;
  }
}

export function formatResetReason(r: ResetReason): string {
  return `watchdog reset (${r.cause}): ${r.detail}`;
}
