/**
 * TI TMP102 temperature sensor model (datasheet SBOS397, section numbers of revision F), seen from
 * the I²C wire. Written from the datasheet, independently of the driver (src/field/tmp102.ts).
 *
 * - Registers are 16-bit, MSB first; a write of [pointer] moves the pointer, [pointer, MSB, LSB]
 *   writes; reads return MSB (byte 1), then LSB (byte 2) of the pointed register (repeating) and
 *   keep the pointer (§7.5.1, §7.5.2), so SMBus `readWord` sees them byte-swapped.
 * - Pointer P1:P0 (§7.5.1): 00 Temperature (read-only), 01 Configuration, 10 T_LOW, 11 T_HIGH.
 * - Temperature (§7.3.1, §7.5.2): normal mode 12-bit two's complement in bits 15..4, 0.0625 °C/LSB,
 *   bits 3..0 read 0; Table "Temperature Data Format" gives 25 °C = 190h (1900h left-justified),
 *   −0.25 °C = FFCh, −25 °C = E70h, −55 °C = C90h, and 128 °C as 7FFh: normal mode saturates.
 *   Extended mode (EM = 1, §7.4.2): 13 bits in 15..3 (150 °C = 0960h), bit 0 reads 1.
 * - Configuration (§7.5.3), reset 60A0h. Byte 1: OS 15, R1 R0 14:13 (read-only 11b: 12-bit
 *   resolution), F1 F0 12:11 (fault queue), POL 10, TM 9, SD 8. Byte 2: CR1 CR0 7:6 (conversion
 *   rate, reset 10b = 4 Hz), AL 5 (read-only), EM 4, bits 3..0 read 0.
 * - T_LOW reset 4B00h (75 °C), T_HIGH reset 5000h (80 °C) (§7.5.4), in the temperature format.
 * - AL (§7.4.5 Thermostat Mode, §7.5.3): with POL = 0 it reads 1 until the temperature reaches
 *   T_HIGH, then 0 until it falls below T_LOW; POL = 1 inverts it.
 * - Range: specified −40 to +125 °C, operating −55 to +150 °C (§6.3 Recommended Operating
 *   Conditions, §6.5 Electrical Characteristics); `setCelsius` clamps to −55..+150 °C.
 *
 * Simplifications: a conversion happens when the simulator calls `setCelsius` (not at the CR rate),
 * or at once on a one-shot write (OS = 1 with SD = 1); OS always reads 0. Conversions round to the
 * nearest 0.0625 °C with no sensor error. A change of EM reformats the last conversion at once
 * (the real part waits for its next conversion). AL follows the comparator with a fault queue of
 * one, whatever F1 F0 and TM say; there is no ALERT pin and no SMBus alert response.
 */
import { Be16RegisterDevice, be16ReadBytes } from '../i2c.ts';

export const TMP102_CONFIG_RESET = 0x60a0;
export const TMP102_T_LOW_RESET = 0x4b00;
export const TMP102_T_HIGH_RESET = 0x5000;
/** Operating range, °C (§6.3). */
export const TMP102_MIN_C = -55;
export const TMP102_MAX_C = 150;

const EM = 0x0010;
const AL = 0x0020;
const SD = 0x0100;
const POL = 0x0400;
const OS = 0x8000;
/** Bits the host can write: F1 F0 POL TM SD, CR1 CR0 EM (§7.5.3). OS is a command, not stored. */
const WRITABLE = 0x1f00 | 0x00c0 | EM;
/** R1 R0 = 11b: they always read 1 (§7.5.3). */
const READ_ONLY_ONES = 0x6000;

const LSB_C = 0.0625;

/** An ideal conversion: °C (clamped to the sensor's range) to LSBs of 0.0625 °C, rounded to nearest (§7.3.1). */
export function tmp102Lsbs(celsius: number): number {
  return Math.round(Math.max(TMP102_MIN_C, Math.min(TMP102_MAX_C, celsius)) / LSB_C);
}

export class Tmp102Model extends Be16RegisterDevice {
  #config = TMP102_CONFIG_RESET & WRITABLE;
  #tLow = TMP102_T_LOW_RESET;
  #tHigh = TMP102_T_HIGH_RESET;
  /** Physics as set by the simulator, and the last conversion (°C, in LSBs of 0.0625 °C). */
  #celsius: number;
  #converted: number;
  /** Comparator state: the temperature reached T_HIGH and has not fallen below T_LOW since. */
  #alert = false;

  constructor(opts: { celsius?: number } = {}) {
    super(0x3); // the pointer register's P1:P0 select one of four registers
    this.#celsius = Tmp102Model.#clamp(opts.celsius ?? 25);
    this.#converted = tmp102Lsbs(this.#celsius);
  }

  static #clamp(c: number): number {
    if (!Number.isFinite(c)) throw new RangeError(`Tmp102Model: celsius must be finite, got ${c}`);
    return Math.max(TMP102_MIN_C, Math.min(TMP102_MAX_C, c));
  }

  /** Moves the physics: die temperature in °C (clamped to −55..+150); converts unless shut down. */
  setCelsius(c: number): void {
    this.#celsius = Tmp102Model.#clamp(c);
    if (!(this.#config & SD)) this.#convert();
  }

  #extended(): boolean {
    return (this.#config & EM) !== 0;
  }

  /** A temperature in LSBs to the register format of the current mode (§7.3.1). */
  #encode(lsbs: number): number {
    if (this.#extended()) return ((Math.max(-4096, Math.min(4095, lsbs)) << 3) | 1) & 0xffff;
    return (Math.max(-2048, Math.min(2047, lsbs)) << 4) & 0xffff; // 12 bits: saturate at 127.9375 °C
  }

  /** A limit register to LSBs of 0.0625 °C, in the current mode's format. */
  #decode(reg: number): number {
    return ((reg << 16) >> 16) >> (this.#extended() ? 3 : 4);
  }

  #convert(): void {
    this.#converted = tmp102Lsbs(this.#celsius);
    const t = this.#converted;
    if (t >= this.#decode(this.#tHigh)) this.#alert = true;
    else if (t < this.#decode(this.#tLow)) this.#alert = false;
  }

  /** A register's value as the device would send it, without side effects (tests may peek). */
  register(reg: number): number {
    switch (reg & 0x3) {
      case 0:
        return this.#encode(this.#converted);
      case 1: {
        const al = this.#alert === ((this.#config & POL) !== 0); // POL = 0: AL reads 0 while alerting
        return this.#config | READ_ONLY_ONES | (al ? AL : 0);
      }
      case 2:
        return this.#tLow;
      default:
        return this.#tHigh;
    }
  }

  protected writeRegister(reg: number, value: number): void {
    switch (reg) {
      case 0:
        return; // temperature register is read-only
      case 1:
        this.#config = value & WRITABLE;
        if (value & OS && value & SD) this.#convert(); // one-shot (§7.4.4)
        return;
      case 2:
        this.#tLow = value & (this.#extended() ? 0xfff8 : 0xfff0); // unused low bits read 0 (§7.5.4)
        return;
      default:
        this.#tHigh = value & (this.#extended() ? 0xfff8 : 0xfff0);
    }
  }

  read(length: number): Uint8Array {
    const value = this.register(this.pointer);
    const out = be16ReadBytes(value, length);
    return out;
  }
}
