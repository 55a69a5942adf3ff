/**
 * Simulated I²C bus: device models registered by address, fault injection (NACK, timeout), the
 * same argument validation and error codes as the real bus (both extend ValidatingI2cBus).
 *
 * Devices are modelled at the byte level of an I²C message, so SMBus framing quirks come out as on
 * real hardware: an SMBus word is little-endian on the wire (low byte first), so a big-endian
 * device such as the INA219 reads back byte-swapped through `readWord`.
 *
 * Differences from the real bus: transfers complete in a microtask (no bus time passes), and a
 * timeout is reported at once instead of after the adapter's timeout.
 */
import { checkI2cAddress, I2cError, ValidatingI2cBus, I2C_ADDRESS_MAX, I2C_ADDRESS_MIN, type I2cTransfer } from '../real/i2c.ts';

/** A device on the simulated bus, seen from the wire. */
export interface I2cDeviceModel {
  /** Address phase: false = the device does not ACK its address now (e.g. EEPROM write cycle). */
  ack?(): boolean;
  /** A write message: the bytes after the address byte (for register devices, [pointer, data...]). */
  write(data: Uint8Array): void;
  /** A read message of `length` bytes, from the device's current pointer. */
  read(length: number): Uint8Array;
}

interface Fault {
  kind: 'nack' | 'timeout';
  /** Transfers left before the fault clears by itself; Infinity = until cleared. */
  remaining: number;
}

/**
 * A read message from a device with 16-bit registers sent most-significant byte first (INA219
 * SBOS448G §8.5.6, ADS1115 SBAS444 §9.5.3, TMP102 SBOS397 §7.5.3): MSB, LSB, MSB, ... of the
 * pointed register; every read message starts again at the MSB.
 */
export function be16ReadBytes(value: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = i % 2 === 0 ? (value >> 8) & 0xff : value & 0xff;
  return out;
}

/**
 * A device with a pointer register and 16-bit registers sent most-significant byte first. A write
 * message [pointer] moves the pointer; [pointer, MSB, LSB] also writes the register (the
 * subclass's writeRegister); one data byte is an incomplete write and writes nothing. Reads send
 * the pointed register (be16ReadBytes), with whatever side effects the device has.
 */
export abstract class Be16RegisterDevice implements I2cDeviceModel {
  /** The register reads and writes address. */
  protected pointer = 0;

  /** `pointerMask`: the pointer bits the device decodes (the rest are reserved, written 0). */
  constructor(private readonly pointerMask: number) {}

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.pointer = data[0]! & this.pointerMask;
    if (data.length >= 3) this.writeRegister(this.pointer, (data[1]! << 8) | data[2]!);
  }

  abstract read(length: number): Uint8Array;
  protected abstract writeRegister(reg: number, value: number): void;
}

export class SimI2cBus extends ValidatingI2cBus {
  readonly where: string;
  readonly #devices = new Map<number, I2cDeviceModel>();
  readonly #faults = new Map<number, Fault>();
  #closed = false;

  constructor(name = 'sim') {
    super();
    this.where = `sim I2C bus "${name}"`;
  }

  /** Registers a device model at `addr`. A bad or taken address is a programmer error (throws). */
  attach(addr: number, device: I2cDeviceModel): void {
    checkI2cAddress('attach', addr);
    if (this.#devices.has(addr)) throw new I2cError('EBUSY', `attach: address 0x${addr.toString(16)} already has a device on ${this.where}`);
    this.#devices.set(addr, device);
  }

  /** Removes the device (as if unplugged): its address NACKs from now on. */
  detach(addr: number): void {
    this.#devices.delete(addr);
  }

  /** The next `transfers` transfers to `addr` (default: all, until cleared) get no ACK (EREMOTEIO). */
  injectNack(addr: number, transfers = Infinity): void {
    this.#inject(addr, 'nack', transfers);
  }

  /** The next `transfers` transfers to `addr` (default: all, until cleared) time out (ETIMEDOUT). */
  injectTimeout(addr: number, transfers = Infinity): void {
    this.#inject(addr, 'timeout', transfers);
  }

  /** Clears the fault at `addr`, or every fault when called without an address. */
  clearFaults(addr?: number): void {
    if (addr === undefined) this.#faults.clear();
    else this.#faults.delete(addr);
  }

  #inject(addr: number, kind: Fault['kind'], transfers: number): void {
    if (!(transfers >= 1)) throw new RangeError(`inject ${kind}: transfers must be >= 1 (or omitted for "until cleared"), got ${transfers}`);
    this.#faults.set(addr, { kind, remaining: transfers });
  }

  /** Address phase: injected faults first, then presence, then the device's own ACK. */
  #select(t: I2cTransfer | { op: string; addr: number }): I2cDeviceModel {
    if (this.#closed) throw new I2cError('EBADF', `${t.op}: ${this.where} is closed`);
    const fault = this.#faults.get(t.addr);
    if (fault) {
      if (--fault.remaining <= 0) this.#faults.delete(t.addr);
      const e = new Error(fault.kind === 'nack' ? 'injected NACK' : 'injected timeout');
      throw Object.assign(e, { code: fault.kind === 'nack' ? 'EREMOTEIO' : 'ETIMEDOUT' });
    }
    const dev = this.#devices.get(t.addr);
    if (!dev || (dev.ack && !dev.ack())) throw Object.assign(new Error('no ACK'), { code: 'ENXIO' });
    return dev;
  }

  protected async transfer(t: I2cTransfer): Promise<number> {
    const dev = this.#select(t);
    // SMBus "read" commands are a write of the command byte, a repeated START, then a read.
    const readAt = (cmd: number, n: number): Uint8Array => {
      dev.write(Uint8Array.of(cmd));
      return dev.read(n);
    };
    switch (t.op) {
      case 'readByte':
        return readAt(t.cmd, 1)[0] ?? 0xff;
      case 'readWord': {
        const r = readAt(t.cmd, 2);
        return (r[0] ?? 0xff) | ((r[1] ?? 0xff) << 8); // SMBus words: low byte first on the wire
      }
      case 'writeByte':
        dev.write(Uint8Array.of(t.cmd, t.byte));
        return 1;
      case 'writeWord':
        dev.write(Uint8Array.of(t.cmd, t.word & 0xff, t.word >> 8));
        return 2;
      case 'readI2cBlock':
        t.buffer.set(readAt(t.cmd, t.length).subarray(0, t.length));
        return t.length;
      case 'writeI2cBlock': {
        const msg = new Uint8Array(t.length + 1);
        msg[0] = t.cmd;
        msg.set(t.buffer.subarray(0, t.length), 1);
        dev.write(msg);
        return t.length;
      }
      case 'i2cRead':
        t.buffer.set(dev.read(t.length).subarray(0, t.length));
        return t.length;
      case 'i2cWrite':
        dev.write(Uint8Array.from(t.buffer.subarray(0, t.length)));
        return t.length;
    }
  }

  /** Addresses that ACK, ascending (a probe counts as one transfer against injected faults). */
  async scan(): Promise<number[]> {
    if (this.#closed) throw new I2cError('EBADF', `scan: ${this.where} is closed`);
    const found: number[] = [];
    for (let addr = I2C_ADDRESS_MIN; addr <= I2C_ADDRESS_MAX; addr++) {
      if (!this.#devices.has(addr) && !this.#faults.has(addr)) continue;
      try {
        this.#select({ op: 'scan', addr });
        found.push(addr);
      } catch {
        // No ACK: not present.
      }
    }
    return found;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
