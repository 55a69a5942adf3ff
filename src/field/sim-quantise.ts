/**
 * The simulator's reference run through the same converters as the boards: a board under
 * `ftc sim --io` reads a TMP102 to 0.0625 °C and an ADS1115 to FSR/2^15, so the fault-free
 * reference that judges its outputs must see those quantised values too, or a set point crossed
 * a hair earlier counts as a wrong output. Each function here is the device model's conversion
 * followed by the driver's decoding (the same exported functions), per board sample.
 */
import { ads1115Code } from '../adapters/sim/devices/ads1115.ts';
import { tmp102Lsbs } from '../adapters/sim/devices/tmp102.ts';
import { INA219_BUS_LSB_V, INA219_SHUNT_LSB_V } from '../adapters/sim/devices/ina219.ts';
import { decodeBusVoltage, decodeShuntUv, encodeBusVoltage, shuntCurrentMa } from '../watchdog/core-ina219.ts';
import type { SimWorld } from '../sim/plant.ts';
import type { SignalSpec } from '../workload/types.ts';
import { decodeAds1115 } from './ads1115.ts';
import type { FieldConfig, SourceConfig } from './config.ts';
import { TMP102_LSB_C } from './tmp102.ts';

/** What a board reads for a plant value `v` through source `c`. */
export function throughSource(c: SourceConfig | undefined, v: number): number {
  if (!c || !Number.isFinite(v)) return v;
  switch (c.kind) {
    case 'tmp102':
      // Normal (12-bit) mode saturates at 127.9375 °C (SBOS397 §7.3.1).
      return Math.max(-2048, Math.min(2047, tmp102Lsbs(v))) * TMP102_LSB_C;
    case 'ads1115':
      return decodeAds1115(ads1115Code((v - c.offset) / c.gain, c.fsrV) & 0xffff, c.fsrV) * c.gain + c.offset;
    case 'gpio':
      return c.count ? Math.max(0, Math.floor(v)) : v >= 0.5 ? 1 : 0;
    case 'ina219': {
      // The model at its power-on configuration (0x399F: BRNG 32 V, PGA ±320 mV; SBOS448G §8.6.2.1), then the driver's decoding.
      if (c.measure === 'busV') return decodeBusVoltage(encodeBusVoltage(Math.max(0, Math.min(8000, Math.round(v / INA219_BUS_LSB_V))) * 4)).busMv / 1000;
      const shuntRaw = Math.max(-32000, Math.min(32000, Math.round((v * (c.shuntMilliohms / 1000)) / INA219_SHUNT_LSB_V)));
      return shuntCurrentMa(decodeShuntUv(shuntRaw & 0xffff), c.shuntMilliohms) / 1000;
    }
    case 'plant':
      return v;
  }
}

/** The world as the boards' field I/O sees it: every sample through its source's converter. */
export function fieldWorld(world: SimWorld, io: FieldConfig, inputs: readonly SignalSpec[]): SimWorld {
  const sources = inputs.map((s) => io.inputs[s.name]);
  return {
    workload: world.workload,
    plantFor(seed) {
      const p = world.plantFor(seed);
      return { sensorsFor: (board, cycle) => p.sensorsFor(board, cycle).map((v, i) => throughSource(sources[i], v)), step: (o) => p.step(o) };
    },
  };
}
