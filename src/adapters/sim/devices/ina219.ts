/**
 * TI INA219 current/power monitor model (datasheet SBOS448G, Dec 2015), seen from the I²C wire.
 *
 * - Registers are 16-bit, sent most-significant byte first (§8.5.6 "Writing to and Reading from
 *   the INA219"): a write is [pointer, MSB, LSB]; a write of just [pointer] moves the pointer;
 *   reads return MSB, LSB of the pointed register (repeating) and the pointer is kept (§8.5.6).
 *   Through SMBus `readWord`, which is little-endian, the value therefore arrives byte-swapped.
 * - 00h Configuration, reset 399Fh (§8.6.2.1); RST (bit 15) resets every register and self-clears.
 * - 01h Shunt voltage, LSB 10 µV, two's complement, clipped to the PGA range (§8.6.3.1, Table 5).
 * - 02h Bus voltage: BD12..BD0 in bits 15..3 (so the value is `>> 3`), LSB 4 mV; bit 1 CNVR, bit 0
 *   OVF (§8.6.3.2). CNVR is cleared by reading the power register or writing the configuration.
 * - 03h Power = Current × Bus voltage / 5000, LSB = 20 × Current_LSB (§8.5.1).
 * - 04h Current = Shunt voltage × Calibration / 4096 (§8.5.1).
 * - 05h Calibration, reset 0; bit 0 is void and reads 0 (§8.6.4.1). Current and power stay 0 until
 *   it is programmed (Table 4 note 2).
 *
 * Simplifications: a conversion happens when the simulator calls `setBus` (not on a conversion
 * timer); ADC resolution/averaging bits are stored but ignored; the triggered modes behave like the
 * continuous ones; power-down and ADC-off modes keep the last results. Current and power are
 * computed when read, from the stored shunt, bus and calibration values.
 */
import { ina219Reg } from '../../../watchdog/core-ina219.ts';
import { Be16RegisterDevice, be16ReadBytes } from '../i2c.ts';

export const INA219_CONFIG_RESET = 0x399f;
/** Shunt voltage LSB, 10 µV (§8.6.3.1). */
export const INA219_SHUNT_LSB_V = 10e-6;
/** Bus voltage LSB, 4 mV (§8.6.3.2). */
export const INA219_BUS_LSB_V = 0.004;

const toU16 = (v: number): number => v & 0xffff;
const toI16 = (v: number): number => (v << 16) >> 16;

export class Ina219 extends Be16RegisterDevice {
  readonly shuntOhms: number;
  #config = INA219_CONFIG_RESET;
  #calibration = 0;
  /** Last conversion results, in register LSBs (shunt signed, bus unsigned 13-bit). */
  #shuntRaw = 0;
  #busRaw = 0;
  #cnvr = false;
  /** Physics as set by the simulator. */
  #volts = 0;
  #amps = 0;

  constructor(opts: { shuntOhms?: number } = {}) {
    super(0xff);
    this.shuntOhms = opts.shuntOhms ?? 0.1;
    if (!(this.shuntOhms > 0)) throw new RangeError(`Ina219: shuntOhms must be > 0, got ${this.shuntOhms}`);
  }

  /** Moves the physics: bus voltage at IN− (V) and current through the shunt (A); one conversion. */
  setBus(volts: number, amps: number): void {
    this.#volts = volts;
    this.#amps = amps;
    this.#convert();
  }

  #convert(): void {
    const mode = this.#config & 0x7;
    if (mode === 0 || mode === 4) return; // power-down, ADC off: registers keep their values
    if (mode & 1) {
      const pg = (this.#config >> 11) & 0x3; // PGA: ±40/80/160/320 mV (Table 5)
      const limit = 4000 << pg;
      this.#shuntRaw = Math.max(-limit, Math.min(limit, Math.round((this.#amps * this.shuntOhms) / INA219_SHUNT_LSB_V)));
    }
    if (mode & 2) {
      const fullScale = this.#config & 0x2000 ? 8000 : 4000; // BRNG: 32 V or 16 V (§8.6.2.1)
      this.#busRaw = Math.max(0, Math.min(fullScale, Math.round(this.#volts / INA219_BUS_LSB_V)));
    }
    this.#cnvr = true;
  }

  #current(): number {
    return Math.trunc((this.#shuntRaw * this.#calibration) / 4096);
  }
  #power(): number {
    return Math.trunc((Math.abs(this.#current()) * this.#busRaw) / 5000);
  }

  /** A register's value as the device would send it (tests and dashboards may peek). */
  register(reg: number): number {
    switch (reg) {
      case ina219Reg.config:
        return this.#config;
      case ina219Reg.shuntVoltage:
        return toU16(this.#shuntRaw);
      case ina219Reg.busVoltage: {
        const c = this.#current();
        const ovf = c > 32767 || c < -32768 || this.#power() > 0xffff;
        return (this.#busRaw << 3) | (this.#cnvr ? 2 : 0) | (ovf ? 1 : 0);
      }
      case ina219Reg.power:
        return Math.min(0xffff, this.#power());
      case ina219Reg.current:
        return toU16(Math.max(-32768, Math.min(32767, this.#current())));
      case ina219Reg.calibration:
        return this.#calibration;
      default:
        return 0; // unimplemented pointers read 0
    }
  }

  #reset(): void {
    this.#config = INA219_CONFIG_RESET;
    this.#calibration = 0;
    this.#shuntRaw = 0;
    this.#busRaw = 0;
    this.#cnvr = false;
  }

  protected writeRegister(reg: number, value: number): void {
    if (reg === ina219Reg.config) {
      if (value & 0x8000) {
        this.#reset(); // RST self-clears (§8.6.2.1)
        return;
      }
      this.#config = value & 0x7fff; // bit 14 is unused; stored as written
      this.#cnvr = false; // writing the mode clears CNVR (§8.6.3.2); the next `setBus` sets it
    } else if (reg === ina219Reg.calibration) {
      this.#calibration = value & 0xfffe; // FS0 is void (§8.6.4.1)
    }
    // Writes to read-only registers are ignored.
  }

  read(length: number): Uint8Array {
    const value = this.register(this.pointer);
    const out = be16ReadBytes(value, length);
    if (this.pointer === ina219Reg.power && length > 0) this.#cnvr = false; // §8.6.3.2
    return out;
  }
}

/**
 * Calibration arithmetic (§8.5.1) for tests and the simulator. Register decoding (byte swap, bus and
 * shunt voltage) lives with the driver in src/watchdog/core-ina219.ts.
 */
export const ina219Calibration = {
  /** Calibration for a current LSB and shunt: trunc(0.04096 / (Current_LSB × R_shunt)). */
  forCurrentLsb: (currentLsbA: number, shuntOhms: number): number => Math.trunc(0.04096 / (currentLsbA * shuntOhms)),
  /** Current register (big-endian order, two's complement) to amps. */
  currentAmps: (currentReg: number, currentLsbA: number): number => toI16(currentReg) * currentLsbA,
  /** Power register to watts: Power_LSB = 20 × Current_LSB. */
  powerWatts: (powerReg: number, currentLsbA: number): number => powerReg * 20 * currentLsbA,
};
