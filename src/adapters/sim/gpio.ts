/**
 * Simulated GPIO chip with the GpioChip interface of the real onoff chip, plus an "external side":
 * `drive(pin, bit)` sets the level the outside world puts on a pin, `level(pin)` reads the
 * physical level (what a scope would see), `stuckAt(pin, bit)` injects a stuck-at fault, and
 * `connect()` wires one chip's pin to another chip's pin (reset and select lines between boards).
 *
 * Levels: `drive`/`level` are physical; a line opened with `activeLow` inverts, like sysfs
 * `active_low` (values and edge polarity are logical). Argument checks are shared with the real
 * chip (src/adapters/gpio-args.ts).
 *
 * Differences from the real chip (onoff over sysfs):
 * - Edges are delivered synchronously inside `drive()` (onoff: asynchronously, from epoll).
 * - Debounce runs on the Clock given to the chip, not on wall time, so it works under a
 *   VirtualClock: a change is reported once the level has been stable for `debounceMs`, when the
 *   simulator calls `poll()` (or the next `drive()` on this chip) at or after that time. onoff
 *   (lodash debounce) reports the level read after the quiet time even if it equals the last
 *   one reported; here a glitch that returns to the previous level is filtered out entirely.
 * - `read()` of an output returns the pad level, so a stuck-at output reads back the stuck level.
 * Same as the real chip: "high"/"out"/"low" set the raw (physical) level, whatever activeLow says.
 */
import type { Clock } from '../../ports/clock.ts';
import { type Bit, type GpioChip, type GpioDirection, type GpioEdge, type GpioLine, type GpioOptions } from '../../ports/gpio.ts';
import { checkGpioOpen, checkLineUsable, checkWatchable, checkWritable } from '../gpio-args.ts';

interface PinState {
  /** Level driven by the outside world (default 0: pulled down). */
  external: Bit;
  stuck: Bit | null;
  line: SimLine | null;
  /** Physical-level observers (wires, test probes). */
  observers: Set<(level: Bit) => void>;
  /** Last physical level reported to observers. */
  last: Bit;
}

export const SIM_GPIO_PIN_MAX_DEFAULT = 4095;

class SimLine implements GpioLine {
  closed = false;
  /** Output latch (physical level). */
  outLevel: Bit = 0;
  readonly listeners = new Set<(value: Bit) => void>();
  /** Debounce: time of the last physical change not yet settled, or null. */
  pendingSinceMs: number | null = null;
  /** Last logical value reported to listeners (or the initial value). */
  reported: Bit;

  constructor(
    readonly chip: SimGpioChip,
    readonly pin: number,
    readonly direction: GpioDirection,
    readonly edge: GpioEdge,
    readonly activeLow: boolean,
    readonly debounceMs: number,
  ) {
    // sysfs "high" / "out" / "low" set the RAW level, ignoring active_low (gpiolib-sysfs.c
    // direction_store: gpiod_direction_output_raw). So an active-low line opened "out" starts
    // asserted: open active-low outputs with "high" to start them inactive.
    this.outLevel = direction === 'high' ? 1 : 0;
    this.reported = 0;
  }

  get isOutput(): boolean {
    return this.direction !== 'in';
  }

  logical(physical: Bit): Bit {
    return (this.activeLow ? physical ^ 1 : physical) as Bit;
  }

  read(): Bit {
    checkLineUsable(this.pin, this.closed, 'read()');
    return this.logical(this.chip.level(this.pin));
  }

  write(value: Bit): void {
    checkLineUsable(this.pin, this.closed, 'write()');
    checkWritable(this.pin, this.direction, value);
    this.outLevel = this.logical(value);
    this.chip.changed(this.pin);
  }

  watch(listener: (value: Bit) => void): () => void {
    checkLineUsable(this.pin, this.closed, 'watch()');
    checkWatchable(this.pin, this.edge);
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.chip.release(this.pin);
  }

  /** Called with the new physical level after a change; applies debounce and the edge filter. */
  onPhysical(nowMs: number): void {
    if (this.direction !== 'in' || this.edge === 'none') return;
    if (this.debounceMs > 0) this.pendingSinceMs = nowMs;
    else this.report();
  }

  /** Debounce: report once the level has been stable for debounceMs. */
  settle(nowMs: number): void {
    if (this.pendingSinceMs !== null && nowMs - this.pendingSinceMs >= this.debounceMs) {
      this.pendingSinceMs = null;
      this.report();
    }
  }

  report(): void {
    const value = this.logical(this.chip.level(this.pin));
    if (value === this.reported) return;
    this.reported = value;
    const wanted = this.edge === 'both' || (this.edge === 'rising' && value === 1) || (this.edge === 'falling' && value === 0);
    if (!wanted) return;
    for (const l of [...this.listeners]) l(value);
  }
}

export class SimGpioChip implements GpioChip {
  readonly pinMax: number;
  readonly name: string;
  readonly #clock: Clock;
  readonly #pins = new Map<number, PinState>();

  constructor(opts: { clock: Clock; pinMax?: number; name?: string }) {
    this.#clock = opts.clock;
    this.pinMax = opts.pinMax ?? SIM_GPIO_PIN_MAX_DEFAULT;
    this.name = opts.name ?? 'sim';
  }

  #state(pin: number): PinState {
    if (!Number.isInteger(pin) || pin < 0 || pin > this.pinMax) {
      throw new RangeError(`SimGpioChip ${this.name}: pin ${pin} is out of range 0-${this.pinMax}`);
    }
    let s = this.#pins.get(pin);
    if (!s) {
      s = { external: 0, stuck: null, line: null, observers: new Set(), last: 0 };
      this.#pins.set(pin, s);
    }
    return s;
  }

  isOpen(pin: number): boolean {
    return this.#pins.get(pin)?.line != null;
  }

  open(pin: number, direction: GpioDirection, edge: GpioEdge = 'none', options: GpioOptions = {}): GpioLine {
    checkGpioOpen(this, pin, direction, edge, options);
    const s = this.#state(pin);
    const line = new SimLine(this, pin, direction, edge, options.activeLow ?? false, options.debounceMs ?? 0);
    s.line = line;
    line.reported = line.logical(this.level(pin));
    this.changed(pin);
    return line;
  }

  /** The physical level on a pin: a stuck-at fault, else the output latch, else the external drive. */
  level(pin: number): Bit {
    const s = this.#state(pin);
    if (s.stuck !== null) return s.stuck;
    if (s.line && s.line.isOutput) return s.line.outLevel;
    return s.external;
  }

  /** The outside world drives `pin` to a physical level (ignored on the pad while it is an output). */
  drive(pin: number, bit: Bit): void {
    if (bit !== 0 && bit !== 1) throw new RangeError(`SimGpioChip ${this.name}: drive(${pin}, ${String(bit)}): level must be 0 or 1`);
    this.poll();
    this.#state(pin).external = bit;
    this.changed(pin);
  }

  /** Fault: the pin is stuck at `bit` whatever drives it; null clears the fault. */
  stuckAt(pin: number, bit: Bit | null): void {
    this.poll();
    this.#state(pin).stuck = bit;
    this.changed(pin);
  }

  /** Observes physical level changes on a pin (wires, probes). Returns an unsubscribe function. */
  onLevel(pin: number, observer: (level: Bit) => void): () => void {
    const s = this.#state(pin);
    s.observers.add(observer);
    return () => s.observers.delete(observer);
  }

  /** Delivers debounced edges whose quiet time has elapsed on the clock. Call after moving time. */
  poll(): void {
    const now = this.#clock.nowMs();
    for (const s of this.#pins.values()) s.line?.settle(now);
  }

  /** @internal A pin's physical level may have changed: notify the line and the observers. */
  changed(pin: number): void {
    const s = this.#state(pin);
    const level = this.level(pin);
    if (level === s.last) return;
    s.last = level;
    s.line?.onPhysical(this.#clock.nowMs());
    for (const o of [...s.observers]) o(level);
  }

  /** @internal */
  release(pin: number): void {
    const s = this.#state(pin);
    s.line = null;
    this.changed(pin); // an unexported line goes back to input: the pad follows the external drive
  }

  /**
   * A wire from `from.chip`'s pin to `to.chip`'s pin: the destination is driven with the source's
   * physical level, now and on every change. Returns a function that cuts the wire (the
   * destination then keeps its last level, like a floating input with a keeper).
   */
  static connect(from: { chip: SimGpioChip; pin: number }, to: { chip: SimGpioChip; pin: number }): () => void {
    if (from.chip === to.chip && from.pin === to.pin) throw new RangeError('SimGpioChip.connect: a pin cannot be wired to itself');
    to.chip.drive(to.pin, from.chip.level(from.pin));
    return from.chip.onLevel(from.pin, (level) => to.chip.drive(to.pin, level));
  }
}
