/**
 * The public workload API: what a user's workload module exports, and `defineWorkload`, which
 * only adds types and checks the shape. A module's default export is the workload (a plain
 * object, or a function of the config's `workload.options` returning one); it may also export
 * `plant`, the simulated world the simulator runs it against (src/workload/types.ts PlantFactory).
 *
 * ```js
 * export default {
 *   name: 'thermostat', version: '1',
 *   inputs: [{ name: 'tempC', kind: 'analog', toleranceAbs: 0.5, min: -20, max: 80 }],
 *   outputs: [{ name: 'heater', kind: 'discrete' }],
 *   safeOutputs: [0],
 *   init: () => ({ on: false }),
 *   step: (s, [t]) => { const on = s.on ? t < 21 : t < 19; return { state: { on }, outputs: [on ? 1 : 0] }; },
 * };
 * ```
 */
import type { PlantFactory, SignalSpec } from './types.ts';

export type { PlantFactory, PlantModel, PlantContext, SignalSpec } from './types.ts';
/** Stateless seeded noise in [-1, 1) keyed by (seed, cycle, stream), for plants: every board reads the same sample. */
export { keyedNoise } from '../sim/prng.ts';

/** The workload as its author writes it: encode/decode are optional (ftc's deterministic CBOR by default). */
export const WORKLOAD_CLASSES = ['lockstep', 'checkpoint'] as const;
export type WorkloadClass = (typeof WORKLOAD_CLASSES)[number];

export interface WorkloadDefinition<S> {
  readonly name: string;
  readonly version?: string;
  readonly inputs: readonly SignalSpec[];
  readonly outputs: readonly SignalSpec[];
  /** Outputs the rig holds when it fails safe; one per output signal. */
  readonly safeOutputs: readonly number[];
  /** The state every board starts from (and a re-form after a total loss starts from). */
  init(): S;
  /**
   * How the rig runs it. `lockstep` (the default): on every board in lockstep, outputs voted
   * 2-out-of-3; `step` must then be a pure, synchronous function. `checkpoint`: on one board,
   * the primary, its state checkpointed to the others after every epoch and its outputs released
   * once a backup has the checkpoint (src/checkpoint/core.ts); `step` may read clocks, call
   * services, use randomness, and return a Promise.
   */
  readonly class?: WorkloadClass;
  /** One control cycle: a pure function of the state and the inputs the boards agreed (lockstep). */
  step(state: S, agreedInputs: readonly number[]): { state: S; outputs: number[] } | Promise<{ state: S; outputs: number[] }>;
  /** The state as bytes (identical on every board for identical states); with decode, or neither. */
  encode?(state: S): Uint8Array;
  decode?(bytes: Uint8Array): S;
}

/** A module's default export: the workload, or a function of the config's options returning it. */
export type WorkloadExport<S> = WorkloadDefinition<S> | ((options: Readonly<Record<string, unknown>>) => WorkloadDefinition<S>);

export interface WorkloadModule<S = unknown> {
  default: WorkloadExport<S>;
  plant?: PlantFactory;
}

/** A workload that is not shaped as the contract says: the field, what is wrong, and the fix. */
export class WorkloadShapeError extends Error {
  constructor(readonly field: string, problem: string, readonly fix: string) {
    super(`${field}: ${problem}; fix: ${fix}`);
    this.name = 'WorkloadShapeError';
  }
}

/** Limits on a workload's shape: a frame carries every input and output of a cycle (src/voter/codec.ts). */
export const SIGNALS_MAX = 64;
const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function checkSignals(field: 'inputs' | 'outputs', xs: unknown): void {
  if (!Array.isArray(xs)) throw new WorkloadShapeError(field, 'missing or not an array', `give ${field}: [{ name: 'x', kind: 'analog' | 'discrete' }, ...]`);
  if (xs.length > SIGNALS_MAX) throw new WorkloadShapeError(field, `${xs.length} signals`, `keep at most ${SIGNALS_MAX}`);
  const seen = new Set<string>();
  xs.forEach((s: Partial<SignalSpec> | null, i) => {
    const at = `${field}[${i}]`;
    if (typeof s !== 'object' || s === null) throw new WorkloadShapeError(at, 'not an object', "give { name: 'x', kind: 'analog' | 'discrete' }");
    if (typeof s.name !== 'string' || !NAME_RE.test(s.name)) throw new WorkloadShapeError(`${at}.name`, `${JSON.stringify(s.name)} is not a name`, 'use a letter, then letters, digits, _ . - (at most 64)');
    if (seen.has(s.name)) throw new WorkloadShapeError(`${at}.name`, `${s.name} appears twice`, 'give each signal its own name');
    seen.add(s.name);
    if (s.kind !== 'analog' && s.kind !== 'discrete') throw new WorkloadShapeError(`${at}.kind`, `${JSON.stringify(s.kind)}`, "use 'analog' or 'discrete'");
    for (const k of ['toleranceAbs', 'min', 'max'] as const) {
      const v = s[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new WorkloadShapeError(`${at}.${k}`, `${JSON.stringify(v)} is not a finite number`, `give a number, or leave ${k} out`);
    }
    if (s.toleranceAbs !== undefined && s.toleranceAbs < 0) throw new WorkloadShapeError(`${at}.toleranceAbs`, 'negative', 'give a tolerance >= 0');
    if (s.min !== undefined && s.max !== undefined && !(s.min < s.max)) throw new WorkloadShapeError(`${at}.min`, `min ${s.min} is not below max ${s.max}`, 'give min < max');
  });
}

/** Checks a workload's shape (not its determinism: `ftc workload check` runs it). Throws WorkloadShapeError. */
export function checkWorkloadShape(w: unknown): asserts w is WorkloadDefinition<unknown> {
  if (typeof w !== 'object' || w === null) throw new WorkloadShapeError('default export', 'not an object', 'export default { name, inputs, outputs, safeOutputs, init, step }');
  const d = w as Partial<WorkloadDefinition<unknown>>;
  if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) throw new WorkloadShapeError('name', `${JSON.stringify(d.name)} is not a name`, "give name: 'my-workload' (a letter, then letters, digits, _ . -)");
  if (d.version !== undefined && (typeof d.version !== 'string' || d.version.length > 64)) throw new WorkloadShapeError('version', `${JSON.stringify(d.version)}`, "give version: '1.0' (a string of at most 64 characters), or leave it out");
  checkSignals('inputs', d.inputs);
  checkSignals('outputs', d.outputs);
  if (typeof d.init !== 'function') throw new WorkloadShapeError('init', 'missing or not a function', 'give init: () => initialState');
  if (typeof d.step !== 'function') throw new WorkloadShapeError('step', 'missing or not a function', 'give step: (state, inputs) => ({ state, outputs })');
  if (d.class !== undefined && !WORKLOAD_CLASSES.includes(d.class)) throw new WorkloadShapeError('class', `${JSON.stringify(d.class)} is not a workload class`, `give class: ${WORKLOAD_CLASSES.map((c) => `'${c}'`).join(' or ')}, or leave it out (lockstep)`);
  const safe = d.safeOutputs;
  if (!Array.isArray(safe) || safe.length !== d.outputs!.length || safe.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new WorkloadShapeError('safeOutputs', `${JSON.stringify(safe)} is not one finite number per output (${d.outputs!.length})`, 'give safeOutputs: [the value each output takes when the rig fails safe]');
  }
  d.outputs!.forEach((o, i) => {
    const v = safe[i]!;
    if (o.kind === 'discrete' && !Number.isInteger(v)) throw new WorkloadShapeError(`safeOutputs[${i}]`, `${v} for discrete output ${o.name}`, 'give an integer');
    if ((o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) throw new WorkloadShapeError(`safeOutputs[${i}]`, `${v} is outside ${o.name}'s range ${o.min ?? '-inf'}..${o.max ?? 'inf'}`, 'give a safe value inside the range');
  });
  if ((d.encode === undefined) !== (d.decode === undefined)) {
    throw new WorkloadShapeError(d.encode === undefined ? 'encode' : 'decode', 'given without its pair', 'give both encode and decode, or neither (ftc then encodes the state as deterministic CBOR)');
  }
  for (const k of ['encode', 'decode'] as const) if (d[k] !== undefined && typeof d[k] !== 'function') throw new WorkloadShapeError(k, 'not a function', `give ${k} as a function, or leave it out`);
}

/** Types a workload and checks its shape; returns it unchanged. */
export function defineWorkload<S>(w: WorkloadDefinition<S>): WorkloadDefinition<S> {
  checkWorkloadShape(w);
  return w;
}
