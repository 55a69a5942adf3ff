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
}

export interface StepResult<S> {
  readonly state: S;
  readonly outputs: number[];
}

export interface Workload<S> {
  readonly name: string;
  readonly inputs: readonly SignalSpec[];
  readonly outputs: readonly SignalSpec[];
  /** Outputs held when the rig fails safe (duplex mismatch, no majority). */
  readonly safeOutputs: readonly number[];
  init(): S;
  step(state: S, agreedInputs: readonly number[]): StepResult<S>;
  encode(state: S): Uint8Array;
  /** Throws on bytes that are not a valid encoding (a snapshot is CRC-checked before this). */
  decode(bytes: Uint8Array): S;
  digest(state: S): number;
}
