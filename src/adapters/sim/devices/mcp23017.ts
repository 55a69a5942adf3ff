/**
 * Microchip MCP23017 16-bit I/O expander model (datasheet DS20001952C), IOCON.BANK = 0 addressing
 * (Table 3-1 and 3-3: A/B registers interleaved, IODIRA 0x00 ... OLATB 0x15), seen from the wire.
 *
 * - IODIR (0x00/0x01), reset 0xFF: a 1 bit is an input (§3.5.1). Every other register resets to 0.
 * - IPOL (0x02/0x03) inverts the GPIO bit of an input (§3.5.2).
 * - GPPU (0x0C/0x0D): 100 kΩ pull-up on an input (§3.5.7): an input left floating reads 1.
 * - GPIO (0x12/0x13) reads the port pins; writing it writes OLAT (§3.5.10).
 * - OLAT (0x14/0x15) drives the pins configured as outputs (§3.5.11).
 * - Address pointer: increments after each byte (IOCON.SEQOP = 0), wrapping after 0x15; with
 *   SEQOP = 1 and BANK = 0 it toggles within the A/B pair (§3.2.1 "Byte mode and Sequential mode").
 *
 * Not modelled: interrupt-on-change (GPINTEN, DEFVAL, INTCON are stored; INTF/INTCAP read 0; no
 * INT pins), and BANK = 1 addressing (writing IOCON with BANK set throws: ftc drivers use BANK 0).
 * Inputs are driven from outside with `drive(port, pin, level)` (null = floating).
 */
import type { Bit } from '../../../ports/gpio.ts';
import type { I2cDeviceModel } from '../i2c.ts';

export const MCP23017_REG = {
  IODIRA: 0x00, IODIRB: 0x01, IPOLA: 0x02, IPOLB: 0x03, GPINTENA: 0x04, GPINTENB: 0x05,
  DEFVALA: 0x06, DEFVALB: 0x07, INTCONA: 0x08, INTCONB: 0x09, IOCON: 0x0a, IOCON2: 0x0b,
  GPPUA: 0x0c, GPPUB: 0x0d, INTFA: 0x0e, INTFB: 0x0f, INTCAPA: 0x10, INTCAPB: 0x11,
  GPIOA: 0x12, GPIOB: 0x13, OLATA: 0x14, OLATB: 0x15,
} as const;
const REG_COUNT = 0x16;
const IOCON_BANK = 0x80;
const IOCON_SEQOP = 0x20;

export type Mcp23017Port = 'A' | 'B';

export class Mcp23017 implements I2cDeviceModel {
  readonly #regs = new Uint8Array(REG_COUNT);
  #pointer = 0;
  /** External drive per port pin: 0, 1, or null (floating). */
  readonly #inputs: Record<Mcp23017Port, Array<Bit | null>> = { A: Array(8).fill(null), B: Array(8).fill(null) };

  constructor() {
    this.reset();
  }

  /** Power-on reset (§1.6 / Table 3-3): IODIR = 0xFF, everything else 0. */
  reset(): void {
    this.#regs.fill(0);
    this.#regs[MCP23017_REG.IODIRA] = 0xff;
    this.#regs[MCP23017_REG.IODIRB] = 0xff;
    this.#pointer = 0;
  }

  /** The outside world drives pin `pin` (0-7) of port A or B; null leaves it floating. */
  drive(port: Mcp23017Port, pin: number, level: Bit | null): void {
    if (!Number.isInteger(pin) || pin < 0 || pin > 7) throw new RangeError(`Mcp23017.drive: pin must be 0-7, got ${pin}`);
    this.#inputs[port][pin] = level;
  }

  /** The level on a pin: OLAT for outputs; the external drive (or pull-up) for inputs. */
  level(port: Mcp23017Port, pin: number): Bit {
    return ((this.#pins(port) >> pin) & 1) as Bit;
  }

  /** Raw register value (for tests and dashboards). */
  register(reg: number): number {
    return this.#readReg(reg);
  }

  #pins(port: Mcp23017Port): number {
    const b = port === 'A' ? 0 : 1;
    const iodir = this.#regs[MCP23017_REG.IODIRA + b]!;
    const gppu = this.#regs[MCP23017_REG.GPPUA + b]!;
    const olat = this.#regs[MCP23017_REG.OLATA + b]!;
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const mask = 1 << i;
      let bit: number;
      if (iodir & mask) bit = this.#inputs[port][i] ?? (gppu & mask ? 1 : 0);
      else bit = olat & mask ? 1 : 0;
      v |= bit << i;
    }
    return v;
  }

  #readReg(reg: number): number {
    if (reg === MCP23017_REG.GPIOA || reg === MCP23017_REG.GPIOB) {
      const b = reg - MCP23017_REG.GPIOA;
      const port: Mcp23017Port = b === 0 ? 'A' : 'B';
      const ipol = this.#regs[MCP23017_REG.IPOLA + b]! & this.#regs[MCP23017_REG.IODIRA + b]!; // IPOL acts on inputs
      return this.#pins(port) ^ ipol;
    }
    if (reg >= MCP23017_REG.INTFA && reg <= MCP23017_REG.INTCAPB) return 0; // interrupts not modelled
    return this.#regs[reg] ?? 0;
  }

  #writeReg(reg: number, value: number): void {
    if (reg >= REG_COUNT) return;
    if (reg === MCP23017_REG.INTFA || reg === MCP23017_REG.INTFB || reg === MCP23017_REG.INTCAPA || reg === MCP23017_REG.INTCAPB) return; // read-only
    if (reg === MCP23017_REG.GPIOA || reg === MCP23017_REG.GPIOB) reg += 2; // GPIO write -> OLAT (§3.5.10)
    if (reg === MCP23017_REG.IOCON || reg === MCP23017_REG.IOCON2) {
      if (value & IOCON_BANK) throw new Error('sim MCP23017: IOCON.BANK = 1 addressing is not modelled; use BANK = 0');
      this.#regs[MCP23017_REG.IOCON] = value;
      this.#regs[MCP23017_REG.IOCON2] = value; // one register at two addresses (Table 3-1)
      return;
    }
    this.#regs[reg] = value;
  }

  #advance(): void {
    if (this.#regs[MCP23017_REG.IOCON]! & IOCON_SEQOP) this.#pointer ^= 1; // byte mode: toggle A/B pair
    else this.#pointer = (this.#pointer + 1) % REG_COUNT;
  }

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#pointer = data[0]! % REG_COUNT;
    for (let i = 1; i < data.length; i++) {
      this.#writeReg(this.#pointer, data[i]!);
      this.#advance();
    }
  }

  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.#readReg(this.#pointer);
      this.#advance();
    }
    return out;
  }
}
