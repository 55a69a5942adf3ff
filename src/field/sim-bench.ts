/**
 * The bench a simulated board's field I/O is wired to: a simulated I²C bus with a device model
 * behind every I²C source of the `io` mapping, and the board's simulated GPIO chip driven from
 * outside. The simulator's plant is the physics: its reading for a cycle sets the devices (a
 * temperature into the TMP102's register, a voltage on an ADS1115 pin, a level or pulses on a
 * line) and is the sample clock (`feed` kicks the board's samples for that cycle), so the board
 * reads its inputs through the same drivers, register layouts and byte orders as on a real
 * board. Outputs go back to the plant as the sink lines carry them.
 */
import { Ads1115Model } from '../adapters/sim/devices/ads1115.ts';
import { Ina219 as Ina219Model } from '../adapters/sim/devices/ina219.ts';
import { Tmp102Model } from '../adapters/sim/devices/tmp102.ts';
import type { SimGpioChip } from '../adapters/sim/gpio.ts';
import { SimI2cBus } from '../adapters/sim/i2c.ts';
import type { Bit } from '../ports/gpio.ts';
import type { ProcessIo } from '../shell/board.ts';
import type { SignalSpec } from '../workload/types.ts';
import type { FieldConfig } from './config.ts';
import type { FieldIo } from './field-io.ts';
import { sinkLevel } from './open.ts';

/** Pulses emitted on a counter line per reading at most: a plant that jumps by millions is a bug, not a flow. */
const PULSES_PER_FEED_MAX = 100_000;

/**
 * What of an io mapping the bench cannot simulate, one message per entry: a debounced edge
 * counter (the bench gives each pulse at one instant of the board's clock, so the debounce
 * filter would swallow them all).
 */
export function benchProblems(io: FieldConfig, source: string): string[] {
  return Object.entries(io.inputs).flatMap(([name, c]) => c.kind === 'gpio' && c.count && c.debounceMs > 0
    ? [`${source}: io.inputs.${name}.gpio.debounceMs: ${c.debounceMs} on an edge counter cannot be simulated (the simulated pulses are instantaneous); fix: debounceMs: 0 in the file given to ftc sim --io`]
    : []);
}

export class SimFieldBench {
  readonly bus: SimI2cBus;
  /** What to do with each input's plant value: set a device, drive a line. */
  readonly #setters: ((v: number) => void)[];
  #io: FieldIo | null = null;
  /** Inputs whose device keeps its last reading (a `stuck` sensor fault). */
  readonly #frozen = new Set<number>();

  constructor(
    readonly io: FieldConfig,
    readonly inputs: readonly SignalSpec[],
    readonly outputs: readonly SignalSpec[],
    readonly chip: SimGpioChip,
    name: string,
  ) {
    this.bus = new SimI2cBus(name);
    const ads = new Map<number, Ads1115Model>();
    const tmps = new Map<number, Tmp102Model>();
    const inas = new Map<number, { model: Ina219Model; volts: number; amps: number }>();
    this.#setters = inputs.map((spec) => {
      const c = io.inputs[spec.name];
      if (!c || c.kind === 'plant') return () => {};
      switch (c.kind) {
        case 'tmp102': {
          let m = tmps.get(c.address);
          if (!m) {
            tmps.set(c.address, (m = new Tmp102Model()));
            this.bus.attach(c.address, m);
          }
          return (v) => m.setCelsius(v);
        }
        case 'ads1115': {
          let m = ads.get(c.address);
          if (!m) {
            ads.set(c.address, (m = new Ads1115Model()));
            this.bus.attach(c.address, m);
          }
          // The pin voltage that reads as v through the configured gain and offset; a differential input's negative pin at 0 V.
          const [pos] = c.input.split('-') as ['AIN0' | 'AIN1' | 'AIN2' | 'AIN3'];
          return (v) => m.setVolts(pos, (v - c.offset) / c.gain);
        }
        case 'ina219': {
          let r = inas.get(c.address);
          if (!r) {
            inas.set(c.address, (r = { model: new Ina219Model({ shuntOhms: c.shuntMilliohms / 1000 }), volts: 0, amps: 0 }));
            this.bus.attach(c.address, r.model);
          }
          const rail = r;
          return (v) => {
            if (c.measure === 'busV') rail.volts = v;
            else rail.amps = v;
            rail.model.setBus(rail.volts, rail.amps);
          };
        }
        case 'gpio': {
          const raw = (logical: Bit): Bit => (c.activeLow ? ((1 - logical) as Bit) : logical);
          if (!c.count) return (v) => chip.drive(c.pin, raw(v >= 0.5 ? 1 : 0));
          // A counter: as many pulses as the plant's count went up since the last reading.
          let emitted = 0;
          return (v) => {
            const target = Math.floor(v);
            const n = Math.min(target - emitted, PULSES_PER_FEED_MAX);
            for (let k = 0; k < n; k++) {
              chip.drive(c.pin, raw(1));
              chip.drive(c.pin, raw(0));
            }
            if (n > 0) emitted += n;
          };
        }
      }
    });
  }

  /** The board's FieldIo, built over this bench's bus and chip, whose samples `feed` kicks. */
  attach(fieldIo: FieldIo): void {
    this.#io = fieldIo;
  }

  /** The plant's reading for `cycle`: set every device, then start the board's samples for that cycle. */
  feed(cycle: number, values: readonly number[]): void {
    for (let i = 0; i < this.#setters.length; i++) {
      const v = values[i];
      if (v !== undefined && Number.isFinite(v) && !this.#frozen.has(i)) this.#setters[i]!(v);
    }
    this.#io?.kick(cycle);
  }

  /**
   * A sensor fault on `signal` (ftc sim's `sensor:` fault): `nack`, the device stops answering
   * (an I²C chip NACKs its address, so every signal read from that chip fails; a GPIO line is
   * stuck at its low level); `stuck`, the device keeps its last reading; `ok`, repaired. Returns
   * what happened, for the event log; a signal that is not on the bench is a programmer error
   * (the supervisor checked the fault against the mapping).
   */
  fault(signal: string, mode: 'nack' | 'stuck' | 'ok'): string {
    const i = this.inputs.findIndex((s) => s.name === signal);
    const c = this.io.inputs[signal];
    if (i < 0 || !c || c.kind === 'plant') throw new RangeError(`SimFieldBench: ${signal} is not read from a sensor here`);
    if (mode === 'stuck') this.#frozen.add(i);
    else this.#frozen.delete(i);
    if (c.kind === 'gpio') this.chip.stuckAt(c.pin, mode === 'nack' ? 0 : null);
    else if (mode === 'nack') this.bus.injectNack(c.address);
    else this.bus.clearFaults(c.address);
    const where = c.kind === 'gpio' ? `gpio ${c.pin}` : `${c.kind}@0x${c.address.toString(16)}`;
    return mode === 'ok' ? `${signal} (${where}) repaired` : mode === 'nack' ? `${signal} (${where}) ${c.kind === 'gpio' ? 'line broken: stuck low' : 'stops answering'}` : `${signal} (${where}) stuck at its last reading`;
  }

  /**
   * The plant link as the board's field I/O sees it: what reaches the plant for an output on a
   * line is what the line carries. A line at the level the workload's value asks for passes the
   * value on (so the plant's reference still compares like with like); a line at another level
   * (stuck, not driven) passes the level, which the plant then sees as a wrong output.
   */
  plantThroughLines(plant: ProcessIo): ProcessIo {
    const lines = this.outputs.map((spec) => {
      const c = this.io.outputs[spec.name];
      return c && c.kind !== 'plant' ? { spec, c } : null;
    });
    const seen: number[] = [];
    return {
      sensors: (cycle) => plant.sensors(cycle),
      select: (cycle, board) => plant.select(cycle, board),
      present: (cycle, outputs, safe, epoch) => {
        for (let i = 0; i < outputs.length; i++) {
          const l = lines[i];
          const v = outputs[i]!;
          if (!l) seen[i] = v;
          else {
            const physical = this.chip.level(l.c.pin);
            const logical = l.c.activeLow ? 1 - physical : physical;
            seen[i] = logical === sinkLevel(l.spec, l.c, v) ? v : logical;
          }
        }
        plant.present(cycle, seen, safe, epoch);
      },
    };
  }
}
