/**
 * The forensics recorder (pure, bounded): wraps the workload the voter core steps and keeps the
 * last `stepsMax` steps: the agreed inputs, the outputs, the state after (the very bytes the
 * core encoded for its vote digest, so recording costs no extra encode), and the state before
 * whenever it is not the previous step's result (a snapshot installed, or a state changed
 * between cycles: a flipped bit). When the board is outvoted, the shell turns this into a
 * bundle (src/forensics/bundle.ts).
 */
import { Fnv64, type Digest } from '../voter/hash.ts';
import type { StepResult, Workload } from '../workload/types.ts';

export const FORENSICS_STEPS_MAX = 32;

export interface StepRecord {
  inputs: number[];
  outputs: number[];
  /** encode(state stepped from), only when it was not the previous step's result; else null. */
  before: Uint8Array | null;
  /** encode(state after), as the core encoded it for its digest (null: not encoded yet). */
  after: Uint8Array | null;
}

interface Entry<S> extends StepRecord {
  afterState: S | null;
}

export class StepRecorder<S> {
  readonly workload: Workload<S>;
  readonly #ring: Entry<S>[] = [];
  #lastAfter: S | undefined = undefined;

  constructor(readonly inner: Workload<S>, readonly stepsMax = FORENSICS_STEPS_MAX) {
    if (!(Number.isInteger(stepsMax) && stepsMax > 0 && stepsMax <= 1024)) throw new RangeError(`stepsMax ${stepsMax}`);
    const watched = {
      step: (s: S, inputs: readonly number[]): StepResult<S> => {
        const before = s === this.#lastAfter ? null : inner.encode(s);
        const r = inner.step(s, inputs);
        this.#ring.push({ inputs: [...inputs], outputs: [...r.outputs], before, after: null, afterState: r.state });
        if (this.#ring.length > this.stepsMax) this.#ring.shift();
        this.#lastAfter = r.state;
        return r;
      },
      encode: (s: S): Uint8Array => {
        const bytes = inner.encode(s);
        // The digest encodes the newest result first: look back only a few steps.
        for (let i = this.#ring.length - 1; i >= Math.max(0, this.#ring.length - 4); i--) {
          const e = this.#ring[i]!;
          if (e.afterState === s && e.after === null) {
            e.after = bytes;
            e.afterState = null; // the bytes are kept, not the object (a workload may reuse it)
            break;
          }
        }
        return bytes;
      },
    };
    // Every other property of the workload (a class instance's too) reads through as it is.
    this.workload = new Proxy(inner, { get: (t, k, r) => (k === 'step' || k === 'encode' ? watched[k] : Reflect.get(t, k, r)) as unknown });
  }

  /** The recorded steps, oldest first; a state never encoded is encoded now. */
  steps(): StepRecord[] {
    return this.#ring.map((e) => ({ inputs: e.inputs, outputs: e.outputs, before: e.before, after: e.after ?? (e.afterState !== null ? this.inner.encode(e.afterState) : null) }));
  }
}

/** The vote digest of a step, as the voter core computes it (src/voter/core.ts #digest). */
export function stepDigest(r: StepRecord): Digest | null {
  if (r.after === null) return null;
  return new Fnv64().addF64s(r.inputs).addF64s(r.outputs).addBytes(r.after).value();
}
