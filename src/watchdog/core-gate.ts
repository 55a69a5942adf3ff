/**
 * The feed gate: the only thing allowed to decide that the hardware watchdog is fed.
 *
 * - Fed only while the supervisor's global status is OK; FAILED holds the feed (the hardware
 *   timeout then bounds how long a board may stay FAILED); EXPIRED stops it for good: the gate
 *   latches and never feeds again until the process is reset.
 * - Window mode: an external window watchdog (e.g. TI TPS3430, datasheet SBVS300 §7.3.2) resets the
 *   board on a kick that comes before its window opens. The gate never schedules an early feed; an
 *   explicit `kick()` that comes too early (a control loop running too fast, a time base gone
 *   wrong) is refused, counted, and beyond `earlyKicksTolerance` stops the feed for good.
 *
 * Pure: the caller passes the time and performs the feed when `step()`/`kick()` return true.
 */
import { WatchdogConfigError, requireIntIn, requireNumberIn } from './core-config-error.ts';
import type { SupervisionStatus } from './core-supervisor.ts';

export interface FeedGateConfig {
  /** Reset deadline in force on the device, ms. */
  timeoutMs: number;
  /** Time between scheduled feeds, ms. */
  feedPeriodMs: number;
  /** Window mode: a feed sooner than this after the previous one is a fault. 0 or absent = no window. */
  windowMinMs?: number;
  /** Early kicks refused (counted) before the gate stops for good. Default 0. */
  earlyKicksTolerance?: number;
  /**
   * Worst lateness of the tick loop that runs the gate. Measured (docs/timing.md): a 1 ms setTimeout loop
   * at 0.9 ms p99 idle and 3–8 ms with both cores busy; the default leaves room for GC pauses.
   */
  jitterMarginMs?: number;
}

/** What the hardware can do, from the driver (`HwWatchdog.timeoutMaxMs`, its name). */
export interface WatchdogHardwareLimits {
  name: string;
  timeoutMaxMs: number;
  /** Smallest timeout the device accepts (Linux watchdogs count in whole seconds: 1000). */
  timeoutMinMs?: number;
}

export const jitterMarginDefaultMs = 50;

/**
 * Checks the feed configuration against the hardware. Throws WatchdogConfigError naming the
 * field, the value and the fix; returns the configuration with defaults filled in.
 * `field` prefixes the field names in messages (the config file's path to this section).
 */
export function checkWatchdogConfig(
  cfg: FeedGateConfig,
  hw: WatchdogHardwareLimits,
  field = 'watchdog',
): Required<FeedGateConfig> {
  const jitterMarginMs = requireNumberIn(`${field}.jitterMarginMs`, cfg.jitterMarginMs ?? jitterMarginDefaultMs, 0, 60_000, 'use the tick loop\'s worst lateness in ms');
  const timeoutMs = requireNumberIn(`${field}.timeoutMs`, cfg.timeoutMs, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 'give the reset deadline in ms');
  if (timeoutMs > hw.timeoutMaxMs) {
    throw new WatchdogConfigError(
      `${field}.timeoutMs`,
      timeoutMs,
      `exceeds the maximum of ${hw.timeoutMaxMs} ms of "${hw.name}" (a Raspberry Pi's bcm2835_wdt takes larger values modulo 16 s, so the board would reset much sooner than configured)`,
      `set ${field}.timeoutMs to at most ${hw.timeoutMaxMs}`,
    );
  }
  if (hw.timeoutMinMs !== undefined && timeoutMs < hw.timeoutMinMs) {
    throw new WatchdogConfigError(
      `${field}.timeoutMs`,
      timeoutMs,
      `is below the minimum of ${hw.timeoutMinMs} ms of "${hw.name}"`,
      `set ${field}.timeoutMs to at least ${hw.timeoutMinMs}`,
    );
  }
  const feedPeriodMs = requireNumberIn(`${field}.feedPeriodMs`, cfg.feedPeriodMs, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 'give the time between feeds in ms');
  const suggestedMs = Math.floor(timeoutMs / 2);
  if (feedPeriodMs + jitterMarginMs >= timeoutMs) {
    throw new WatchdogConfigError(
      `${field}.feedPeriodMs`,
      feedPeriodMs,
      `cannot meet the ${timeoutMs} ms timeout: a feed every ${feedPeriodMs} ms plus ${jitterMarginMs} ms of scheduling jitter reaches the reset deadline`,
      `set ${field}.feedPeriodMs to at most ${suggestedMs} (half the timeout), or raise ${field}.timeoutMs`,
    );
  }
  const windowMinMs = requireNumberIn(`${field}.windowMinMs`, cfg.windowMinMs ?? 0, 0, Number.MAX_SAFE_INTEGER, 'give the window\'s opening in ms after a feed, or 0 for no window');
  if (windowMinMs > 0 && windowMinMs >= feedPeriodMs) {
    throw new WatchdogConfigError(
      `${field}.windowMinMs`,
      windowMinMs,
      `is not below ${field}.feedPeriodMs (${feedPeriodMs}): every scheduled feed would land before the window opens and reset the board`,
      `set ${field}.windowMinMs below ${feedPeriodMs}, or raise ${field}.feedPeriodMs (the window chip's datasheet gives its window)`,
    );
  }
  const earlyKicksTolerance = requireIntIn(`${field}.earlyKicksTolerance`, cfg.earlyKicksTolerance ?? 0, 0, 1000, 'use a small non-negative integer (0 = stop on the first early kick)');
  return { timeoutMs, feedPeriodMs, windowMinMs, earlyKicksTolerance, jitterMarginMs };
}

export type GateState = 'feeding' | 'held' | 'stopped';

export class FeedGate {
  readonly config: Required<FeedGateConfig>;
  #lastFeedMs: number;
  #state: GateState = 'feeding';
  #stopReason: string | undefined;
  #feeds = 0;
  #earlyKicks = 0;

  /**
   * `startMs`: when the device was armed (opening /dev/watchdog starts its countdown), counted as
   * a feed. The configuration must already have passed `checkWatchdogConfig`.
   */
  constructor(config: Required<FeedGateConfig>, startMs: number) {
    this.config = config;
    this.#lastFeedMs = startMs;
  }

  get state(): GateState {
    return this.#state;
  }
  /** Why the gate stopped for good (undefined while it has not). */
  get stopReason(): string | undefined {
    return this.#stopReason;
  }
  get feeds(): number {
    return this.#feeds;
  }
  get earlyKicks(): number {
    return this.#earlyKicks;
  }
  get lastFeedMs(): number {
    return this.#lastFeedMs;
  }
  /** When the hardware resets unless fed again. */
  get resetDeadlineMs(): number {
    return this.#lastFeedMs + this.config.timeoutMs;
  }

  /** Stops the feed for good (latched). */
  stop(reason: string): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#stopReason = reason;
  }

  /** Returns false (and updates the state) unless the status allows a feed. */
  #allowed(status: SupervisionStatus): boolean {
    if (this.#state === 'stopped') return false;
    if (status === 'EXPIRED') {
      this.stop('supervision EXPIRED');
      return false;
    }
    this.#state = status === 'OK' ? 'feeding' : 'held';
    return this.#state === 'feeding';
  }

  #fed(nowMs: number): true {
    this.#lastFeedMs = nowMs;
    this.#feeds++;
    return true;
  }

  /** Scheduled feeding, called every tick: true means "feed the hardware now". */
  step(nowMs: number, status: SupervisionStatus): boolean {
    if (!this.#allowed(status)) return false;
    if (nowMs - this.#lastFeedMs < this.config.feedPeriodMs) return false;
    return this.#fed(nowMs);
  }

  /**
   * An explicit kick request (e.g. at the end of each control cycle). In window mode a kick before
   * the window opens is a fault: it is refused, counted, and beyond the tolerance stops the gate.
   */
  kick(nowMs: number, status: SupervisionStatus): boolean {
    if (!this.#allowed(status)) return false;
    const sinceMs = nowMs - this.#lastFeedMs;
    if (this.config.windowMinMs > 0 && sinceMs < this.config.windowMinMs) {
      this.#earlyKicks++;
      if (this.#earlyKicks > this.config.earlyKicksTolerance) {
        this.stop(`early kick: ${sinceMs} ms after the previous feed, before the window opens at ${this.config.windowMinMs} ms`);
      }
      return false;
    }
    return this.#fed(nowMs);
  }
}
