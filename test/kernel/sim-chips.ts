/**
 * gpio-sim chips made through configfs, inside the kernel suite's guest
 * (Documentation/admin-guide/gpio/gpio-sim.rst): one device with one bank per chip, each bank
 * with its `label` and `num_lines`; writing 1 to `live` registers the chips. Every line then has
 * `/sys/devices/platform/<dev_name>/<chip_name>/sim_gpioN/{pull,value}`: writing `pull-up` or
 * `pull-down` to `pull` drives an input as a wire from outside would (with an edge interrupt),
 * and `value` reads what a consumer drives on an output.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CONFIGFS = '/sys/kernel/config/gpio-sim';

export interface SimBank {
  label: string;
  lines: number;
  /** Line offset → hog direction: gpio-sim itself requests the line (consumer "ftc-hog"). */
  hogs?: Record<number, 'input' | 'output-high' | 'output-low'>;
}

export class SimChip {
  readonly #dev: string;
  readonly #attrDirs: string[];

  private constructor(readonly name: string, readonly banks: readonly SimBank[], dev: string, attrDirs: string[]) {
    this.#dev = dev;
    this.#attrDirs = attrDirs;
  }

  /** Creates the device `name` with these banks and makes it live. */
  static create(name: string, banks: readonly SimBank[]): SimChip {
    if (!existsSync(CONFIGFS)) throw new Error(`${CONFIGFS} is missing: gpio-sim not loaded or configfs not mounted`);
    const dev = join(CONFIGFS, name);
    mkdirSync(dev);
    banks.forEach((b, i) => {
      const bank = join(dev, `bank${i}`);
      mkdirSync(bank);
      writeFileSync(join(bank, 'label'), b.label);
      writeFileSync(join(bank, 'num_lines'), String(b.lines));
      for (const [offset, direction] of Object.entries(b.hogs ?? {})) {
        mkdirSync(join(bank, `line${offset}`, 'hog'), { recursive: true });
        writeFileSync(join(bank, `line${offset}`, 'hog', 'name'), 'ftc-hog');
        writeFileSync(join(bank, `line${offset}`, 'hog', 'direction'), direction);
      }
    });
    writeFileSync(join(dev, 'live'), '1'); // returns once the device is probed (or fails)
    const devName = readFileSync(join(dev, 'dev_name'), 'utf8').trim();
    const attrDirs = banks.map((_, i) => join('/sys/devices/platform', devName, readFileSync(join(dev, `bank${i}`, 'chip_name'), 'utf8').trim()));
    return new SimChip(name, banks, dev, attrDirs);
  }

  #attr(bank: number, line: number, attr: 'pull' | 'value'): string {
    const dir = this.#attrDirs[bank];
    if (dir === undefined || line < 0 || line >= this.banks[bank]!.lines) throw new RangeError(`${this.name}: no line ${line} on bank ${bank}`);
    return join(dir, `sim_gpio${line}`, attr);
  }

  /** Drives an input line from outside: high (pull-up) or low (pull-down). */
  pull(bank: number, line: number, high: boolean): void {
    writeFileSync(this.#attr(bank, line, 'pull'), high ? 'pull-up' : 'pull-down');
  }

  /** The line's level as the chip sees it (an output: what its consumer drives). */
  value(bank: number, line: number): 0 | 1 {
    return readFileSync(this.#attr(bank, line, 'value'), 'utf8').trim() === '1' ? 1 : 0;
  }

  /** Takes the chips away again (no line may be exported or requested). */
  remove(): void {
    if (readFileSync(join(this.#dev, 'live'), 'utf8').trim() === '1') writeFileSync(join(this.#dev, 'live'), '0');
    this.banks.forEach((b, i) => {
      for (const offset of Object.keys(b.hogs ?? {})) {
        rmdirSync(join(this.#dev, `bank${i}`, `line${offset}`, 'hog'));
        rmdirSync(join(this.#dev, `bank${i}`, `line${offset}`));
      }
      rmdirSync(join(this.#dev, `bank${i}`));
    });
    rmdirSync(this.#dev);
  }
}
