/**
 * INA219 power monitor on an I²C bus (driver): bus voltage and shunt current per rail.
 * Decoding and byte order: core-ina219.ts (TI SBOS448G).
 */
import type { I2cBus } from '../ports/i2c.ts';
import { decodeBusVoltage, decodeShuntUv, ina219Reg, shuntCurrentMa, swap16 } from './core-ina219.ts';
import type { RailReading } from './core-psu.ts';

export class Ina219 {
  constructor(
    readonly bus: I2cBus,
    readonly address: number,
    readonly shuntMilliOhm: number,
  ) {
    if (!(shuntMilliOhm > 0)) throw new RangeError(`Ina219: shuntMilliOhm must be > 0, got ${shuntMilliOhm}`);
  }
  /** One reading. Rejects on I²C errors (EREMOTEIO etc.) and on a math overflow (OVF). */
  async read(): Promise<RailReading> {
    const bus = decodeBusVoltage(swap16(await this.bus.readWord(this.address, ina219Reg.busVoltage)));
    if (bus.overflow) {
      throw new Error(
        `INA219 at 0x${this.address.toString(16)}: math overflow (OVF), the shunt voltage is beyond the PGA range; fix: raise the PGA range in the config register or use a smaller shunt`,
      );
    }
    const shuntUv = decodeShuntUv(swap16(await this.bus.readWord(this.address, ina219Reg.shuntVoltage)));
    return { busMv: bus.busMv, currentMa: shuntCurrentMa(shuntUv, this.shuntMilliOhm) };
  }
}
