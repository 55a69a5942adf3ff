import type { Digest } from '../voter/hash.ts';

/**
 * The workload contract: a deterministic state machine replicated on every board.
 * `step` must be a pure function of (state, agreedInputs): same bytes in, same bytes out, on every
 * board, every time (no time, randomness or I/O), because the boards compare digests of its result.
 */
export interface SignalSpec {
  readonly name: string;
  /** analog: mid-value select with `toleranceAbs`; discrete: exact majority. */
  readonly kind: 'analog' | 'discrete';
  /** For analog inputs: two samples further apart than this are a disagreement (alarm, masked). */
  readonly toleranceAbs?: number;
  /** The signal's range (analog): a sample outside it is a bad sample; the simulator's inputs stay inside. */
  readonly min?: number;
  readonly max?: number;
  /** The unit, for the console and reports only (e.g. 'degC', 'm'). */
  readonly unit?: string;
}

export interface StepResult<S> {
  readonly state: S;
  readonly outputs: number[];
}

export interface Workload<S> {
  readonly name: string;
  /** The workload's own version (boards whose versions differ refuse to form a rig). */
  readonly version?: string;
  /**
   * 32 bits of a hash of its name, version and code (set by the loader): carried in every Join,
   * and a board whose Join names another workload is never let in (0: not given).
   */
  readonly id?: number;
  /** lockstep (undefined too) or checkpoint: see WorkloadDefinition.class in src/workload/define.ts. */
  readonly class?: 'lockstep' | 'checkpoint';
  readonly inputs: readonly SignalSpec[];
  readonly outputs: readonly SignalSpec[];
  /** Outputs held when the rig fails safe (duplex mismatch, no majority). */
  readonly safeOutputs: readonly number[];
  init(): S;
  step(state: S, agreedInputs: readonly number[]): StepResult<S>;
  /** The step of a checkpoint workload, which may be asynchronous (the primary awaits it). */
  stepAsync?(state: S, agreedInputs: readonly number[]): Promise<StepResult<S>>;
  encode(state: S): Uint8Array;
  /** Throws on bytes that are not a valid encoding (a snapshot is CRC-checked before this). */
  decode(bytes: Uint8Array): S;
  /**
   * A digest of the state. The loader gives FNV-1a 64 of encode(state) (a module's definition
   * has no digest of its own). A Workload built by hand may return a Digest, or a number: an
   * integer holding at least 32 bits of its own hash, used as is (src/voter/hash.ts
   * digestOfNumber); read it through toDigest. The vote digest is not this one: the voter hashes
   * the agreed inputs, the outputs and encode(next state) itself, always with FNV-1a 64.
   */
  digest(state: S): Digest | number;
}

/**
 * The simulated world a workload runs against in `ftc sim` and the swarm: deterministic from its
 * seed. Timing: the outputs of cycle j are applied when the output stage closes cycle j
 * (`step`); the sample read for cycle j+2 reflects them (one cycle of actuation and sensing
 * pipeline), so a board sampling at its cycle start never races the actuator update.
 */
export interface PlantModel {
  /** The sample board `board` (0-based) reads at the start of `cycle`: one value per input signal. */
  sensorsFor(board: number, cycle: number): readonly number[];
  /** Apply the outputs accepted for the next cycle; null: nobody drove it, the safe outputs apply. */
  step(outputs: readonly number[] | null): void;
}

/** What a workload module's `plant` export is called with. */
export interface PlantContext {
  seed: number;
  /** The module's options (config `workload.options`), as given to `init`. */
  options: Readonly<Record<string, unknown>>;
  /** The control period (s), for physics that integrates over time. */
  periodS: number;
}

export type PlantFactory = (ctx: PlantContext) => PlantModel;
