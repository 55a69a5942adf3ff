/**
 * Real GPIO over onoff (Linux sysfs GPIO, /sys/class/gpio).
 *
 * - Pin numbers are used as given: they are sysfs numbers, and the board config carries the
 *   gpiochip base offset (Raspberry Pi kernels >= 6.6: 512 on a Pi 4, 571 on a Pi 5).
 * - activeLow and debounce are onoff's own options (`activeLow` writes sysfs `active_low`, so the
 *   kernel inverts values and edges; `debounceTimeout` is a wall-clock lodash debounce: after the
 *   last interrupt, wait that long, then read and report).
 * - onoff is imported lazily in `openOnoffGpioChip`, so importing this module on a machine without
 *   GPIO never throws; on such a machine opening the chip rejects with a GpioError naming the cause
 *   and the fix.
 */
import { existsSync } from 'node:fs';
import { GpioError, type Bit, type GpioChip, type GpioDirection, type GpioEdge, type GpioLine, type GpioOptions } from '../../ports/gpio.ts';
import { checkGpioOpen, checkLineUsable, checkWatchable, checkWritable } from '../gpio-args.ts';

type OnoffModule = typeof import('onoff');
type OnoffGpio = import('onoff').Gpio;

const SYSFS_GPIO_EXPORT = '/sys/class/gpio/export';
/** sysfs GPIO numbers go up to a few hundred (Pi 5: base 571 + 54 lines); leave room. */
export const ONOFF_PIN_MAX_DEFAULT = 4095;

export interface GpioStats {
  /** Errors reported by onoff's interrupt poller (counted, not thrown: they come from a callback). */
  watchErrors: number;
}

function asGpioError(err: unknown, pin: number, what: string): GpioError {
  const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'EIO';
  const hint = code === 'EACCES' ? ': add the user to the gpio group (hw/udev/99-ftc.rules)' : code === 'EBUSY' ? ': the line is claimed by a kernel driver or another process' : '';
  return new GpioError(code, `GPIO ${pin}: ${what} failed (${code})${hint}: ${String((err as Error).message ?? err)}`);
}

class OnoffLine implements GpioLine {
  #closed = false;
  readonly #listeners = new Map<(value: Bit) => void, (err: Error | null | undefined, value: Bit) => void>();

  constructor(
    readonly pin: number,
    readonly direction: GpioDirection,
    readonly edge: GpioEdge,
    readonly gpio: OnoffGpio,
    readonly stats: GpioStats,
    readonly onClose: () => void,
  ) {}

  read(): Bit {
    checkLineUsable(this.pin, this.#closed, 'read()');
    try {
      return this.gpio.readSync();
    } catch (err) {
      throw asGpioError(err, this.pin, 'read');
    }
  }

  write(value: Bit): void {
    checkLineUsable(this.pin, this.#closed, 'write()');
    checkWritable(this.pin, this.direction, value);
    try {
      this.gpio.writeSync(value);
    } catch (err) {
      throw asGpioError(err, this.pin, 'write');
    }
  }

  watch(listener: (value: Bit) => void): () => void {
    checkLineUsable(this.pin, this.#closed, 'watch()');
    checkWatchable(this.pin, this.edge);
    const cb = (err: Error | null | undefined, value: Bit): void => {
      if (err) {
        this.stats.watchErrors++;
        return;
      }
      listener(value);
    };
    this.#listeners.set(listener, cb);
    this.gpio.watch(cb);
    return () => {
      const c = this.#listeners.get(listener);
      if (!c || this.#closed) return;
      this.#listeners.delete(listener);
      this.gpio.unwatch(c);
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    try {
      this.gpio.unexport(); // unwatches all, closes the value fd, unexports
    } finally {
      this.onClose();
    }
  }
}

export class OnoffGpioChip implements GpioChip {
  readonly stats: GpioStats = { watchErrors: 0 };
  readonly #open = new Set<number>();

  constructor(
    readonly onoff: OnoffModule,
    readonly pinMax: number,
  ) {}

  isOpen(pin: number): boolean {
    return this.#open.has(pin);
  }

  open(pin: number, direction: GpioDirection, edge: GpioEdge = 'none', options: GpioOptions = {}): GpioLine {
    checkGpioOpen(this, pin, direction, edge, options);
    let gpio: OnoffGpio;
    try {
      gpio = new this.onoff.Gpio(pin, direction, edge, {
        activeLow: options.activeLow ?? false,
        debounceTimeout: options.debounceMs ?? 0,
      });
    } catch (err) {
      throw asGpioError(err, pin, `open (export via ${SYSFS_GPIO_EXPORT})`);
    }
    this.#open.add(pin);
    return new OnoffLine(pin, direction, edge, gpio, this.stats, () => this.#open.delete(pin));
  }
}

/**
 * Loads onoff and checks that sysfs GPIO is usable. Rejects with GpioError:
 * - `ENOSYS` when /sys/class/gpio/export does not exist (no sysfs GPIO: not a board, a kernel
 *   without CONFIG_GPIO_SYSFS, or a container without /sys/class/gpio);
 * - `EACCES` when it exists but this user cannot write it.
 */
export async function openOnoffGpioChip(opts: { pinMax?: number } = {}): Promise<OnoffGpioChip> {
  const pinMax = opts.pinMax ?? ONOFF_PIN_MAX_DEFAULT;
  if (!Number.isInteger(pinMax) || pinMax < 0) throw new GpioError('EINVAL', `pinMax ${pinMax} is invalid: use a non-negative integer`);
  let onoff: OnoffModule;
  try {
    onoff = await import('onoff');
  } catch (err) {
    throw new GpioError('ENOSYS', `onoff could not be loaded (${String((err as Error).message ?? err)}): reinstall dependencies with npm ci on this board`);
  }
  if (!onoff.Gpio.accessible) {
    if (!existsSync(SYSFS_GPIO_EXPORT)) {
      throw new GpioError(
        'ENOSYS',
        `no sysfs GPIO: ${SYSFS_GPIO_EXPORT} does not exist. Cause: not a board, a kernel built without CONFIG_GPIO_SYSFS, or a container without /sys/class/gpio. ` +
          'Fix: run on a board whose kernel has CONFIG_GPIO_SYSFS=y (Raspberry Pi OS and BeagleBone Debian do), or use the simulator (SimGpioChip).',
      );
    }
    throw new GpioError('EACCES', `sysfs GPIO is not writable: ${SYSFS_GPIO_EXPORT} cannot be opened for writing by this user. Fix: install hw/udev/99-ftc.rules and add the user to the gpio group`);
  }
  return new OnoffGpioChip(onoff, pinMax);
}
