/**
 * Sources and sinks from an `io` section, over whatever chip and bus the caller hands in: the
 * onoff chip and i2c-bus on a board, the simulated chip and bus in the simulator. Nothing here
 * knows which.
 */
import five from 'johnny-five';
import { GpioChipIO } from '../peripherals/j5-io.ts';
import { FieldError, type FieldSink, type FieldSource } from '../ports/field.ts';
import type { Bit, GpioChip, GpioLine } from '../ports/gpio.ts';
import type { I2cBus } from '../ports/i2c.ts';
import { Ina219 } from '../watchdog/ina219.ts';
import type { SignalSpec } from '../workload/types.ts';
import { Ads1115 } from './ads1115.ts';
import type { FieldConfig, SinkConfig, SourceConfig } from './config.ts';
import { Tmp102 } from './tmp102.ts';

export interface FieldHardware {
  chip: GpioChip;
  /** Board-config pin → the chip's pin (the gpiochip base on Raspberry Pi kernels >= 6.6). */
  toChipPin: (pin: number) => number;
  /** The board's I²C bus, opened once; null when no source is on I²C. */
  i2c: I2cBus | null;
}

/** How long to wait for johnny-five's `ready` on the field relays' board. */
const J5_READY_TIMEOUT_MS = 5_000;

function closedError(describe: string): FieldError {
  return new FieldError('ECLOSED', `${describe}: closed`);
}

/** A GPIO line's level (0/1), or the number of edges it has seen since start. */
function gpioSource(hw: FieldHardware, c: Extract<SourceConfig, { kind: 'gpio' }>): FieldSource {
  const chipPin = hw.toChipPin(c.pin);
  const describe = `gpio ${c.pin}${c.count ? ` (${c.count} edges)` : ''}`;
  const line = hw.chip.open(chipPin, 'in', c.count ?? 'none', { activeLow: c.activeLow, debounceMs: c.debounceMs });
  let count = 0;
  let closed = false;
  // The count lives in this process: it starts at 0 on every start, like a hardware counter after reset.
  const unwatch = c.count ? line.watch(() => void count++) : () => {};
  return {
    describe,
    sample: () => {
      if (closed) return Promise.reject(closedError(describe));
      try {
        return Promise.resolve(c.count ? count : line.read());
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      unwatch();
      line.close();
    },
  };
}

function ina219Source(bus: I2cBus, c: Extract<SourceConfig, { kind: 'ina219' }>): FieldSource {
  const chip = new Ina219(bus, c.address, c.shuntMilliohms);
  const describe = `ina219@0x${c.address.toString(16)} ${c.measure}`;
  let closed = false;
  return {
    describe,
    async sample() {
      if (closed) throw closedError(describe);
      const r = await chip.read();
      return c.measure === 'busV' ? r.busMv / 1000 : r.currentMa / 1000;
    },
    close: () => void (closed = true),
  };
}

/** The level a sink drives for a workload value: discrete as is, analog at or above its threshold. */
export function sinkLevel(spec: SignalSpec, c: Extract<SinkConfig, { threshold?: number }>, value: number): Bit {
  if (!Number.isFinite(value)) return 0;
  return (spec.kind === 'discrete' ? value >= 0.5 : value >= (c.threshold ?? 0.5)) ? 1 : 0;
}

function gpioSink(hw: FieldHardware, spec: SignalSpec, c: Extract<SinkConfig, { kind: 'gpio' }>): FieldSink {
  // Opened at its inactive level (raw high for an active-low line: the kernel sets the raw level).
  const line: GpioLine = hw.chip.open(hw.toChipPin(c.pin), c.activeLow ? 'high' : 'low', 'none', { activeLow: c.activeLow });
  const sink = {
    describe: `gpio ${c.pin}`,
    errors: 0,
    write(value: number) {
      try {
        line.write(sinkLevel(spec, c, value));
      } catch {
        sink.errors++;
      }
    },
    close() {
      try {
        line.write(0);
      } catch {
        /* the line is gone: nothing to leave safe */
      }
      line.close();
    },
  };
  return sink;
}

/** Relays as johnny-five `Relay`s over our IO plugin, on a j5 board of their own. */
async function relaySinks(hw: FieldHardware, relays: { spec: SignalSpec; c: Extract<SinkConfig, { kind: 'relay' }> }[]): Promise<FieldSink[]> {
  if (relays.length === 0) return [];
  const lineOptions = new Map(relays.map((r) => [hw.toChipPin(r.c.pin), { activeLow: r.c.activeLow }]));
  const io = new GpioChipIO({ chip: hw.chip, pins: [...lineOptions.keys()], lineOptions, name: 'field relays' });
  const board = new five.Board({ io, repl: false, debug: false, sigint: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      io.close();
      reject(new Error(`johnny-five board for the field relays not ready after ${J5_READY_TIMEOUT_MS} ms`));
    }, J5_READY_TIMEOUT_MS);
    board.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  let open = relays.length;
  return relays.map(({ spec, c }) => {
    const relay = new five.Relay({ board, pin: hw.toChipPin(c.pin), type: 'NO' });
    relay.open();
    const errorsBefore = io.stats.errors;
    let on = false;
    let closed = false;
    return {
      describe: `relay on gpio ${c.pin}`,
      get errors() {
        return io.stats.errors - errorsBefore;
      },
      write(value: number) {
        const want = sinkLevel(spec, c, value) === 1;
        if (want === on) return;
        on = want;
        if (want) relay.close();
        else relay.open();
      },
      close() {
        if (closed) return;
        closed = true;
        relay.open();
        if (--open === 0) io.close();
      },
    };
  });
}

export interface OpenedField {
  /** Per input, in the workload's order; null where the plant carries it. */
  sources: (FieldSource | null)[];
  sinks: (FieldSink | null)[];
}

/**
 * Opens every source and sink of `io` for the workload's signals (checkFieldMapping has passed).
 * A line or bus that cannot be opened throws with its name: nothing half-opened is left behind.
 */
export async function openField(io: FieldConfig, inputs: readonly SignalSpec[], outputs: readonly SignalSpec[], hw: FieldHardware): Promise<OpenedField> {
  const opened: (FieldSource | FieldSink)[] = [];
  try {
    const chips = new Map<number, Ads1115>();
    const tmps = new Map<number, Tmp102>();
    const needBus = (what: string): I2cBus => {
      if (!hw.i2c) throw new Error(`${what}: no I²C bus is open on this board`);
      return hw.i2c;
    };
    const sources = inputs.map((spec): FieldSource | null => {
      const c = io.inputs[spec.name]!;
      let s: FieldSource;
      switch (c.kind) {
        case 'plant': return null;
        case 'gpio': s = gpioSource(hw, c); break;
        case 'ina219': s = ina219Source(needBus(spec.name), c); break;
        case 'tmp102': {
          let t = tmps.get(c.address);
          if (!t) tmps.set(c.address, (t = new Tmp102(needBus(spec.name), { address: c.address })));
          s = t.source();
          break;
        }
        case 'ads1115': {
          let chip = chips.get(c.address);
          if (!chip) chips.set(c.address, (chip = new Ads1115(needBus(spec.name), { address: c.address, fsrV: c.fsrV as never, dataRateSps: c.dataRateSps as never })));
          s = chip.source(c.input, { gain: c.gain, offset: c.offset, unit: spec.unit ?? '' });
          break;
        }
      }
      opened.push(s);
      return s;
    });
    const relays: { index: number; spec: SignalSpec; c: Extract<SinkConfig, { kind: 'relay' }> }[] = [];
    const sinks = outputs.map((spec, index): FieldSink | null => {
      const c = io.outputs[spec.name]!;
      if (c.kind === 'plant') return null;
      if (c.kind === 'relay') {
        relays.push({ index, spec, c });
        return null;
      }
      const s = gpioSink(hw, spec, c);
      opened.push(s);
      return s;
    });
    const relaySinkList = await relaySinks(hw, relays);
    relays.forEach((r, k) => {
      sinks[r.index] = relaySinkList[k]!;
      opened.push(relaySinkList[k]!);
    });
    return { sources, sinks };
  } catch (e) {
    for (const o of opened) await o.close();
    throw e;
  }
}
