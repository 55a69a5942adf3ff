/**
 * What the lockstep core runs for a checkpoint workload (pure): nothing. No inputs, no outputs,
 * a constant state. The rig's membership (who is in, who is active, voted fencing, rejoin,
 * re-form, service, handover) lives in the lockstep core's votes; running it on this empty
 * workload gives the checkpoint class the very same membership rules, not a second copy of them.
 * It carries the real workload's id, so boards with different workloads still refuse each other.
 */
import type { Workload } from '../workload/types.ts';

const ZERO_DIGEST = { hi: 0, lo: 0 };

export function membershipWorkload(real: Workload<unknown>): Workload<number> {
  return {
    name: `${real.name} (membership)`,
    ...(real.version !== undefined ? { version: real.version } : {}),
    ...(real.id !== undefined ? { id: real.id } : {}),
    inputs: [],
    outputs: [],
    safeOutputs: [],
    init: () => 0,
    step: (s) => ({ state: s, outputs: [] }),
    encode: () => Uint8Array.of(0),
    decode: () => 0,
    digest: () => ZERO_DIGEST,
  };
}
