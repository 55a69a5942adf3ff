/**
 * The `io:` section of a board config (and of `ftc sim --io FILE`): where each of the workload's
 * input signals comes from and where each output goes, on this board.
 *
 *     io:
 *       inputs:
 *         tempC: { tmp102: { address: 0x48 } }
 *         levelV: { ads1115: { address: 0x49, input: AIN0, fsrV: 4.096, gain: 1 } }
 *         doorClosed: { gpio: { pin: 17, activeLow: true, debounceMs: 5 } }
 *         pulses: { gpio: { pin: 27, count: rising } }
 *         railV: { ina219: { address: 0x41, measure: busV } }
 *         setpoint: { plant: {} }
 *       outputs:
 *         heater: { gpio: { pin: 22 } }
 *         pump: { relay: { pin: 23 } }
 *         flowSetpoint: { plant: {} }
 *
 * Each entry names exactly one kind. I²C devices are on the board's `i2c.bus`. `plant` is the
 * plant over UDP (a lab PC, or the simulator's plant). Checks that need the workload (every
 * signal mapped, no unknown ones, an analog output on a GPIO line has a threshold) are in
 * `checkFieldMapping`, run once the workload is loaded; checks against the rest of the board
 * (pins and addresses used once) are in src/config/board.ts.
 */
import type { SignalSpec } from '../workload/types.ts';
import { ADS1115_DATA_RATES_SPS, ADS1115_FSR_V, type Ads1115Input } from './ads1115.ts';
import {
  INVALID, Issues, bool, closest, int, num, obj, oneOf, optional, withDefault,
  type Path, type Spec,
} from '../config/schema.ts';

/** The ADS1115's eight MUX settings (single-ended and differential inputs). */
export const ADS1115_INPUTS: readonly Ads1115Input[] = ['AIN0', 'AIN1', 'AIN2', 'AIN3', 'AIN0-AIN1', 'AIN0-AIN3', 'AIN1-AIN3', 'AIN2-AIN3'];
export const INA219_MEASURES = ['busV', 'currentA'] as const;

export type SourceConfig =
  | { kind: 'gpio'; pin: number; activeLow: boolean; debounceMs: number; count?: 'rising' | 'falling' | 'both' }
  | { kind: 'ads1115'; address: number; input: Ads1115Input; fsrV: number; dataRateSps: number; gain: number; offset: number }
  | { kind: 'tmp102'; address: number }
  | { kind: 'ina219'; address: number; shuntMilliohms: number; measure: (typeof INA219_MEASURES)[number] }
  | { kind: 'plant' };

export type SinkConfig =
  | { kind: 'gpio'; pin: number; activeLow: boolean; threshold?: number }
  | { kind: 'relay'; pin: number; activeLow: boolean; threshold?: number }
  | { kind: 'plant' };

export interface FieldConfig {
  inputs: Record<string, SourceConfig>;
  outputs: Record<string, SinkConfig>;
}

/** Signals per board: a limit, so a config cannot ask for an unbounded sampling loop. */
export const FIELD_SIGNALS_MAX = 32;

const pin = int({ min: 0, max: 4095 });
const debounceMs = withDefault(int({ min: 0, max: 500, unit: 'ms' }), 0);
const threshold = optional(num({ unit: 'an output at or above it drives the line active' }));

const sourceKinds: Record<SourceConfig['kind'], Spec<Record<string, unknown>>> = {
  gpio: obj({ pin, activeLow: withDefault(bool(), false), debounceMs, count: optional(oneOf(['rising', 'falling', 'both'] as const)) }),
  // ADS1115 ADDR pin to GND/VDD/SDA/SCL gives 0x48-0x4B (SBAS444 §9.5.1.1); TMP102 the same four (SBOS397 §7.5.4).
  ads1115: obj({
    address: int({ min: 0x48, max: 0x4b, hex: true }),
    input: oneOf(ADS1115_INPUTS),
    fsrV: withDefault(num({ choices: ADS1115_FSR_V, unit: 'V' }), 4.096 as number),
    dataRateSps: withDefault(num({ choices: ADS1115_DATA_RATES_SPS, unit: 'samples/s' }), 860 as number),
    gain: withDefault(num({ unit: 'signal units per volt' }), 1),
    offset: withDefault(num({ unit: 'signal units' }), 0),
  }),
  tmp102: obj({ address: int({ min: 0x48, max: 0x4b, hex: true }) }),
  ina219: obj({
    address: int({ min: 0x40, max: 0x4f, hex: true }),
    shuntMilliohms: withDefault(int({ min: 1, max: 10_000, unit: 'mΩ' }), 100),
    measure: oneOf(INA219_MEASURES),
  }),
  plant: obj({}),
};

const sinkKinds: Record<SinkConfig['kind'], Spec<Record<string, unknown>>> = {
  gpio: obj({ pin, activeLow: withDefault(bool(), false), threshold }),
  relay: obj({ pin, activeLow: withDefault(bool(), false), threshold }),
  plant: obj({}),
};

/** `{ <kind>: {...} }` with exactly one kind. */
function oneKind<T>(kinds: Record<string, Spec<Record<string, unknown>>>, what: string): Spec<T> {
  const names = Object.keys(kinds);
  const expect = `one of ${names.map((k) => `{ ${k}: {...} }`).join(', ')}`;
  return {
    expect,
    read(value, path, issues) {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1) {
        issues.add(path, value, `is not one ${what}`, `write ${expect}`);
        return INVALID;
      }
      const [kind, body] = Object.entries(value as Record<string, unknown>)[0]!;
      const spec = kinds[kind];
      if (!spec) {
        const near = closest(kind, names);
        issues.add([...path, kind], body, `is not a known ${what}`, near ? `write ${near} (a typo?)` : `use one of ${names.join(', ')}`);
        return INVALID;
      }
      const r = spec.read(body ?? {}, [...path, kind], issues);
      return r === INVALID ? INVALID : ({ kind, ...r } as T);
    },
  };
}

function signalMap<T>(item: Spec<T>): Spec<Record<string, T>> {
  return {
    expect: 'a mapping from signal name to its source or sink',
    read(value, path, issues) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        issues.add(path, value, 'is not a mapping', 'write one entry per signal, e.g. tempC: { tmp102: { address: 0x48 } }');
        return INVALID;
      }
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > FIELD_SIGNALS_MAX) {
        issues.add(path, entries.length, `signals are more than ${FIELD_SIGNALS_MAX}`, `map at most ${FIELD_SIGNALS_MAX}`);
        return INVALID;
      }
      const out: Record<string, T> = {};
      let bad = false;
      for (const [name, v] of entries) {
        const r = item.read(v, [...path, name], issues);
        if (r === INVALID) bad = true;
        else out[name] = r;
      }
      return bad ? INVALID : out;
    },
  };
}

export const fieldSpec: Spec<FieldConfig> = obj({
  inputs: withDefault(signalMap(oneKind<SourceConfig>(sourceKinds, 'source')), {}),
  outputs: withDefault(signalMap(oneKind<SinkConfig>(sinkKinds, 'sink')), {}),
}) as Spec<FieldConfig>;

/** The GPIO pins and I²C addresses an `io` section uses, for the board's one-use checks. */
export function fieldResources(io: FieldConfig): { pins: { path: Path; value: number; what: string }[]; addresses: { path: Path; value: number; what: string }[] } {
  const pins: { path: Path; value: number; what: string }[] = [];
  const addresses: { path: Path; value: number; what: string }[] = [];
  const visit = (side: 'inputs' | 'outputs', name: string, c: SourceConfig | SinkConfig) => {
    const path: Path = ['io', side, name, c.kind];
    if ('pin' in c) pins.push({ path: [...path, 'pin'], value: c.pin, what: `io.${side}.${name}` });
    // Every ADS1115 input of one chip shares its address: one entry per chip.
    if ('address' in c && !(c.kind === 'ads1115' && addresses.some((a) => a.value === c.address && a.what.startsWith('ADS1115')))) {
      addresses.push({ path: [...path, 'address'], value: c.address, what: c.kind === 'ads1115' ? `ADS1115 (io.${side}.${name})` : `io.${side}.${name}` });
    }
  };
  for (const [n, c] of Object.entries(io.inputs)) visit('inputs', n, c);
  for (const [n, c] of Object.entries(io.outputs)) visit('outputs', n, c);
  return { pins, addresses };
}

/** Does anything in `io` go through the plant over UDP? (then `ftc run` needs `--plant`) */
export function usesPlant(io: FieldConfig | undefined): boolean {
  return !io || [...Object.values(io.inputs), ...Object.values(io.outputs)].some((c) => c.kind === 'plant');
}

/**
 * The mapping against the workload's signals: every input has a source and every output a sink,
 * no entry names a signal the workload does not have, a discrete input is not an analog
 * converter's, an analog output on a line has a threshold. One message per problem, each with
 * its fix; [] when the mapping fits.
 */
export function checkFieldMapping(io: FieldConfig, inputs: readonly SignalSpec[], outputs: readonly SignalSpec[], source = 'io'): string[] {
  const issues = new Issues(source);
  const side = (what: 'inputs' | 'outputs', specs: readonly SignalSpec[], mapped: Record<string, SourceConfig | SinkConfig>) => {
    const names = specs.map((s) => s.name);
    for (const s of specs) {
      if (!Object.hasOwn(mapped, s.name)) {
        const example = what === 'inputs' ? (s.kind === 'discrete' ? '{ gpio: { pin: <GPIO> } }' : '{ ads1115: { address: 0x48, input: AIN0 } }') : '{ gpio: { pin: <GPIO> } }';
        issues.add(['io', what, s.name], undefined, `has no ${what === 'inputs' ? 'source' : 'sink'} (the workload ${what === 'inputs' ? 'reads' : 'drives'} ${s.kind} signal ${s.name})`, `add io.${what}.${s.name}: ${example}, or { plant: {} }`);
      }
    }
    for (const [name, c] of Object.entries(mapped)) {
      const spec = specs.find((s) => s.name === name);
      if (!spec) {
        const near = closest(name, names);
        issues.add(['io', what, name], c.kind, `is not one of the workload's ${what} (${names.join(', ') || 'none'})`, near ? `rename it to ${near} (a typo?) or remove it` : 'remove it');
        continue;
      }
      const path: Path = ['io', what, name, c.kind];
      if (what === 'inputs' && spec.kind === 'discrete' && (c.kind === 'ads1115' || c.kind === 'tmp102' || c.kind === 'ina219')) {
        issues.add(path, c.kind, `measures an analog value but ${name} is discrete`, 'read a discrete signal from a gpio line, or declare the signal analog in the workload');
      }
      if (what === 'inputs' && spec.kind === 'discrete' && c.kind === 'gpio' && 'count' in c && c.count) {
        issues.add([...path, 'count'], c.count, `counts edges but ${name} is discrete (0 or 1)`, 'remove count to read the level, or declare the signal analog with a tolerance');
      }
      if (what === 'outputs' && spec.kind === 'analog' && (c.kind === 'gpio' || c.kind === 'relay') && !('threshold' in c && c.threshold !== undefined)) {
        issues.add([...path, 'threshold'], undefined, `is required: ${name} is analog and a ${c.kind} is on or off`, `add threshold: <the value of ${name} at and above which the line is driven>`);
      }
    }
  };
  side('inputs', inputs, io.inputs);
  side('outputs', outputs, io.outputs);
  // One ADS1115 has one converter: its inputs are read at one range and rate (the driver is per chip).
  const chips = new Map<number, { name: string; fsrV: number; dataRateSps: number }>();
  for (const [name, c] of Object.entries(io.inputs)) {
    if (c.kind !== 'ads1115') continue;
    if (c.gain === 0) issues.add(['io', 'inputs', name, 'ads1115', 'gain'], 0, 'makes the signal a constant', 'write the signal units per volt (e.g. 0.4545 for 1.2 m over 2.64 V); a negative gain inverts');
    const first = chips.get(c.address);
    if (!first) chips.set(c.address, { name, fsrV: c.fsrV, dataRateSps: c.dataRateSps });
    else if (first.fsrV !== c.fsrV || first.dataRateSps !== c.dataRateSps) {
      issues.add(['io', 'inputs', name, 'ads1115'], { fsrV: c.fsrV, dataRateSps: c.dataRateSps }, `differs from ${first.name} on the same chip (0x${c.address.toString(16)}: fsrV ${first.fsrV}, dataRateSps ${first.dataRateSps})`, `give every input of one ADS1115 the same fsrV and dataRateSps, or strap a second chip to another address`);
    }
  }
  return issues.messages;
}

/** Reads an `io` mapping on its own (ftc sim --io FILE): the config or every problem found. */
export function readFieldConfig(data: unknown, source: string): { ok: true; io: FieldConfig } | { ok: false; errors: string[] } {
  const issues = new Issues(source);
  const body = data !== null && typeof data === 'object' && !Array.isArray(data) && 'io' in data ? (data as { io: unknown }).io : data;
  const r = fieldSpec.read(body, ['io'], issues);
  return r === INVALID || !issues.ok ? { ok: false, errors: issues.messages } : { ok: true, io: r };
}

