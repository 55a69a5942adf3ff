/**
 * Small in-test implementations of the GPIO and I²C ports (the shared simulated adapters in
 * src/adapters/sim were not there yet when these tests were written).
 */
import type { Bit, GpioChip, GpioDirection, GpioEdge, GpioLine, GpioOptions } from '../../src/ports/gpio.ts';
import { GpioError } from '../../src/ports/gpio.ts';
import type { I2cBus } from '../../src/ports/i2c.ts';

export class FakeGpioChip implements GpioChip {
  readonly pinMax = 1023;
  readonly #physical = new Map<number, Bit>();
  readonly #open = new Map<number, FakeLine>();
  /** Drives the physical level of `pin` (an input's source); edges reach watchers. */
  drive(pin: number, bit: Bit): void {
    this.#physical.set(pin, bit);
    this.#open.get(pin)?.physicalChanged(bit);
  }
  physical(pin: number): Bit {
    return this.#physical.get(pin) ?? 0;
  }
  open(pin: number, direction: GpioDirection, edge: GpioEdge = 'none', options: GpioOptions = {}): GpioLine {
    if (!Number.isInteger(pin) || pin < 0 || pin > this.pinMax) throw new GpioError('EINVAL', `pin ${pin}`);
    if (this.#open.has(pin)) throw new GpioError('EBUSY', `pin ${pin} already open`);
    const line = new FakeLine(this, pin, direction, edge, options.activeLow ?? false, () => this.#open.delete(pin));
    this.#open.set(pin, line);
    if (direction === 'high') this.#physical.set(pin, options.activeLow ? 0 : 1);
    if (direction === 'low') this.#physical.set(pin, options.activeLow ? 1 : 0);
    return line;
  }
  setPhysical(pin: number, bit: Bit): void {
    this.#physical.set(pin, bit);
  }
}

class FakeLine implements GpioLine {
  #listeners = new Set<(v: Bit) => void>();
  #closed = false;
  constructor(
    readonly chip: FakeGpioChip,
    readonly pin: number,
    readonly direction: GpioDirection,
    readonly edge: GpioEdge,
    readonly activeLow: boolean,
    readonly onClose: () => void,
  ) {}
  #check(): void {
    if (this.#closed) throw new GpioError('ECLOSED', `pin ${this.pin} closed`);
  }
  #logical(b: Bit): Bit {
    return (this.activeLow ? 1 - b : b) as Bit;
  }
  read(): Bit {
    this.#check();
    return this.#logical(this.chip.physical(this.pin));
  }
  write(value: Bit): void {
    this.#check();
    if (this.direction === 'in') throw new GpioError('EDIRECTION', `pin ${this.pin} is an input`);
    this.chip.setPhysical(this.pin, this.#logical(value));
  }
  watch(listener: (value: Bit) => void): () => void {
    this.#check();
    if (this.edge === 'none') throw new GpioError('ENOEDGE', `pin ${this.pin} has edge none`);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  physicalChanged(bit: Bit): void {
    const v = this.#logical(bit);
    const fire = this.edge === 'both' || (this.edge === 'rising' && v === 1) || (this.edge === 'falling' && v === 0);
    if (fire && !this.#closed) for (const l of this.#listeners) l(v);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
  }
}

/** An I²C bus holding SMBus words per device register; absent devices NACK (EREMOTEIO). */
export class FakeI2cBus implements I2cBus {
  readonly words = new Map<number, Map<number, number>>();
  /** Sets a register as the device holds it (register byte order); stored as SMBus sees it. */
  setRegister(addr: number, reg: number, value: number): void {
    let dev = this.words.get(addr);
    if (!dev) this.words.set(addr, (dev = new Map()));
    dev.set(reg, ((value & 0xff) << 8) | (value >> 8)); // big-endian device, little-endian SMBus word
  }
  remove(addr: number): void {
    this.words.delete(addr);
  }
  async readWord(addr: number, cmd: number): Promise<number> {
    const w = this.words.get(addr)?.get(cmd);
    if (w === undefined) throw Object.assign(new Error(`Remote I/O error, addr 0x${addr.toString(16)}`), { code: 'EREMOTEIO' });
    return w;
  }
  async readByte(addr: number, cmd: number): Promise<number> {
    return (await this.readWord(addr, cmd)) & 0xff;
  }
  #unsupported(what: string): never {
    throw new Error(`FakeI2cBus: ${what} is not used by these tests`);
  }
  readI2cBlock(): never {
    return this.#unsupported('readI2cBlock');
  }
  writeByte(): never {
    return this.#unsupported('writeByte');
  }
  writeWord(): never {
    return this.#unsupported('writeWord');
  }
  writeI2cBlock(): never {
    return this.#unsupported('writeI2cBlock');
  }
  i2cRead(): never {
    return this.#unsupported('i2cRead');
  }
  i2cWrite(): never {
    return this.#unsupported('i2cWrite');
  }
  async scan(): Promise<number[]> {
    return [...this.words.keys()].sort((a, b) => a - b);
  }
  async close(): Promise<void> {}
}
