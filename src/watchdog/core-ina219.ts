/**
 * INA219 register decoding (pure). TI SBOS448G:
 * - §8.5.1: registers are 16-bit big-endian on the wire; SMBus read-word is little-endian, so a
 *   word read through i2c-bus must be byte-swapped first (`swap16`).
 * - §8.6.3.2 bus voltage register 0x02: bits 15..3 hold the voltage, LSB 4 mV; bit 1 CNVR
 *   (conversion ready), bit 0 OVF (math overflow: current and power are invalid).
 * - §8.6.3.1 shunt voltage register 0x01: two's complement, LSB 10 µV (sign-extended for every
 *   PGA range), so current = shunt voltage / shunt resistance without the calibration register.
 */

export const ina219Reg = { config: 0x00, shuntVoltage: 0x01, busVoltage: 0x02, power: 0x03, current: 0x04, calibration: 0x05 } as const;

export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

export interface Ina219Bus {
  busMv: number;
  /** Math overflow: the shunt reading is out of range for the PGA setting. */
  overflow: boolean;
}

/** Decodes the bus voltage register (already in register byte order). */
export function decodeBusVoltage(reg: number): Ina219Bus {
  return { busMv: (reg >> 3) * 4, overflow: (reg & 1) === 1 };
}

/** Decodes the shunt voltage register (register byte order) to µV. */
export function decodeShuntUv(reg: number): number {
  const signed = reg & 0x8000 ? reg - 0x10000 : reg;
  return signed * 10;
}

/** Current in mA through a shunt of `shuntMilliOhm` (µV / mΩ = mA). */
export function shuntCurrentMa(shuntUv: number, shuntMilliOhm: number): number {
  return shuntUv / shuntMilliOhm;
}

/** Inverse of decodeBusVoltage, for simulated devices and tests (register byte order). */
export function encodeBusVoltage(busMv: number, overflow = false): number {
  const code = Math.max(0, Math.min(0x1fff, Math.round(busMv / 4)));
  return (code << 3) | (overflow ? 1 : 0) | 0b10;
}

/** Inverse of decodeShuntUv (register byte order). */
export function encodeShuntUv(shuntUv: number): number {
  const v = Math.max(-32768, Math.min(32767, Math.round(shuntUv / 10)));
  return v < 0 ? v + 0x10000 : v;
}
