/**
 * Argument checks shared by the real (onoff) and the simulated GPIO chip, so a bad pin or option
 * fails with the same GpioError in both.
 */
import { GpioError, type GpioDirection, type GpioEdge, type GpioOptions } from '../ports/gpio.ts';

const DIRECTIONS: readonly GpioDirection[] = ['in', 'out', 'high', 'low'];
const EDGES: readonly GpioEdge[] = ['none', 'rising', 'falling', 'both'];
/** Longest software debounce we accept; longer would hide real faults (and is surely a unit slip). */
export const GPIO_DEBOUNCE_MS_MAX = 10_000;

/** Throws GpioError EINVAL / EBUSY naming the field, the value and the fix. */
export function checkGpioOpen(
  chip: { readonly pinMax: number; isOpen(pin: number): boolean },
  pin: number,
  direction: GpioDirection,
  edge: GpioEdge,
  options: GpioOptions,
): void {
  if (typeof pin !== 'number' || !Number.isInteger(pin) || pin < 0 || pin > chip.pinMax) {
    throw new GpioError('EINVAL', `GPIO pin ${String(pin)} is out of range: use an integer 0-${chip.pinMax} (the sysfs number, gpiochip base + line offset, from the board config)`);
  }
  if (!DIRECTIONS.includes(direction)) {
    throw new GpioError('EINVAL', `GPIO ${pin}: direction ${JSON.stringify(direction)} is invalid: use one of ${DIRECTIONS.join(', ')}`);
  }
  if (!EDGES.includes(edge)) {
    throw new GpioError('EINVAL', `GPIO ${pin}: edge ${JSON.stringify(edge)} is invalid: use one of ${EDGES.join(', ')}`);
  }
  if (edge !== 'none' && direction !== 'in') {
    throw new GpioError('EINVAL', `GPIO ${pin}: edge "${edge}" needs direction "in" (sysfs has no edge interrupts on outputs)`);
  }
  const d = options.debounceMs ?? 0;
  if (typeof d !== 'number' || !(d >= 0 && d <= GPIO_DEBOUNCE_MS_MAX)) {
    throw new GpioError('EINVAL', `GPIO ${pin}: debounceMs ${String(d)} is invalid: use 0-${GPIO_DEBOUNCE_MS_MAX} ms`);
  }
  if (chip.isOpen(pin)) throw new GpioError('EBUSY', `GPIO ${pin} is already open in this process: close it first or share the GpioLine`);
}

/** Common guards for GpioLine methods. */
export function checkLineUsable(pin: number, closed: boolean, op: string): void {
  if (closed) throw new GpioError('ECLOSED', `GPIO ${pin}: ${op} after close()`);
}

export function checkWatchable(pin: number, edge: GpioEdge): void {
  if (edge === 'none') throw new GpioError('ENOEDGE', `GPIO ${pin}: watch() on a line opened with edge "none": open it with "rising", "falling" or "both"`);
}

export function checkWritable(pin: number, direction: GpioDirection, value: unknown): void {
  if (direction === 'in') throw new GpioError('EDIRECTION', `GPIO ${pin}: write() on an input line: open it as "out", "high" or "low"`);
  if (value !== 0 && value !== 1) throw new GpioError('EINVAL', `GPIO ${pin}: write(${String(value)}): the value must be 0 or 1`);
}
