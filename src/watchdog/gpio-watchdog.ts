/**
 * An external watchdog chip kicked on a GPIO line, e.g. TI TPS3823 (SLVS165: a rising or falling
 * edge on WDI restarts the timer; timeout 0.8 s min / 1.6 s typ / 2.4 s max, so configure the
 * datasheet minimum) or a window watchdog such as TI TPS3430 (SBVS300: a kick before the window
 * opens resets too; the FeedGate's window mode keeps kicks inside it).
 *
 * The chip's timeout is fixed by hardware (or strap resistors): `timeoutMs` is both the timeout
 * and its maximum. Without an enable line the chip cannot be stopped: `disarm()` resolves false.
 */
import type { Bit, GpioLine } from '../ports/gpio.ts';
import type { HwWatchdog } from '../ports/watchdog.ts';

export interface GpioWatchdogOptions {
  name?: string;
  /** Output line wired to the chip's WDI input. */
  kick: GpioLine;
  /** Optional output line that enables the chip's watchdog (1 = enabled), e.g. TPS3823's WDI float/disable circuit. */
  enable?: GpioLine;
  /** The datasheet's minimum timeout, ms. */
  timeoutMs: number;
}

export class GpioWatchdog implements HwWatchdog {
  readonly name: string;
  readonly timeoutMs: number;
  readonly timeoutMaxMs: number;
  #level: Bit = 0;
  #started = false;
  #stopped = false;
  #writeErrors = 0;
  constructor(readonly opts: GpioWatchdogOptions) {
    this.name = opts.name ?? `GPIO watchdog on pin ${opts.kick.pin}`;
    this.timeoutMs = opts.timeoutMs;
    this.timeoutMaxMs = opts.timeoutMs;
  }
  get writeErrors(): number {
    return this.#writeErrors;
  }
  async start(): Promise<void> {
    if (this.#started) throw new Error(`${this.name}: start() called twice`);
    this.#started = true;
    this.#level = this.opts.kick.read();
    this.opts.enable?.write(1);
  }
  /** Toggles WDI: one edge per feed. A failed write is counted; the next feed retries. */
  feed(): void {
    if (!this.#started || this.#stopped) throw new Error(`${this.name}: feed() ${this.#stopped ? 'after disarm()' : 'before start()'}`);
    const next: Bit = this.#level === 1 ? 0 : 1;
    try {
      this.opts.kick.write(next);
      this.#level = next;
    } catch {
      this.#writeErrors++;
    }
  }
  async disarm(): Promise<boolean> {
    this.#stopped = true;
    if (!this.opts.enable) return false;
    this.opts.enable.write(0);
    return true;
  }
}
