/**
 * 24C02 serial EEPROM model (2 Kbit = 256 bytes, 8-byte pages), after the Atmel AT24C01A/02/04/08A/16A
 * datasheet (doc0180) and Microchip 24AA02/24LC02B (DS21709), seen from the I²C wire. Holds the
 * board identity (src/adapters/identity.ts).
 *
 * - Byte/page write: [word address, data...]. Only the low 3 address bits advance during a page
 *   write: past the end of the 8-byte page the address rolls over to the start of the same page,
 *   overwriting it ("Page Write": "the following byte is placed at the beginning of the same page").
 * - Random read: a write of just [word address] sets the address counter, then a read.
 * - Current address read: a read without an address continues from the internal counter, which
 *   holds the last address accessed + 1 ("Current Address Read"); sequential reads roll over from
 *   the last byte (0xFF) to 0x00 ("Sequential Read").
 * - Write cycle: after a write STOP the device does not ACK its address for tWR (5 ms max) while it
 *   programs ("acknowledge polling"). Modelled only when a Clock is given (`writeCycleMs`).
 */
import type { Clock } from '../../../ports/clock.ts';
import type { I2cDeviceModel } from '../i2c.ts';

export const EEPROM24C02_BYTES = 256;
export const EEPROM24C02_PAGE_BYTES = 8;
/** Self-timed write cycle tWR, max (AT24C02 AC characteristics). */
export const EEPROM24C02_WRITE_CYCLE_MS = 5;

export class Eeprom24c02 implements I2cDeviceModel {
  /** The memory array; erased EEPROM reads 0xFF. */
  readonly #mem = new Uint8Array(EEPROM24C02_BYTES).fill(0xff);
  #counter = 0;
  readonly #clock: Clock | undefined;
  readonly #writeCycleMs: number;
  #busyUntilMs = -Infinity;
  /** Byte writes accepted, for wear checks in tests. */
  writes = 0;

  constructor(opts: { clock?: Clock; writeCycleMs?: number; contents?: Uint8Array } = {}) {
    this.#clock = opts.clock;
    this.#writeCycleMs = opts.writeCycleMs ?? EEPROM24C02_WRITE_CYCLE_MS;
    if (opts.contents) this.seed(opts.contents);
  }

  /** Loads bytes at `offset` directly (factory programming), without the page-write rules. */
  seed(bytes: Uint8Array, offset = 0): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + bytes.length > EEPROM24C02_BYTES) {
      throw new RangeError(`Eeprom24c02.seed: ${bytes.length} bytes at offset ${offset} do not fit in ${EEPROM24C02_BYTES} bytes`);
    }
    this.#mem.set(bytes, offset);
  }

  /** A copy of the whole array. */
  contents(): Uint8Array {
    return this.#mem.slice();
  }

  ack(): boolean {
    return this.#clock === undefined || this.#clock.nowMs() >= this.#busyUntilMs;
  }

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#counter = data[0]!;
    if (data.length === 1) return; // dummy write of a random read: sets the address only
    const page = this.#counter & ~(EEPROM24C02_PAGE_BYTES - 1);
    let offset = this.#counter & (EEPROM24C02_PAGE_BYTES - 1);
    for (let i = 1; i < data.length; i++) {
      this.#mem[page | offset] = data[i]!;
      offset = (offset + 1) & (EEPROM24C02_PAGE_BYTES - 1); // roll over within the page
      this.writes++;
    }
    this.#counter = page | offset;
    if (this.#clock) this.#busyUntilMs = this.#clock.nowMs() + this.#writeCycleMs;
  }

  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.#mem[this.#counter]!;
      this.#counter = (this.#counter + 1) & (EEPROM24C02_BYTES - 1); // roll over the whole array
    }
    return out;
  }
}
