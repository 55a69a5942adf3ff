/**
 * ADS1115 and TMP102 drivers (src/field) against their simulated devices (src/adapters/sim/devices),
 * with expected numbers worked out by hand from the datasheets (TI SBAS444D, SBOS397).
 */
import test from 'ava';
import { Ads1115Model } from '../../src/adapters/sim/devices/ads1115.ts';
import { Tmp102Model } from '../../src/adapters/sim/devices/tmp102.ts';
import { SimI2cBus } from '../../src/adapters/sim/i2c.ts';
import { Ads1115, ads1115ConfigWord, type Ads1115Options } from '../../src/field/ads1115.ts';
import { decodeTmp102, Tmp102 } from '../../src/field/tmp102.ts';
import { FieldError } from '../../src/ports/field.ts';
import { swap16 } from '../../src/watchdog/core-ina219.ts';

const ADC = 0x48;
const TMP = 0x49;

function rig(model: ConstructorParameters<typeof Ads1115Model>[0] = {}, opts: Ads1115Options = {}) {
  const bus = new SimI2cBus('field');
  const adc = new Ads1115Model(model);
  const tmp = new Tmp102Model();
  bus.attach(ADC, adc);
  bus.attach(TMP, tmp);
  /** Every writeWord the drivers send, in register byte order. */
  const writes: { addr: number; cmd: number; word: number }[] = [];
  const writeWord = bus.writeWord.bind(bus);
  bus.writeWord = (addr, cmd, word) => (writes.push({ addr, cmd, word: swap16(word) }), writeWord(addr, cmd, word));
  return { bus, adc, tmp, writes, chip: new Ads1115(bus, opts) };
}

/** Big-endian register through SMBus readWord, swapped back (SBAS444D §9.5.3). */
const reg = async (bus: SimI2cBus, addr: number, r: number): Promise<number> => swap16(await bus.readWord(addr, r));
const near = (actual: number, expected: number, tol: number): boolean => Math.abs(actual - expected) <= tol;

test('ADS1115 model powers up with config 8583h, conversion 0, Lo_thresh 8000h, Hi_thresh 7FFFh (SBAS444D §9.6)', async (t) => {
  const { bus } = rig();
  t.deepEqual(await Promise.all([0, 1, 2, 3].map((r) => reg(bus, ADC, r))), [0x0000, 0x8583, 0x8000, 0x7fff]);
});

test('ADS1115 config word follows the §9.6.3 bit layout, sent MSB first', async (t) => {
  // AIN1 vs GND, ±2.048 V, 128 SPS: OS=1 | MUX=101 | PGA=010 | MODE=1 | DR=100 | COMP 0,0,0,QUE=11
  //   = 1101 0101 1000 0011 = D583h.
  t.is(ads1115ConfigWord('AIN1', 2.048, 128), 0xd583);
  // Driver defaults on AIN0: OS=1 | MUX=100 | PGA=001 (4.096) | MODE=1 | DR=111 (860) | 00011
  //   = 1100 0011 1110 0011 = C3E3h.
  const { chip, writes, adc } = rig();
  await chip.source('AIN0').sample();
  t.deepEqual(writes, [{ addr: ADC, cmd: 0x01, word: 0xc3e3 }]);
  t.is(adc.register(1), 0xc3e3, 'the model got the same word, MSB first, and reads OS=1 once done');
  // A differential MUX code: AIN2-AIN3 is 011 -> 1011 0011 1110 0011 = B3E3h.
  t.is(ads1115ConfigWord('AIN2-AIN3', 4.096, 860), 0xb3e3);
});

test('ADS1115 at FSR 4.096 V reads 1.0 V on AIN0 within one LSB (125 µV, §9.3.3)', async (t) => {
  const { chip, adc, bus } = rig();
  adc.setVolts('AIN0', 1.00007); // 1.00007 / 125 µV = 8000.56 -> code 8001 (1F41h)
  const v = await chip.source('AIN0').sample();
  t.is(await reg(bus, ADC, 0), 8001);
  t.true(near(v, 1.0, 125e-6), `got ${v}`);
  t.is(v, (8001 * 4.096) / 32768);
});

test('ADS1115 negative differential AIN0-AIN1 is two\'s complement (§9.5.4)', async (t) => {
  const { chip, adc, bus } = rig({}, { fsrV: 2.048 });
  adc.setVolts('AIN0', 1.2);
  adc.setVolts('AIN1', 1.7); // -0.5 V / 62.5 µV = -8000 = E0C0h
  t.true(near(await chip.source('AIN0-AIN1').sample(), -0.5, 1e-12));
  t.is(await reg(bus, ADC, 0), 0xe0c0);
});

test('ADS1115 clips at full scale: 7FFFh and 8000h (§9.5.4)', async (t) => {
  const { chip, adc } = rig();
  adc.setVolts('AIN0', 5);
  adc.setVolts('AIN3', 5);
  t.is(await chip.source('AIN0').sample(), (4.096 * 32767) / 32768, '+FS x (2^15 - 1) / 2^15 = 4.094875 V');
  t.is(await chip.source('AIN2-AIN3').sample(), -4.096, '-FS');
});

test('ADS1115 sources on one chip sampled concurrently each get their own channel', async (t) => {
  const { chip, adc, bus } = rig({ conversionPolls: 3 }); // a conversion spans 3 busy polls
  const volts = [0.5, 1.0, 1.5, 2.0];
  (['AIN0', 'AIN1', 'AIN2', 'AIN3'] as const).forEach((p, i) => adc.setVolts(p, volts[i]!));
  const before = bus.stats.transfers;
  const got = await Promise.all((['AIN0', 'AIN1', 'AIN2', 'AIN3'] as const).map((p) => chip.source(p).sample()));
  t.deepEqual(got, volts);
  t.is(adc.conversionsStarted, 4, 'no start was lost to a conversion in progress');
  t.is(bus.stats.transfers - before, 4 * (1 + 4 + 1), 'per sample: 1 write, 3 busy + 1 done polls, 1 read');
});

test('ADS1115 NACK rejects that sample with EREMOTEIO; the next sample (queued behind it) succeeds', async (t) => {
  const { chip, adc, bus } = rig();
  adc.setVolts('AIN1', 0.25);
  bus.injectNack(ADC, 1);
  const [a, b] = await Promise.allSettled([chip.source('AIN0').sample(), chip.source('AIN1').sample()]);
  t.is(a.status, 'rejected');
  t.is((a as PromiseRejectedResult).reason.code, 'EREMOTEIO');
  t.deepEqual(b, { status: 'fulfilled', value: 0.25 });
  bus.injectTimeout(ADC, 1);
  await t.throwsAsync(chip.source('AIN1').sample(), { code: 'ETIMEDOUT' });
});

test('ADS1115 stuck converter rejects with ENOTREADY after exactly pollsMax polls', async (t) => {
  const { chip, bus } = rig({ stuck: true }, { pollsMax: 5 });
  const before = bus.stats.transfers;
  const e = await t.throwsAsync(chip.source('AIN2').sample(), { instanceOf: FieldError });
  t.is(e.code, 'ENOTREADY');
  t.regex(e.message, /ads1115@0x48 AIN2/);
  t.is(bus.stats.transfers - before, 1 + 5, 'one config write and pollsMax config reads, no conversion read');
});

test('ADS1115 pollsMax boundary: pollsMax - 1 busy polls succeed, pollsMax busy polls do not', async (t) => {
  t.is(await rig({ conversionPolls: 3 }, { pollsMax: 4 }).chip.source('AIN0').sample(), 0);
  const e = await t.throwsAsync(rig({ conversionPolls: 4 }, { pollsMax: 4 }).chip.source('AIN0').sample());
  t.is((e as FieldError).code, 'ENOTREADY');
});

test('ADS1115 gain and offset: 1-5 V transmitter to 0-100 %', async (t) => {
  const { chip, adc } = rig({}, { fsrV: 6.144 });
  const level = chip.source('AIN3', { gain: 25, offset: -25, unit: '%' });
  adc.setVolts('AIN3', 3.0); // LSB 6.144 V / 2^15 = 187.5 µV: 3.0 V = code 16000 exactly
  t.true(near(await level.sample(), 50, 1e-9));
  adc.setVolts('AIN3', 1.5); // code 8000 -> 1.5 × 25 - 25 = 12.5 %
  t.true(near(await level.sample(), 12.5, 1e-9));
  t.is(level.unit, '%');
  t.is(level.describe, 'ads1115@0x48 AIN3');
});

test('ADS1115 closed source rejects ECLOSED; the chip and bus stay usable', async (t) => {
  const { chip, adc } = rig();
  adc.setVolts('AIN0', 0.125);
  const a = chip.source('AIN0');
  const b = chip.source('AIN0');
  await a.close();
  const e = await t.throwsAsync(a.sample(), { instanceOf: FieldError });
  t.is(e.code, 'ECLOSED');
  t.is(await b.sample(), 0.125);
});

test('ADS1115 bad options and inputs throw RangeError naming the field, value and allowed values', (t) => {
  const bus = new SimI2cBus();
  t.throws(() => new Ads1115(bus, { fsrV: 5 as never }), { instanceOf: RangeError, message: /fsrV 5 .*4\.096/ });
  t.throws(() => new Ads1115(bus, { dataRateSps: 100 as never }), { instanceOf: RangeError, message: /dataRateSps 100 .*860/ });
  t.throws(() => new Ads1115(bus, { address: 0x40 }), { instanceOf: RangeError, message: /address 0x40 .*0x4b/ });
  t.throws(() => new Ads1115(bus, { pollsMax: 0 }), { instanceOf: RangeError, message: /pollsMax 0/ });
  const chip = new Ads1115(bus);
  t.throws(() => chip.source('AIN4' as never), { instanceOf: RangeError, message: /input AIN4 .*AIN2-AIN3/ });
  t.throws(() => chip.source('AIN0', { gain: Number.NaN }), { instanceOf: RangeError, message: /gain NaN/ });
});

test('ADS1115 model: continuous mode converts on every conversion read; OS=1 while busy is ignored', async (t) => {
  const { bus, adc } = rig({ conversionPolls: 2 });
  await bus.writeWord(ADC, 1, swap16(0x4283)); // MUX=100 (AIN0), PGA=001, MODE=0
  adc.setVolts('AIN0', 0.5);
  t.is(await reg(bus, ADC, 0), 4000);
  adc.setVolts('AIN0', -0.5);
  t.is(await reg(bus, ADC, 0), 0x10000 - 4000);
  await bus.writeWord(ADC, 1, swap16(0xc383)); // single-shot start
  await bus.writeWord(ADC, 1, swap16(0xc383)); // again while busy: no effect
  t.is(adc.conversionsStarted, 1);
  t.deepEqual([await reg(bus, ADC, 1), await reg(bus, ADC, 1), await reg(bus, ADC, 1)], [0x4383, 0x4383, 0xc383]);
});

test('TMP102 decode: datasheet temperature data format examples (SBOS397 §7.3.1)', (t) => {
  // 12-bit codes from the table, left-justified (<< 4) as they sit in the register.
  const normal: [number, number][] = [[0x7ff0, 127.9375], [0x6400, 100], [0x1900, 25], [0x0040, 0.25], [0x0000, 0], [0xffc0, -0.25], [0xe700, -25], [0xc900, -55]];
  for (const [raw, c] of normal) t.is(decodeTmp102(raw, false), c, `0x${raw.toString(16)}`);
  // 13-bit codes (<< 3, D0 = 1): 150 °C = 0960h -> 4B01h; 128 °C = 0800h -> 4001h; -55 °C = 1C90h -> E481h.
  const extended: [number, number][] = [[0x4b01, 150], [0x4001, 128], [0x0c81, 25], [0xe481, -55]];
  for (const [raw, c] of extended) t.is(decodeTmp102(raw, true), c, `0x${raw.toString(16)}`);
  t.throws(() => decodeTmp102(0x10000, false), { instanceOf: RangeError });
});

test('TMP102 model powers up with config 60A0h, T_LOW 4B00h (75 °C), T_HIGH 5000h (80 °C) (§7.5.3, §7.5.4)', async (t) => {
  const { bus, tmp } = rig();
  tmp.setCelsius(25);
  t.deepEqual(await Promise.all([0, 1, 2, 3].map((r) => reg(bus, TMP, r))), [0x1900, 0x60a0, 0x4b00, 0x5000]);
  tmp.setCelsius(80); // reaches T_HIGH: AL (bit 5) reads 0 with POL = 0 (§7.4.5)
  t.is(await reg(bus, TMP, 1), 0x6080);
  tmp.setCelsius(76); // between the limits: still alerting (hysteresis)
  t.is((await reg(bus, TMP, 1)) & 0x20, 0);
  tmp.setCelsius(74.9375);
  t.is((await reg(bus, TMP, 1)) & 0x20, 0x20);
});

test('TMP102 driver reads °C, the configuration only at the first sample', async (t) => {
  const { bus, tmp } = rig();
  const s = new Tmp102(bus, { address: TMP }).source();
  tmp.setCelsius(-25.04); // -400.64 LSB -> -401 = -25.0625 °C
  let before = bus.stats.transfers;
  t.is(await s.sample(), -25.0625);
  t.is(bus.stats.transfers - before, 2, 'configuration + temperature');
  tmp.setCelsius(200); // clamped to the +150 °C operating limit; 12-bit format saturates
  before = bus.stats.transfers;
  t.is(await s.sample(), 127.9375);
  t.is(bus.stats.transfers - before, 1, 'temperature only');
  t.is(s.describe, 'tmp102@0x49');
});

test('TMP102 extended mode (EM, bit 4 of the LSB byte) reads up to 150 °C; a format change is caught by D0', async (t) => {
  const { bus, tmp } = rig();
  const s = new Tmp102(bus, { address: TMP }).source();
  tmp.setCelsius(150);
  t.is(await s.sample(), 127.9375, 'normal mode saturates');
  await bus.writeWord(TMP, 1, swap16(0x60b0)); // reset value | EM
  t.is(await reg(bus, TMP, 0), 0x4b01);
  const e = await t.throwsAsync(s.sample(), { instanceOf: FieldError });
  t.is(e.code, 'EPROTO', 'D0 = 1 but the driver learned EM = 0');
  t.is(await s.sample(), 150, 'EM re-learned');
  tmp.setCelsius(-80);
  t.is(await s.sample(), -55, 'clamped to the -55 °C operating limit');
});

test('TMP102 errors: NACK rejects EREMOTEIO, close rejects ECLOSED, bad address RangeError', async (t) => {
  const { bus } = rig();
  const s = new Tmp102(bus, { address: TMP }).source();
  bus.injectNack(TMP, 1);
  await t.throwsAsync(s.sample(), { code: 'EREMOTEIO' });
  t.is(await s.sample(), 25);
  await s.close();
  t.is((await t.throwsAsync(s.sample(), { instanceOf: FieldError })).code, 'ECLOSED');
  t.throws(() => new Tmp102(bus, { address: 0x90 }), { instanceOf: RangeError, message: /address 0x90 .*0x48/ });
});
