/**
 * The GPIO chips the kernel exposes in sysfs, and the mapping from board-config pin numbers
 * (the hardware definition's numbering: BCM numbers on a Pi, bank×32+line on a BBB) to the sysfs
 * numbers the `GpioChip` port takes. Raspberry Pi kernels >= 6.6 allocate chip bases dynamically
 * (gpiochip0 at 512 on a Pi 4, 571 seen on a Pi 5), so the base is read here, never assumed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sysfsPin, type HardwareDef } from '../config/hardware.ts';

export interface SysfsGpioChip {
  /** Directory name, e.g. gpiochip512. */
  dir: string;
  base: number;
  label: string;
  lines: number;
}

/** A machine has a handful of chips; bound the scan anyway. */
const CHIPS_MAX = 64;

/** Chips under <root>/sys/class/gpio; [] when sysfs GPIO is absent. */
export function readSysfsGpioChips(root = '/'): SysfsGpioChip[] {
  const dir = join(root, 'sys/class/gpio');
  let names: string[];
  try {
    names = readdirSync(dir).filter((d) => /^gpiochip\d+$/.test(d)).slice(0, CHIPS_MAX);
  } catch {
    return [];
  }
  const read = (chip: string, file: string) => {
    try {
      return readFileSync(join(dir, chip, file), 'utf8').trim();
    } catch {
      return '';
    }
  };
  return names.map((d) => ({ dir: d, base: Number(read(d, 'base')), label: read(d, 'label'), lines: Number(read(d, 'ngpio')) }));
}

/** label → base, as `sysfsPin` wants it. */
export function basesByLabel(chips: readonly SysfsGpioChip[]): Map<string, number> {
  return new Map(chips.filter((c) => Number.isInteger(c.base)).map((c) => [c.label, c.base]));
}

/**
 * Board-config pin → sysfs number on this machine. Pass the result as `toChipPin` to
 * startPeripherals, and use it before every `GpioChip.open` on a real board.
 * Throws RangeError for a pin on no chip of the definition (config validation prevents that).
 */
export function sysfsPinMapper(hw: HardwareDef, root = '/'): (pin: number) => number {
  const bases = basesByLabel(readSysfsGpioChips(root));
  return (pin) => sysfsPin(hw, pin, bases);
}
