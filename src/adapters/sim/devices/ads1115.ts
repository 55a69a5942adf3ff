/**
 * TI ADS1115 16-bit ADC model (datasheet SBAS444D "ADS111x", revised Jan 2018), seen from the I²C
 * wire. Written from the datasheet, independently of the driver (src/field/ads1115.ts), so the
 * tests check one against the other.
 *
 * - Registers are 16-bit, MSB first (§9.5.3 Writing To and Reading From the Registers): a write is
 *   [pointer, MSB, LSB]; a write of just [pointer] moves the pointer; reads return MSB, LSB of the
 *   pointed register (repeating) and keep the pointer. Through SMBus `readWord` (little-endian)
 *   the value therefore arrives byte-swapped.
 * - Address Pointer Register P[1:0] (§9.6.1): 00 Conversion, 01 Config, 10 Lo_thresh, 11 Hi_thresh.
 * - 00h Conversion, reset 0000h, read-only (§9.6.2): two's complement, LSB = FSR / 2^15 (§9.3.3);
 *   at or beyond ±FSR it reads 7FFFh / 8000h (§9.5.4 Data Format).
 * - 01h Config, reset 8583h (§9.6.3): OS 15, MUX[14:12], PGA[11:9] (110b, 111b = ±0.256 V),
 *   MODE 8, DR[7:5], COMP_MODE 4, COMP_POL 3, COMP_LAT 2, COMP_QUE[1:0].
 * - Single-shot mode (§9.4.2.1): writing OS = 1 while powered down starts one conversion; OS reads
 *   0 while it runs and 1 once the result is in the conversion register and the device is powered
 *   down again. Writing OS = 1 during a conversion has no effect (§9.6.3).
 * - 02h Lo_thresh reset 8000h, 03h Hi_thresh reset 7FFFh (§9.6.4): stored and read back.
 *
 * Simplifications:
 * - Time is counted in config reads: a conversion completes after `conversionPolls` reads of the
 *   config register (the first `conversionPolls` reads see OS = 0; 0 = done at once). DR only
 *   sets the register bits. The inputs are sampled, with the MUX and PGA of that moment, when the
 *   conversion completes.
 * - Continuous mode (MODE = 0, §9.4.2.2): every read of the conversion register converts afresh,
 *   and OS is taken to read 0 (a conversion is always in progress).
 * - An ideal converter: round to nearest, no noise, offset or gain error. Pin voltages are not
 *   held to the absolute maximum ratings (GND − 0.3 V to VDD + 0.3 V, §7.1), so a single-ended
 *   input below GND gives a negative code here, unlike the real part.
 * - No comparator and no ALERT/RDY pin (§9.3.7, §9.3.8); no general-call reset (§9.5.1.2).
 */
import { Be16RegisterDevice, be16ReadBytes } from '../i2c.ts';

export type Ads1115Pin = 'AIN0' | 'AIN1' | 'AIN2' | 'AIN3';

export const ADS1115_CONFIG_RESET = 0x8583;
export const ADS1115_LO_THRESH_RESET = 0x8000;
export const ADS1115_HI_THRESH_RESET = 0x7fff;

const OS = 0x8000;
const MODE_SINGLE_SHOT = 0x0100;
/** FSR in volts by PGA[11:9] code (§9.3.3). */
const FSR_V = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256] as const;
/** MUX[14:12] code → [AINP, AINN] pin indices; -1 = GND (§9.6.3). */
const MUX_PINS: readonly (readonly [number, number])[] = [[0, 1], [0, 3], [1, 3], [2, 3], [0, -1], [1, -1], [2, -1], [3, -1]];
const PINS: readonly Ads1115Pin[] = ['AIN0', 'AIN1', 'AIN2', 'AIN3'];

export interface Ads1115ModelOptions {
  /** Config reads that see OS = 0 before a single-shot conversion completes; default 0. */
  conversionPolls?: number;
  /** Conversions never complete (OS reads 0 for ever); default false. */
  stuck?: boolean;
}

/** An ideal conversion: `volts` across the inputs to the signed code, rounded to nearest and clipped at ±FSR (§9.3.3). */
export function ads1115Code(volts: number, fsrV: number): number {
  return Math.max(-32768, Math.min(32767, Math.round((volts * 32768) / fsrV)));
}

export class Ads1115Model extends Be16RegisterDevice {
  readonly conversionPolls: number;
  /** Single-shot conversions started (OS = 1 written while powered down). */
  conversionsStarted = 0;
  #pins = [0, 0, 0, 0];
  /** Config bits 14:0 as written; OS is computed from the conversion state. */
  #config = ADS1115_CONFIG_RESET & 0x7fff;
  #conversion = 0;
  #loThresh = ADS1115_LO_THRESH_RESET;
  #hiThresh = ADS1115_HI_THRESH_RESET;
  #busy = false;
  /** Config reads left that see OS = 0 (Infinity when stuck). */
  #busyReadsLeft = 0;
  #stuck: boolean;

  constructor(opts: Ads1115ModelOptions = {}) {
    super(0x3); // pointer bits 7:2 are reserved, written 0 (§9.6.1)
    this.conversionPolls = opts.conversionPolls ?? 0;
    if (!Number.isInteger(this.conversionPolls) || this.conversionPolls < 0) {
      throw new RangeError(`Ads1115Model: conversionPolls must be an integer >= 0, got ${this.conversionPolls}`);
    }
    this.#stuck = opts.stuck ?? false;
  }

  /** Sets the voltage of an analog input pin against GND, in volts. */
  setVolts(input: Ads1115Pin, volts: number): void {
    const i = PINS.indexOf(input);
    if (i < 0) throw new RangeError(`Ads1115Model: input ${String(input)} is not a pin: use one of ${PINS.join(', ')}`);
    if (!Number.isFinite(volts)) throw new RangeError(`Ads1115Model: volts must be finite, got ${volts}`);
    this.#pins[i] = volts;
  }

  /** From now on conversions never complete (`on` = false: they complete again). */
  stuck(on = true): void {
    this.#stuck = on;
    if (this.#busy) {
      this.#busyReadsLeft = on ? Infinity : this.conversionPolls;
      if (this.#busyReadsLeft === 0) this.#complete();
    }
  }

  get #continuous(): boolean {
    return (this.#config & MODE_SINGLE_SHOT) === 0;
  }

  /** The conversion result for the current MUX, PGA and pins, as a register value (§9.5.4). */
  #convert(): number {
    const [p, n] = MUX_PINS[(this.#config >> 12) & 0x7]!;
    const volts = this.#pins[p]! - (n < 0 ? 0 : this.#pins[n]!);
    const fsrV = FSR_V[(this.#config >> 9) & 0x7]!;
    return ads1115Code(volts, fsrV) & 0xffff;
  }

  #start(): void {
    if (this.#busy) return; // OS = 1 during a conversion has no effect (§9.6.3)
    this.conversionsStarted++;
    this.#busy = true;
    this.#busyReadsLeft = this.#stuck ? Infinity : this.conversionPolls;
    if (this.#busyReadsLeft === 0) this.#complete();
  }

  #complete(): void {
    this.#conversion = this.#convert();
    this.#busy = false; // powered down again (§9.4.2.1)
  }

  /** A register's value as the device would send it, without side effects (tests may peek). */
  register(reg: number): number {
    switch (reg & 0x3) {
      case 0:
        return this.#conversion;
      case 1:
        return this.#config | (this.#continuous || this.#busy ? 0 : OS);
      case 2:
        return this.#loThresh;
      default:
        return this.#hiThresh;
    }
  }

  protected writeRegister(reg: number, value: number): void {
    switch (reg) {
      case 0:
        return; // conversion register is read-only
      case 1:
        this.#config = value & 0x7fff;
        if (this.#continuous) this.#busy = false; // the single-shot state no longer applies
        else if (value & OS) this.#start();
        return;
      case 2:
        this.#loThresh = value;
        return;
      default:
        this.#hiThresh = value;
    }
  }

  read(length: number): Uint8Array {
    if (this.pointer === 0 && this.#continuous && length > 0) this.#conversion = this.#convert();
    const value = this.register(this.pointer);
    const out = be16ReadBytes(value, length);
    // One config read is one poll of OS: a busy conversion comes one poll nearer completion.
    if (this.pointer === 1 && this.#busy && length > 0 && --this.#busyReadsLeft <= 0) this.#complete();
    return out;
  }
}
