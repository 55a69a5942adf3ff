/** A logic level on a line. */
export type Bit = 0 | 1;
/**
 * `out` starts the line low; `high`/`low` start it at that RAW electrical level, ignoring
 * `activeLow` (the kernel's gpiolib-sysfs direction_store calls gpiod_direction_output_raw): open
 * an active-low output `high` to start it inactive.
 */
export type GpioDirection = 'in' | 'out' | 'high' | 'low';
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioOptions {
  /** Invert the logical value (onoff's `activeLow`): power-good inputs are often active low. */
  activeLow?: boolean;
  /** Software debounce for edge watches, in ms (onoff's `debounceTimeout`). 0 = none. */
  debounceMs?: number;
}

/**
 * One GPIO line, as onoff exposes it (sysfs GPIO).
 *
 * Contract:
 * - `read()` returns the logical level (after `activeLow` inversion). Works on inputs and outputs.
 * - `write()` on a line opened as input throws `GpioError` with code `EDIRECTION`.
 * - `watch()` registers a listener called on each edge allowed by the line's `edge` setting,
 *   with the new logical value; it returns an unsubscribe function. Watching a line opened with
 *   edge `none` throws `GpioError` code `ENOEDGE` (onoff/sysfs would never call it).
 * - After `close()`, every other call throws `GpioError` code `ECLOSED`; `close()` twice is a no-op.
 * - Operating errors (sysfs write failed, line gone) are thrown as `GpioError` with the errno code.
 */
export interface GpioLine {
  readonly pin: number;
  readonly direction: GpioDirection;
  readonly edge: GpioEdge;
  read(): Bit;
  write(value: Bit): void;
  watch(listener: (value: Bit) => void): () => void;
  close(): void;
}

/**
 * Opens lines by number. `pin` is the number the kernel's sysfs uses. Board configs use the
 * board's own numbering (BCM GPIO17 = 17) and the shell maps it with the gpiochip base read at
 * start-up (src/hw/gpio-chips.ts): Raspberry Pi kernels >= 6.6 put gpiochip0 at 512 on a Pi 4,
 * 571 on a Pi 5.
 *
 * Contract: a pin that is not an integer in [0, `pinMax`] throws `GpioError` code `EINVAL`
 * (sim and real alike); opening a pin that is already open in this process throws code `EBUSY`.
 */
export interface GpioChip {
  readonly pinMax: number;
  open(pin: number, direction: GpioDirection, edge?: GpioEdge, options?: GpioOptions): GpioLine;
}

export class GpioError extends Error {
  constructor(
    readonly code: 'EINVAL' | 'EBUSY' | 'ECLOSED' | 'EDIRECTION' | 'ENOEDGE' | 'EIO' | string,
    message: string,
  ) {
    super(message);
    this.name = 'GpioError';
  }
}
