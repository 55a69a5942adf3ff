/**
 * A hardware watchdog that resets the board unless fed in time: Linux `/dev/watchdog`, systemd's
 * `WATCHDOG=1` keep-alive, an external WDT chip kicked on a GPIO line, or the simulator's.
 *
 * Contract:
 * - `start()` arms it (for `/dev/watchdog`, opening the device arms it). Starting twice throws.
 * - `feed()` restarts the countdown. It must only be called by the supervision gate
 *   (src/watchdog), never by a timer on its own: feeding unconditionally defeats the watchdog.
 *   Feeding before `start()` or after `disarm()` throws (programmer error).
 * - `disarm()` stops it cleanly (writes the magic `V` then closes, for `/dev/watchdog`), for an
 *   orderly shutdown only. If the device is `nowayout`, disarm resolves with `false` and the
 *   board will still reset when feeding stops.
 * - `timeoutMs` is the reset deadline in force; `timeoutMaxMs` the device's maximum
 *   (Raspberry Pi bcm2835_wdt ≈ 15 s).
 * - Operating errors (device busy, missing) reject `start()` with a `WatchdogError` whose
 *   message names the cause and the fix.
 */
export interface HwWatchdog {
  readonly name: string;
  readonly timeoutMs: number;
  readonly timeoutMaxMs: number;
  start(): Promise<void>;
  feed(): void;
  disarm(): Promise<boolean>;
}

export class WatchdogError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WatchdogError';
  }
}
