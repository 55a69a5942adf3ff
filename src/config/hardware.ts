/**
 * Board hardware definitions (hw/boards/<name>.yaml): GPIO chips and their sysfs base, header
 * pins, UARTs, I²C buses, the watchdog. Board configs name one with `hardware:` and are checked
 * against it (a pin that is not on the header, a UART path the board does not have, a watchdog
 * timeout over the device maximum).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import { INVALID, int, Issues, list, obj, oneOf, optional, str, type Spec } from './schema.ts';
import { applySpec, readYamlFile } from './yaml-source.ts';

export const HARDWARE_NAMES = ['rpi4', 'rpi5', 'bbb'] as const;
export type HardwareName = (typeof HARDWARE_NAMES)[number];

/** The repository's hw/boards directory (found from this file, so it works from any cwd). */
export const HARDWARE_DIR = fileURLToPath(new URL('../../hw/boards/', import.meta.url));

export interface GpioChipDef {
  /** `/sys/class/gpio/gpiochipN/label` values this chip is known by (kernels differ). */
  labels: string[];
  /** The board-config pin number of the chip's line 0 (BBB: bank × 32). */
  firstPin: number;
  lines: number;
  /** sysfs numbers of line 0 seen on known kernels; the real one is read at run time (doctor checks). */
  sysfsBases: number[];
}

export interface UartDef {
  name: string;
  device: string;
  txPin?: number;
  rxPin?: number;
  note?: string;
}

export interface I2cBusDef {
  bus: number;
  sdaPin?: number;
  sclPin?: number;
  note?: string;
}

export interface HardwareDef {
  name: HardwareName;
  model: string;
  gpio: {
    /** What a pin number in a board config means on this board. */
    numbering: string;
    chips: GpioChipDef[];
    /** Pin number → header position (e.g. 17 → "J8-11", 60 → "P9_12"). Config pins must be on the header. */
    header: Record<number, string>;
  };
  uarts: UartDef[];
  i2c: I2cBusDef[];
  watchdog: { driver: string; device: string; timeoutMaxMs: number; timeoutDefaultMs: number };
  /** Where a peer's fencing line connects to reset this board. */
  resetInput: string;
}

const pinNumber = int({ min: 0, max: 4095 });

const headerSpec: Spec<Record<number, string>> = {
  expect: 'a mapping of pin number to header position, e.g. 17: J8-11',
  read(value, path, issues) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.add(path, value, 'is not a mapping', 'write a mapping of pin number to header position, e.g. 17: J8-11');
      return INVALID;
    }
    const out: Record<number, string> = {};
    let bad = false;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const pin = Number(k);
      if (!Number.isInteger(pin) || pin < 0) {
        issues.add([...path, k], k, 'is not a pin number', 'use the pin number as the key');
        bad = true;
      } else if (typeof v !== 'string' || v === '') {
        issues.add([...path, k], v, 'is not a header position', 'write the header position as a string, e.g. J8-11');
        bad = true;
      } else out[pin] = v;
    }
    return bad ? INVALID : out;
  },
};

export const hardwareSpec: Spec<HardwareDef> = obj({
  name: oneOf(HARDWARE_NAMES),
  model: str(),
  gpio: obj({
    numbering: str(),
    chips: list(
      obj({
        labels: list(str(), { min: 1, max: 8 }),
        firstPin: pinNumber,
        lines: int({ min: 1, max: 1024 }),
        sysfsBases: list(pinNumber, { min: 1, max: 8 }),
      }),
      { min: 1, max: 16 },
    ),
    header: headerSpec,
  }),
  uarts: list(
    obj({
      name: str({ pattern: /^[a-z0-9]+$/, expect: 'a short name like uart3' }),
      device: str({ pattern: /^\/dev\//, expect: 'a device path under /dev' }),
      txPin: optional(pinNumber),
      rxPin: optional(pinNumber),
      note: optional(str()),
    }),
    { min: 1, max: 16 },
  ),
  i2c: list(
    obj({ bus: int({ min: 0, max: 255 }), sdaPin: optional(pinNumber), sclPin: optional(pinNumber), note: optional(str()) }),
    { min: 1, max: 16 },
  ),
  watchdog: obj({
    driver: str(),
    device: str({ pattern: /^\/dev\//, expect: 'a device path under /dev' }),
    timeoutMaxMs: int({ min: 1000, max: 86_400_000, unit: 'ms' }),
    timeoutDefaultMs: int({ min: 1000, max: 86_400_000, unit: 'ms' }),
  }),
  resetInput: str(),
});

export function parseHardwareDef(text: string, sourceName: string): { ok: true; hardware: HardwareDef } | { ok: false; errors: string[] } {
  const { value, issues } = applySpec(text, sourceName, hardwareSpec);
  if (value !== INVALID) checkHardwareDef(value, sourceName, issues);
  return value === INVALID || !issues.ok ? { ok: false, errors: issues.messages } : { ok: true, hardware: value };
}

/** Cross-field checks: header pins and UART/I²C pins must exist on a chip. */
function checkHardwareDef(hw: HardwareDef, sourceName: string, issues: Issues): void {
  const stem = basename(sourceName).replace(/\.ya?ml$/, '');
  if (HARDWARE_NAMES.includes(stem as HardwareName) && stem !== hw.name) {
    issues.add(['name'], hw.name, `does not match the file name ${basename(sourceName)}`, `write name: ${stem}`);
  }
  if (hw.watchdog.timeoutDefaultMs > hw.watchdog.timeoutMaxMs) {
    issues.add(['watchdog', 'timeoutDefaultMs'], hw.watchdog.timeoutDefaultMs, `is over timeoutMaxMs (${hw.watchdog.timeoutMaxMs})`, 'make timeoutDefaultMs <= timeoutMaxMs');
  }
  const check = (path: (string | number)[], pin: number | undefined) => {
    if (pin !== undefined && !chipOf(hw, pin)) {
      issues.add(path, pin, 'is on no GPIO chip of this board', 'fix the pin or add the chip under gpio.chips');
    }
  };
  for (const pin of Object.keys(hw.gpio.header)) check(['gpio', 'header', pin], Number(pin));
  hw.uarts.forEach((u, i) => {
    check(['uarts', i, 'txPin'], u.txPin);
    check(['uarts', i, 'rxPin'], u.rxPin);
  });
  hw.i2c.forEach((b, i) => {
    check(['i2c', i, 'sdaPin'], b.sdaPin);
    check(['i2c', i, 'sclPin'], b.sclPin);
  });
}

export function chipOf(hw: HardwareDef, pin: number): GpioChipDef | undefined {
  return hw.gpio.chips.find((c) => pin >= c.firstPin && pin < c.firstPin + c.lines);
}

/**
 * The kernel's sysfs number for a config pin: chip base + line offset. `actualBases` maps a chip
 * label to the base read from /sys/class/gpio/gpiochip*\/base (Pi kernels >= 6.6 moved gpiochip0
 * from 0 to 512 on a Pi 4, 571 on a Pi 5); without it the first known base is used.
 */
export function sysfsPin(hw: HardwareDef, pin: number, actualBases?: ReadonlyMap<string, number>): number {
  const chip = chipOf(hw, pin);
  if (!chip) throw new RangeError(`pin ${pin} is on no GPIO chip of ${hw.name}`);
  const actual = chip.labels.map((l) => actualBases?.get(l)).find((b) => b !== undefined);
  return (actual ?? chip.sysfsBases[0]!) + (pin - chip.firstPin);
}

/** "GPIO17 (J8-11)" — how wiring docs and messages name a pin. */
export function pinLabel(hw: HardwareDef, pin: number): string {
  const header = hw.gpio.header[pin];
  return header ? `GPIO${pin} (${header})` : `GPIO${pin}`;
}

let builtinCache: Map<HardwareName, HardwareDef> | undefined;

/**
 * Load every hw/boards/*.yaml. A broken definition is a bug in the repository, not an operating
 * error: throw with all its messages.
 */
export function loadHardwareDefs(dir: string = HARDWARE_DIR): Map<HardwareName, HardwareDef> {
  if (dir === HARDWARE_DIR && builtinCache) return builtinCache;
  const defs = new Map<HardwareName, HardwareDef>();
  const errors: string[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const path = join(dir, file);
    const { value, issues } = readYamlFile(path, hardwareSpec);
    if (value !== INVALID) checkHardwareDef(value, path, issues);
    if (value === INVALID || !issues.ok) errors.push(...issues.messages);
    else defs.set(value.name, value);
  }
  if (errors.length) throw new Error(`invalid hardware definitions:\n${errors.join('\n')}`);
  if (dir === HARDWARE_DIR) builtinCache = defs;
  return defs;
}
