/**
 * TI ADS1115 16-bit delta-sigma ADC on an I²C bus (driver): one FieldSource per MUX setting.
 *
 * Datasheet TI SBAS444D "ADS111x Ultra-Small, Low-Power, I²C-Compatible, 860-SPS, 16-Bit ADCs"
 * (section numbers of that revision; earlier revisions number the Detailed Description one lower,
 * so §9.6 there is §8.6; the headings are the same):
 * - §9.5.1.1 I²C Address Selection: the ADDR pin picks 0x48 (GND), 0x49 (VDD), 0x4A (SDA), 0x4B (SCL).
 * - §9.5.3 Writing To and Reading From the Registers: 16-bit registers, MSB first. SMBus words are
 *   little-endian, so every `readWord`/`writeWord` is byte-swapped (`swap16`).
 * - §9.6.1 Address Pointer Register: 00h Conversion, 01h Config, 02h Lo_thresh, 03h Hi_thresh.
 * - §9.6.3 Config Register: OS bit 15 (write 1: start a single conversion; read 0: converting,
 *   1: idle), MUX[14:12], PGA[11:9], MODE bit 8 (1 = single-shot / power-down), DR[7:5],
 *   COMP_MODE 4, COMP_POL 3, COMP_LAT 2, COMP_QUE[1:0] (11 = comparator disabled, §9.3.7).
 * - §9.4.2.1 Single-Shot Mode: one conversion per OS write, then the device powers down.
 * - §9.3.3 Full-Scale Range (FSR) and LSB Size, §9.5.4 Data Format: two's complement,
 *   LSB = FSR / 2^15; inputs beyond ±FSR read 7FFFh / 8000h. The FSR is not the input limit: no
 *   pin may go beyond VDD + 0.3 V or below GND − 0.3 V (§7.1 Absolute Maximum Ratings).
 *
 * Bus transactions per sample: 1 config write + at most `pollsMax` config reads + 1 conversion
 * read. A conversion takes 1/DR (DR is ±10 % with the internal oscillator): `pollsMax` reads of
 * bus time must cover it. The default 32 is ample at 860 and 475 SPS; raise it for slow rates.
 */
import { FieldError, type FieldSource } from '../ports/field.ts';
import type { I2cBus } from '../ports/i2c.ts';
import { swap16 } from '../watchdog/core-ina219.ts';

/** The 8 MUX[14:12] settings (§9.6.3): single-ended inputs are measured against GND. */
export type Ads1115Input = 'AIN0' | 'AIN1' | 'AIN2' | 'AIN3' | 'AIN0-AIN1' | 'AIN0-AIN3' | 'AIN1-AIN3' | 'AIN2-AIN3';

/** Register pointers (§9.6.1). */
export const ADS1115_REG = { conversion: 0x00, config: 0x01, loThresh: 0x02, hiThresh: 0x03 } as const;
/** Addresses selectable with the ADDR pin (§9.5.1.1). */
export const ADS1115_ADDRESSES: readonly number[] = [0x48, 0x49, 0x4a, 0x4b];
/** Full-scale range in volts, indexed by the PGA[11:9] code (§9.3.3; codes 110b, 111b repeat 0.256). */
export const ADS1115_FSR_V = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256] as const;
/** Data rate in samples/s, indexed by the DR[7:5] code (§9.6.3). */
export const ADS1115_DATA_RATES_SPS = [8, 16, 32, 64, 128, 250, 475, 860] as const;

export type Ads1115FsrV = (typeof ADS1115_FSR_V)[number];
export type Ads1115DataRateSps = (typeof ADS1115_DATA_RATES_SPS)[number];

/** MUX[14:12] code per input (§9.6.3). */
const MUX: Readonly<Record<Ads1115Input, number>> = {
  'AIN0-AIN1': 0b000,
  'AIN0-AIN3': 0b001,
  'AIN1-AIN3': 0b010,
  'AIN2-AIN3': 0b011,
  AIN0: 0b100,
  AIN1: 0b101,
  AIN2: 0b110,
  AIN3: 0b111,
};
const INPUTS = Object.keys(MUX) as Ads1115Input[];

const CONFIG_OS = 0x8000;
const CONFIG_MODE_SINGLE_SHOT = 0x0100;
/** COMP_QUE = 11b: comparator off, ALERT/RDY high-impedance (§9.3.7); other COMP bits at reset 0. */
const CONFIG_COMP_DISABLED = 0x0003;

const hex = (v: unknown): string => (typeof v === 'number' && Number.isInteger(v) ? `0x${v.toString(16)}` : String(v));

function oneOf<T>(field: string, value: unknown, allowed: readonly T[], show: (v: unknown) => string = String): T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(`Ads1115: ${field} ${show(value)} is not allowed: use one of ${allowed.map(show).join(', ')}`);
  }
  return value as T;
}

function finite(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`Ads1115: ${field} ${String(value)} must be a finite number`);
  return value;
}

/**
 * The config word that starts one single-shot conversion, in register order (before the SMBus
 * byte swap): OS = 1, MUX, PGA, MODE = 1, DR, comparator disabled (§9.6.3).
 */
export function ads1115ConfigWord(input: Ads1115Input, fsrV: Ads1115FsrV, dataRateSps: Ads1115DataRateSps): number {
  const pga = ADS1115_FSR_V.indexOf(fsrV);
  const dr = ADS1115_DATA_RATES_SPS.indexOf(dataRateSps);
  return CONFIG_OS | (MUX[input] << 12) | (pga << 9) | CONFIG_MODE_SINGLE_SHOT | (dr << 5) | CONFIG_COMP_DISABLED;
}

/** Conversion register (register order) to volts: two's complement, LSB = FSR / 2^15 (§9.3.3, §9.5.4). */
export function decodeAds1115(raw: number, fsrV: number): number {
  const signed = raw & 0x8000 ? (raw & 0xffff) - 0x10000 : raw & 0xffff;
  return (signed * fsrV) / 32768;
}

export interface Ads1115Options {
  /** 7-bit address, one of ADS1115_ADDRESSES; default 0x48 (ADDR to GND). */
  address?: number;
  /** PGA full-scale range in volts; default 4.096. */
  fsrV?: Ads1115FsrV;
  /** Data rate in samples/s; default 860 (shortest conversion, 1.16 ms). */
  dataRateSps?: Ads1115DataRateSps;
  /** Config reads that may see OS = 0 before a sample gives up with ENOTREADY; default 32. */
  pollsMax?: number;
}

/** Linear scaling from volts to the signal's unit: value = volts × gain + offset. */
export interface Ads1115Scale {
  gain?: number;
  offset?: number;
  /** Engineering unit of the scaled value, for displays; default 'V'. */
  unit?: string;
}

export interface Ads1115Source extends FieldSource {
  readonly input: Ads1115Input;
  readonly unit: string;
}

/**
 * One ADS1115 chip. Its inputs share one converter, so the chip's sources run their conversions
 * one at a time, in call order, through a promise chain: `sample()` of different sources may be
 * called concurrently. Bus errors (EREMOTEIO, ETIMEDOUT, ...) reject that sample unchanged and do
 * not stop the chain. Constructor options and input names are checked (RangeError naming the
 * field, the value and the allowed values), though config validation should have caught them.
 */
export class Ads1115 {
  readonly address: number;
  readonly fsrV: Ads1115FsrV;
  readonly dataRateSps: Ads1115DataRateSps;
  readonly pollsMax: number;
  /** Tail of the conversion chain; never rejects, so one failed sample does not block the next. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly bus: I2cBus,
    opts: Ads1115Options = {},
  ) {
    this.address = oneOf('address', opts.address ?? 0x48, ADS1115_ADDRESSES, hex);
    this.fsrV = oneOf('fsrV', opts.fsrV ?? 4.096, ADS1115_FSR_V);
    this.dataRateSps = oneOf('dataRateSps', opts.dataRateSps ?? 860, ADS1115_DATA_RATES_SPS);
    this.pollsMax = opts.pollsMax ?? 32;
    if (!Number.isInteger(this.pollsMax) || this.pollsMax < 1) {
      throw new RangeError(`Ads1115: pollsMax ${String(this.pollsMax)} is not allowed: use an integer >= 1`);
    }
  }

  /** A source for one MUX setting, scaled from volts by `scale`. Closing it leaves the bus open. */
  source(input: Ads1115Input, scale: Ads1115Scale = {}): Ads1115Source {
    oneOf('input', input, INPUTS);
    const gain = finite('gain', scale.gain ?? 1);
    const offset = finite('offset', scale.offset ?? 0);
    const describe = `ads1115@${hex(this.address)} ${input}`;
    const config = ads1115ConfigWord(input, this.fsrV, this.dataRateSps);
    let closed = false;
    const checkOpen = (): void => {
      if (closed) throw new FieldError('ECLOSED', `${describe}: sample() after close()`);
    };
    return {
      describe,
      input,
      unit: scale.unit ?? 'V',
      sample: async () => {
        checkOpen();
        const volts = await this.#serialise(() => {
          checkOpen(); // closed while queued behind another source's conversion
          return this.#convert(config, describe);
        });
        return volts * gain + offset;
      },
      close: () => {
        closed = true;
      },
    };
  }

  #serialise<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** One single-shot conversion (§9.4.2.1): start, poll OS, read. Resolves with volts. */
  async #convert(config: number, describe: string): Promise<number> {
    await this.bus.writeWord(this.address, ADS1115_REG.config, swap16(config));
    let done = false;
    for (let poll = 0; poll < this.pollsMax && !done; poll++) {
      done = (swap16(await this.bus.readWord(this.address, ADS1115_REG.config)) & CONFIG_OS) !== 0;
    }
    if (!done) {
      throw new FieldError(
        'ENOTREADY',
        `${describe}: conversion not finished after ${this.pollsMax} polls of the config register (OS still 0); ` +
          `fix: raise pollsMax to cover 1/${this.dataRateSps} s of bus time, or check the device at ${hex(this.address)} is an ADS1115`,
      );
    }
    return decodeAds1115(swap16(await this.bus.readWord(this.address, ADS1115_REG.conversion)), this.fsrV);
  }
}
