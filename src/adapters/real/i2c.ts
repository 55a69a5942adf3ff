/**
 * Real I²C bus over i2c-bus (Linux i2c-dev), plus the argument validation and error mapping that
 * the simulated bus (src/adapters/sim/i2c.ts) shares, so a bad address or register fails with the
 * very same message in both.
 *
 * i2c-bus is loaded lazily (dynamic import in `openI2cBus`): importing this module on a machine
 * without I²C, or in the simulator, never loads the native addon.
 */
import type { I2cBus } from '../../ports/i2c.ts';

/** 7-bit addresses 0x00-0x02 and 0x78-0x7F are reserved by the I²C spec (UM10204 §3.1.12). */
export const I2C_ADDRESS_MIN = 0x03;
export const I2C_ADDRESS_MAX = 0x77;
/** SMBus block transfers carry at most 32 data bytes (SMBus 2.0 §5.5.7). */
export const SMBUS_BLOCK_BYTES_MAX = 32;
/** Plain I²C reads/writes (i2cRead/i2cWrite): our own limit, one 24C02 worth of bytes. */
export const I2C_RAW_BYTES_MAX = 256;

/** One transfer, described the same way for the real and the simulated bus. */
export type I2cTransfer =
  | { op: 'readByte' | 'readWord'; addr: number; cmd: number }
  | { op: 'writeByte'; addr: number; cmd: number; byte: number }
  | { op: 'writeWord'; addr: number; cmd: number; word: number }
  | { op: 'readI2cBlock' | 'writeI2cBlock'; addr: number; cmd: number; length: number; buffer: Buffer }
  | { op: 'i2cRead' | 'i2cWrite'; addr: number; length: number; buffer: Buffer };

/**
 * Error of an I²C transfer. `code` follows the port contract: `EINVAL` (bad argument: a programmer
 * or config error), `EREMOTEIO` (no ACK), `ETIMEDOUT`, `ENOENT` (no such bus), `EBADF` (bus
 * closed), or the errno name the kernel gave.
 */
export class I2cError extends Error {
  constructor(
    readonly code: 'EINVAL' | 'EREMOTEIO' | 'ETIMEDOUT' | 'ENOENT' | 'EBADF' | 'EIO' | string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'I2cError';
  }
}

/** Counters kept by both buses. Validation failures are not counted: they are programmer errors. */
export interface I2cStats {
  transfers: number;
  errors: number;
  nacks: number;
  timeouts: number;
}

const show = (v: unknown): string =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? `0x${v.toString(16).padStart(2, '0')} (${v})` : String(v);

function checkInt(t: I2cTransfer, what: string, value: unknown, max: number, fix: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new I2cError('EINVAL', `${t.op}: ${what} ${show(value)} is out of range: ${fix}`);
  }
}

/** Throws I2cError EINVAL unless `addr` is a usable 7-bit address; `op` prefixes the message. */
export function checkI2cAddress(op: string, addr: unknown): void {
  if (typeof addr !== 'number' || !Number.isInteger(addr) || addr < I2C_ADDRESS_MIN || addr > I2C_ADDRESS_MAX) {
    throw new I2cError(
      'EINVAL',
      `${op}: I2C address ${show(addr)} is not a usable 7-bit address: use 0x03-0x77 ` +
        '(0x00-0x02 and 0x78-0x7F are reserved by the I²C spec); fix the device address in the board config',
    );
  }
}

/**
 * Checks a transfer's arguments; throws I2cError code EINVAL naming the field, the value and the
 * fix. The one validation used by the real and the simulated bus.
 */
export function validateI2cTransfer(t: I2cTransfer): void {
  checkI2cAddress(t.op, t.addr);
  if ('cmd' in t) checkInt(t, 'register (command byte)', t.cmd, 0xff, 'use 0x00-0xFF');
  if ('byte' in t) checkInt(t, 'data byte', t.byte, 0xff, 'use 0x00-0xFF');
  if ('word' in t) checkInt(t, 'data word', t.word, 0xffff, 'use 0x0000-0xFFFF');
  if ('length' in t) {
    const max = t.op === 'i2cRead' || t.op === 'i2cWrite' ? I2C_RAW_BYTES_MAX : SMBUS_BLOCK_BYTES_MAX;
    checkInt(t, 'length', t.length, max, `use 0-${max} bytes`);
    if (!Buffer.isBuffer(t.buffer) || t.buffer.length < t.length) {
      throw new I2cError('EINVAL', `${t.op}: buffer must be a Buffer of at least ${t.length} bytes, got ${Buffer.isBuffer(t.buffer) ? `${t.buffer.length} bytes` : typeof t.buffer}`);
    }
  }
}

/** Linux errno numbers (asm-generic/errno.h) for errors that carry only a number. */
const ERRNO_NAMES: Record<number, string> = { 2: 'ENOENT', 5: 'EIO', 6: 'ENXIO', 9: 'EBADF', 11: 'EAGAIN', 16: 'EBUSY', 19: 'ENODEV', 110: 'ETIMEDOUT', 121: 'EREMOTEIO' };

const describe = (t: I2cTransfer): string => `${t.op} at ${show(t.addr)}${'cmd' in t ? ` register ${show(t.cmd)}` : ''}`;

/**
 * Maps an i2c-dev error to the port contract. Adapters disagree on the errno for a missing ACK:
 * Documentation/i2c/fault-codes.rst asks for ENXIO on an address NACK, while i2c-bcm2835
 * (Raspberry Pi) returns EREMOTEIO; both become EREMOTEIO. EAGAIN is lost arbitration.
 */
export function mapI2cErrno(err: unknown, t: I2cTransfer, where: string): I2cError {
  if (err instanceof I2cError) return err;
  const e = err as { code?: unknown; errno?: unknown; message?: unknown };
  const byNumber = typeof e.errno === 'number' ? ERRNO_NAMES[Math.abs(e.errno)] : undefined;
  const raw = typeof e.code === 'string' && e.code !== 'UNKNOWN' ? e.code : (byNumber ?? 'EIO');
  const what = describe(t);
  switch (raw) {
    case 'ENXIO':
    case 'EREMOTEIO':
    // i2c-stub (and some SMBus adapters) answer an address nobody holds with ENODEV
    // (drivers/i2c/i2c-stub.c: stub_xfer): the same fact, no ACK.
    case 'ENODEV':
      return new I2cError('EREMOTEIO', `${what} on ${where}: no ACK (${raw}): device absent, unpowered or held in reset`, { cause: err });
    case 'ETIMEDOUT':
      return new I2cError('ETIMEDOUT', `${what} on ${where}: timed out: bus stuck (SDA held low?) or clock stretched too long`, { cause: err });
    case 'ENOENT':
      return new I2cError('ENOENT', `${what}: ${where} does not exist: enable the bus and load i2c-dev, or fix i2c.bus in the board config`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      // i2c-bus opens /dev/i2c-N at the first transfer; as a user outside group i2c that is
      // where it fails (found in the kernel suite's unprivileged run).
      return new I2cError(raw, `${what}: ${where}: permission denied. Fix: install hw/udev/99-ftc.rules (it gives /dev/i2c-* to group i2c) and add the user to the i2c group`, { cause: err });
    case 'EAGAIN':
      return new I2cError('EAGAIN', `${what} on ${where}: arbitration lost (EAGAIN): another master on the bus`, { cause: err });
    default:
      return new I2cError(raw, `${what} on ${where}: ${String(e.message ?? err)}`, { cause: err });
  }
}

/**
 * The I2cBus methods, each turned into an I2cTransfer, validated, counted, then handed to
 * `transfer()`. Subclasses (real and simulated) only implement `transfer`, `scan` and `close`.
 */
export abstract class ValidatingI2cBus implements I2cBus {
  readonly stats: I2cStats = { transfers: 0, errors: 0, nacks: 0, timeouts: 0 };
  /** Where the transfer went, for error messages ("/dev/i2c-1", "sim bus b1"). */
  abstract readonly where: string;

  /**
   * Performs a validated transfer. Returns the byte or word read, or the number of bytes moved
   * for block and raw transfers (reads fill `t.buffer`). Rejects with an I2cError.
   */
  protected abstract transfer(t: I2cTransfer): Promise<number>;
  abstract scan(): Promise<number[]>;
  abstract close(): Promise<void>;

  async #run(t: I2cTransfer): Promise<number> {
    validateI2cTransfer(t);
    this.stats.transfers++;
    try {
      return await this.transfer(t);
    } catch (err) {
      const e = mapI2cErrno(err, t, this.where);
      this.stats.errors++;
      if (e.code === 'EREMOTEIO') this.stats.nacks++;
      if (e.code === 'ETIMEDOUT') this.stats.timeouts++;
      throw e;
    }
  }

  readByte(addr: number, cmd: number): Promise<number> {
    return this.#run({ op: 'readByte', addr, cmd });
  }
  readWord(addr: number, cmd: number): Promise<number> {
    return this.#run({ op: 'readWord', addr, cmd });
  }
  async readI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return { bytesRead: await this.#run({ op: 'readI2cBlock', addr, cmd, length, buffer }), buffer };
  }
  async writeByte(addr: number, cmd: number, byte: number): Promise<void> {
    await this.#run({ op: 'writeByte', addr, cmd, byte });
  }
  async writeWord(addr: number, cmd: number, word: number): Promise<void> {
    await this.#run({ op: 'writeWord', addr, cmd, word });
  }
  async writeI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return { bytesWritten: await this.#run({ op: 'writeI2cBlock', addr, cmd, length, buffer }), buffer };
  }
  async i2cRead(addr: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return { bytesRead: await this.#run({ op: 'i2cRead', addr, length, buffer }), buffer };
  }
  async i2cWrite(addr: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return { bytesWritten: await this.#run({ op: 'i2cWrite', addr, length, buffer }), buffer };
  }
}

type PromisifiedBus = import('i2c-bus').PromisifiedBus;

class RealI2cBus extends ValidatingI2cBus {
  readonly where: string;
  #bus: PromisifiedBus;
  #closed = false;

  constructor(bus: PromisifiedBus, busNumber: number) {
    super();
    this.#bus = bus;
    this.where = `/dev/i2c-${busNumber}`;
  }

  protected async transfer(t: I2cTransfer): Promise<number> {
    if (this.#closed) throw new I2cError('EBADF', `${describe(t)}: ${this.where} is closed`);
    const b = this.#bus;
    switch (t.op) {
      case 'readByte':
        return b.readByte(t.addr, t.cmd);
      case 'readWord':
        return b.readWord(t.addr, t.cmd);
      case 'writeByte':
        await b.writeByte(t.addr, t.cmd, t.byte);
        return 1;
      case 'writeWord':
        await b.writeWord(t.addr, t.cmd, t.word);
        return 2;
      case 'readI2cBlock':
        return (await b.readI2cBlock(t.addr, t.cmd, t.length, t.buffer)).bytesRead;
      case 'writeI2cBlock':
        return (await b.writeI2cBlock(t.addr, t.cmd, t.length, t.buffer)).bytesWritten;
      case 'i2cRead':
        return (await b.i2cRead(t.addr, t.length, t.buffer)).bytesRead;
      case 'i2cWrite':
        return (await b.i2cWrite(t.addr, t.length, t.buffer)).bytesWritten;
    }
  }

  /** i2c-bus probes 0x03-0x77 with receiveByte (quick read); `[]` on a missing bus. */
  scan(): Promise<number[]> {
    if (this.#closed) return Promise.reject(new I2cError('EBADF', `scan: ${this.where} is closed`));
    return this.#bus.scan();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#bus.close();
  }
}

/**
 * Opens `/dev/i2c-<busNumber>`. Note (docs/boards-and-kernel.md): i2c-bus opens lazily, so this resolves even
 * when the bus does not exist; the first transfer then rejects with code ENOENT.
 * A bus number that is not a non-negative integer is a config error and throws.
 */
export async function openI2cBus(busNumber: number): Promise<I2cBus & { readonly stats: I2cStats; readonly where: string }> {
  if (!Number.isInteger(busNumber) || busNumber < 0) {
    throw new I2cError('EINVAL', `I2C bus number ${String(busNumber)} is invalid: use the N of /dev/i2c-N (i2c.bus in the board config)`);
  }
  const { openPromisified } = await import('i2c-bus');
  return new RealI2cBus(await openPromisified(busNumber), busNumber);
}
