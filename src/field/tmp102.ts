/**
 * TI TMP102 digital temperature sensor on an I²C bus (driver): one FieldSource in °C.
 *
 * Datasheet TI SBOS397 "TMP102 Low-Power Digital Temperature Sensor With SMBus and Two-Wire
 * Serial Interface in SOT563" (section numbers of revision F; older revisions have the same
 * headings without numbers):
 * - §7.5.1 Pointer Register: 00h Temperature (read-only), 01h Configuration, 02h T_LOW, 03h T_HIGH.
 *   Registers are 16-bit, MSB first, so SMBus `readWord` returns them byte-swapped (`swap16`).
 * - §7.3.1 Digital Temperature Output, §7.5.2 Temperature Register: 12-bit two's complement,
 *   left-justified in bits 15..4, 0.0625 °C/LSB; bits 3..0 read 0.
 * - §7.4.2 Extended Mode (EM): 13 bits in 15..3 (up to +150 °C), and bit 0 (D0) reads 1, so D0
 *   tells the two formats apart.
 * - §7.5.3 Configuration Register: EM is bit 4 of the second (LSB) byte: byte 2 is
 *   CR1 CR0 AL EM 0 0 0 0; reset value 60A0h.
 * - §7.5.6 Serial Bus Address: the ADD0 pin picks 0x48 (GND), 0x49 (V+), 0x4A (SDA), 0x4B (SCL).
 *
 * Bus transactions per sample: 1 temperature read, plus 1 configuration read on the first sample
 * (and again after a format mismatch).
 */
import { FieldError, type FieldSource } from '../ports/field.ts';
import type { I2cBus } from '../ports/i2c.ts';
import { swap16 } from '../watchdog/core-ina219.ts';

/** Register pointers (§7.5.1). */
export const TMP102_REG = { temperature: 0x00, config: 0x01, tLow: 0x02, tHigh: 0x03 } as const;
/** Addresses selectable with the ADD0 pin (§7.5.6). */
export const TMP102_ADDRESSES: readonly number[] = [0x48, 0x49, 0x4a, 0x4b];
/** Temperature resolution in both formats, °C per LSB (§7.3.1). */
export const TMP102_LSB_C = 0.0625;
/** EM, extended (13-bit) mode: bit 4 of the configuration register's LSB byte (§7.5.3). */
export const TMP102_CONFIG_EM = 0x0010;

/**
 * Temperature register (register byte order, i.e. after swapping an SMBus word) to °C:
 * 12-bit left-justified (`>> 4`) in normal mode, 13-bit (`>> 3`) in extended mode, two's
 * complement, 0.0625 °C/LSB. Throws RangeError unless `raw` is an integer in [0, 0xFFFF].
 */
export function decodeTmp102(raw: number, extended: boolean): number {
  if (!Number.isInteger(raw) || raw < 0 || raw > 0xffff) throw new RangeError(`decodeTmp102: raw ${String(raw)} is not a 16-bit register value (0-0xFFFF)`);
  const signed = (raw << 16) >> 16; // sign-extend bit 15
  return (signed >> (extended ? 3 : 4)) * TMP102_LSB_C;
}

export interface Tmp102Source extends FieldSource {
  readonly unit: '°C';
}

/**
 * One TMP102 chip. The first sample reads the configuration register to learn EM (the format),
 * then each sample reads the temperature register. If D0 of a reading disagrees with the
 * learned EM (someone reconfigured the chip, or another device answers at the address), the
 * sample rejects with FieldError('EPROTO') and the next sample learns EM again: a reading of
 * unknown format is never returned. Bus errors reject unchanged.
 */
export class Tmp102 {
  readonly address: number;
  /** EM as last read from the configuration register; undefined until the first sample. */
  #extended: boolean | undefined;

  constructor(
    readonly bus: I2cBus,
    opts: { address?: number } = {},
  ) {
    const address = opts.address ?? 0x48;
    if (!TMP102_ADDRESSES.includes(address)) {
      const show = typeof address === 'number' && Number.isInteger(address) ? `0x${address.toString(16)}` : String(address);
      throw new RangeError(`Tmp102: address ${show} is not allowed: use one of 0x48, 0x49, 0x4a, 0x4b`);
    }
    this.address = address;
  }

  /** A source of the chip's temperature in °C. Closing it leaves the bus open. */
  source(): Tmp102Source {
    const describe = `tmp102@0x${this.address.toString(16)}`;
    let closed = false;
    return {
      describe,
      unit: '°C',
      sample: async () => {
        if (closed) throw new FieldError('ECLOSED', `${describe}: sample() after close()`);
        if (this.#extended === undefined) {
          this.#extended = (swap16(await this.bus.readWord(this.address, TMP102_REG.config)) & TMP102_CONFIG_EM) !== 0;
        }
        const extended = this.#extended;
        const raw = swap16(await this.bus.readWord(this.address, TMP102_REG.temperature));
        if ((raw & 1) !== (extended ? 1 : 0)) {
          this.#extended = undefined;
          throw new FieldError(
            'EPROTO',
            `${describe}: temperature register 0x${raw.toString(16).padStart(4, '0')} has D0=${raw & 1} but EM was ${extended ? 1 : 0}: ` +
              'the format changed since the configuration was read (re-read at the next sample)',
          );
        }
        return decodeTmp102(raw, extended);
      },
      close: () => {
        closed = true;
      },
    };
  }
}
