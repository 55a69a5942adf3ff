/**
 * A board's field I/O: its own sensors and actuator lines, and (for signals mapped to it) the
 * plant over UDP, behind the board's one `ProcessIo`.
 *
 * Sampling runs ahead of the cycle that uses it: `kick(c)` starts one sample of every source
 * for cycle c, and `sensors(c)` hands the voter the samples tagged c. On a board the kick for
 * c + 1 follows `sensors(c)` at once (`kickAhead`), so a value is one period old when it is
 * used, and an I²C transfer has a whole period to finish; in the simulator the plant's reading
 * for c is the sample clock (src/field/sim-bench.ts).
 *
 * A sample that is missing, failed, or outside its signal's declared range is NaN: the voter's
 * agreement treats a non-finite sample as missing (src/voter/agree.ts), so a board whose sensor
 * fails is outvoted on that signal, never crashed. Each case is counted. A sample still in flight
 * from an earlier cycle is not restarted (one transfer per source at a time, so a hung bus cannot
 * pile up requests) and counted as `busy`.
 */
import type { FieldSink, FieldSource } from '../ports/field.ts';
import type { ProcessIo } from '../shell/board.ts';
import type { SignalSpec } from '../workload/types.ts';

/** A sample older than this many cycles is not used (NaN): the sensor stopped answering. */
export const SAMPLE_AGE_CYCLES_MAX = 2;
/**
 * Samples kept per input, by the cycle they were kicked for: a sample clock that runs ahead (the
 * simulator's plant publishes two cycles ahead) must not overwrite the one the voter asks for.
 */
const SLOTS = 4;
/** Distinct error codes counted per source: an unbounded map would grow with odd errnos. */
const ERROR_CODES_MAX = 8;

export interface FieldSignalStats {
  samples: number;
  /** Samples that failed, by error code (EREMOTEIO, ETIMEDOUT, ENOTREADY...). */
  errors: Record<string, number>;
  outOfRange: number;
  /** Cycles handed NaN: no sample young enough, or the sample for the cycle failed or was out of range. */
  missing: number;
  /** Kicks skipped because the previous sample was still in flight. */
  busy: number;
}

export interface FieldIoOptions {
  inputs: readonly SignalSpec[];
  outputs: readonly SignalSpec[];
  /** One per input signal, in order; null where the plant carries the signal. */
  sources: readonly (FieldSource | null)[];
  /** One per output signal, in order; null where the plant carries it. */
  sinks: readonly (FieldSink | null)[];
  /** The plant over UDP, when any signal is mapped to it; it also gets every select line. */
  plant: ProcessIo | null;
  /** Kick the next cycle's samples right after `sensors(c)` (boards); false when a sim bench kicks. */
  kickAhead: boolean;
  /** Told once per failure streak of a source (the event log), so a dead sensor is not a log flood. */
  onFault?: (signal: string, what: string) => void;
}


export class FieldIo implements ProcessIo {
  readonly stats: FieldSignalStats[];
  readonly #o: FieldIoOptions;
  /** Completed samples per input in a ring of SLOTS, by the cycle they were kicked for (slot = cycle mod SLOTS). */
  readonly #slotCycle: number[][];
  readonly #slotValue: number[][];
  readonly #inFlight: boolean[];
  readonly #failing: boolean[];
  readonly #values: number[];

  constructor(o: FieldIoOptions) {
    if (o.sources.length !== o.inputs.length) throw new RangeError(`FieldIo: ${o.sources.length} sources for ${o.inputs.length} inputs`);
    if (o.sinks.length !== o.outputs.length) throw new RangeError(`FieldIo: ${o.sinks.length} sinks for ${o.outputs.length} outputs`);
    if (!o.plant && (o.sources.includes(null) || o.sinks.includes(null))) throw new RangeError('FieldIo: a signal is mapped to the plant but there is no plant link');
    this.#o = o;
    this.stats = o.inputs.map(() => ({ samples: 0, errors: {}, outOfRange: 0, missing: 0, busy: 0 }));
    this.#slotCycle = o.inputs.map(() => new Array<number>(SLOTS).fill(Number.NEGATIVE_INFINITY));
    this.#slotValue = o.inputs.map(() => new Array<number>(SLOTS).fill(Number.NaN));
    this.#inFlight = o.inputs.map(() => false);
    this.#failing = o.inputs.map(() => false);
    this.#values = o.inputs.map(() => Number.NaN);
  }

  /** Starts one sample of every field source for `cycle` (a source still busy is skipped). */
  kick(cycle: number): void {
    const { sources } = this.#o;
    for (let i = 0; i < sources.length; i++) {
      const src = sources[i];
      if (!src) continue;
      if (this.#inFlight[i]) {
        this.stats[i]!.busy++;
        continue;
      }
      this.#inFlight[i] = true;
      src.sample().then(
        (v) => this.#done(i, cycle, v),
        (e: unknown) => this.#failed(i, cycle, e),
      );
    }
  }

  sensors(cycle: number): readonly number[] {
    const { inputs, sources, plant } = this.#o;
    const fromPlant = plant && sources.includes(null) ? plant.sensors(cycle) : null;
    for (let i = 0; i < inputs.length; i++) {
      if (!sources[i]) {
        this.#values[i] = fromPlant?.[i] ?? Number.NaN;
        continue;
      }
      // The sample for this cycle, else the newest earlier one that is young enough.
      const cycles = this.#slotCycle[i]!;
      let best = -1;
      for (let k = 0; k < SLOTS; k++) {
        const sc = cycles[k]!;
        if (sc <= cycle && cycle - sc <= SAMPLE_AGE_CYCLES_MAX && (best < 0 || sc > cycles[best]!)) best = k;
      }
      const v = best < 0 ? Number.NaN : this.#slotValue[i]![best]!;
      if (Number.isNaN(v)) this.stats[i]!.missing++;
      this.#values[i] = v;
    }
    if (this.#o.kickAhead) this.kick(cycle + 1);
    return this.#values;
  }

  present(cycle: number, outputs: readonly number[], safe: boolean, epoch?: number): void {
    const { sinks, plant } = this.#o;
    for (let i = 0; i < sinks.length; i++) sinks[i]?.write(outputs[i]!);
    plant?.present(cycle, outputs, safe, epoch);
  }

  select(cycle: number, board: string | null): void {
    this.#o.plant?.select(cycle, board);
  }

  async close(): Promise<void> {
    for (const s of this.#o.sources) await s?.close();
    for (const s of this.#o.sinks) await s?.close();
  }

  #done(i: number, cycle: number, v: number): void {
    this.#inFlight[i] = false;
    const spec = this.#o.inputs[i]!;
    const st = this.stats[i]!;
    st.samples++;
    // The declared range, widened by the tolerance: a reading just past a limit is noise, far past it a broken sensor.
    const slack = spec.kind === 'analog' ? (spec.toleranceAbs ?? 0) : 0;
    const lo = spec.kind === 'discrete' ? 0 : (spec.min ?? Number.NEGATIVE_INFINITY) - slack;
    const hi = spec.kind === 'discrete' ? 1 : (spec.max ?? Number.POSITIVE_INFINITY) + slack;
    let value = v;
    if (!(Number.isFinite(v) && v >= lo && v <= hi)) {
      st.outOfRange++;
      this.#fault(i, `${this.#o.sources[i]!.describe}: ${v} is outside ${lo}..${hi}`);
      value = Number.NaN;
    } else if (this.#failing[i]) {
      this.#failing[i] = false;
      this.#o.onFault?.(spec.name, `${this.#o.sources[i]!.describe}: reading again`);
    }
    this.#store(i, cycle, value);
  }

  #store(i: number, cycle: number, value: number): void {
    const k = ((cycle % SLOTS) + SLOTS) % SLOTS;
    if (cycle >= this.#slotCycle[i]![k]!) {
      this.#slotCycle[i]![k] = cycle;
      this.#slotValue[i]![k] = value;
    }
  }

  #failed(i: number, cycle: number, e: unknown): void {
    this.#inFlight[i] = false;
    // No value for this cycle: an older good sample must not stand in for a sensor that failed.
    this.#store(i, cycle, Number.NaN);
    const code = (e as { code?: unknown }).code;
    const key = typeof code === 'string' ? code : 'EIO';
    const errors = this.stats[i]!.errors;
    if (Object.hasOwn(errors, key) || Object.keys(errors).length < ERROR_CODES_MAX) errors[key] = (errors[key] ?? 0) + 1;
    else errors.other = (errors.other ?? 0) + 1;
    this.#fault(i, `${this.#o.sources[i]!.describe}: ${e instanceof Error ? e.message : String(e)}`);
  }

  #fault(i: number, what: string): void {
    if (this.#failing[i]) return;
    this.#failing[i] = true;
    this.#o.onFault?.(this.#o.inputs[i]!.name, what);
  }
}
