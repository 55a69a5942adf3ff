/**
 * Thin shell tying the pure Supervisor and FeedGate to a hardware watchdog and the Node monitors.
 * The caller runs `tick()` from its loop (or the rig's virtual clock); nothing here starts a timer,
 * so a stalled event loop stops the feed by itself.
 */
import type { Clock } from '../ports/clock.ts';
import type { HwWatchdog } from '../ports/watchdog.ts';
import { FeedGate, checkWatchdogConfig } from './core-gate.ts';
import type { FeedGateConfig } from './core-gate.ts';
import type { Supervisor, SupervisorReport } from './core-supervisor.ts';
import { eventLoopDelayMeasurement, heapUsedMeasurement } from './event-loop-monitor.ts';
import type { EventLoopSample, HeapSample } from './event-loop-monitor.ts';

/** Optional driver extras: called when supervision expires (systemd: WATCHDOG=trigger; /dev/watchdog: close without 'V'). */
interface ExpiryAware {
  trigger?(reason: string): unknown;
  abandon?(): void;
}

export interface WatchdogServiceOptions {
  hw: HwWatchdog & ExpiryAware;
  supervisor: Supervisor;
  gate: FeedGateConfig;
  clock: Clock;
  /** Config path of the gate's section, for messages. Default `watchdog`. */
  field?: string;
  /** Event-loop delay source (EventLoopMonitor.sample), reported as `eventLoopDelayMs` (its max). */
  eventLoop?: () => EventLoopSample;
  /** Heap source (heapSample), reported as `heapUsedMb`. */
  heap?: () => HeapSample;
  /** How often the monitors are sampled. Default 500 ms. */
  measurePeriodMs?: number;
  /** Called once when the gate stops for good (the board will be reset). */
  onStopped?: (reason: string, report: SupervisorReport) => void;
}

export class WatchdogService {
  readonly gate: FeedGate;
  #nextMeasureMs: number;
  #stoppedNotified = false;
  #closed = false;

  private constructor(readonly opts: WatchdogServiceOptions, gate: FeedGate) {
    this.gate = gate;
    this.#nextMeasureMs = gate.lastFeedMs + (opts.measurePeriodMs ?? 500);
  }

  /** Checks the configuration against the hardware (WatchdogConfigError), then arms it. */
  static async start(opts: WatchdogServiceOptions): Promise<WatchdogService> {
    const hwLimits = { name: opts.hw.name, timeoutMaxMs: opts.hw.timeoutMaxMs };
    let cfg = checkWatchdogConfig(opts.gate, hwLimits, opts.field);
    if (opts.hw.timeoutMs < cfg.timeoutMs) {
      // The device resets sooner than configured: the feed period must meet the device's figure.
      cfg = checkWatchdogConfig({ ...cfg, timeoutMs: opts.hw.timeoutMs }, hwLimits, opts.field);
    }
    await opts.hw.start();
    return new WatchdogService(opts, new FeedGate(cfg, opts.clock.nowMs()));
  }

  #afterDecision(fed: boolean): boolean {
    if (fed) this.opts.hw.feed();
    if (this.gate.state === 'stopped' && !this.#stoppedNotified) {
      this.#stoppedNotified = true;
      const reason = this.gate.stopReason ?? 'stopped';
      this.opts.hw.trigger?.(reason);
      this.opts.onStopped?.(reason, this.opts.supervisor.report());
    }
    return fed;
  }

  /** One tick: sample the monitors when due, step the supervisor, feed if the gate allows. */
  tick(nowMs: number = this.opts.clock.nowMs()): boolean {
    if (this.#closed) return false;
    const sup = this.opts.supervisor;
    if (nowMs >= this.#nextMeasureMs) {
      this.#nextMeasureMs = nowMs + (this.opts.measurePeriodMs ?? 500);
      if (this.opts.eventLoop) sup.measure(eventLoopDelayMeasurement, this.opts.eventLoop().maxMs, nowMs);
      if (this.opts.heap) sup.measure(heapUsedMeasurement, this.opts.heap().usedMb, nowMs);
    }
    const status = sup.step(nowMs);
    return this.#afterDecision(this.gate.step(nowMs, status));
  }

  /** An explicit kick (end of a control cycle); judged against the window in window mode. */
  kick(nowMs: number = this.opts.clock.nowMs()): boolean {
    if (this.#closed) return false;
    return this.#afterDecision(this.gate.kick(nowMs, this.opts.supervisor.step(nowMs)));
  }

  /**
   * Orderly shutdown. If supervision stopped the feed, the hardware is NOT disarmed (no magic 'V'):
   * the reset must happen. Resolves true when the watchdog is disarmed.
   */
  async close(): Promise<boolean> {
    if (this.#closed) return false;
    this.#closed = true;
    if (this.gate.state === 'stopped') {
      this.opts.hw.abandon?.();
      return false;
    }
    return this.opts.hw.disarm();
  }
}
