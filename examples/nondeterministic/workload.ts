/**
 * Example of what NOT to write: a workload whose step reads the clock and a random number.
 * It exists to show `ftc workload check` rejecting it. Its shape is valid (it loads, and `ftc
 * sim` would start it), but three boards running it compute different outputs and states for the
 * same inputs, so their digests never agree and the rig cannot form a majority: it fails safe.
 * Inputs: [demand (analog 0..1)]. Outputs: [valve (analog 0..1)]. No plant: the simulator feeds
 * it seeded inputs within their ranges.
 *
 * The fix, in a real workload: take randomness from the state (a seeded generator whose seed
 * and position are part of the state) and time from the cycle count, never from the board.
 */
import { defineWorkload } from '../../src/workload/define.ts';

export interface NondeterministicState {
  lastMs: number;
  jitter: number;
}

export default defineWorkload<NondeterministicState>({
  name: 'nondeterministic',
  version: '1',
  inputs: [{ name: 'demand', kind: 'analog', toleranceAbs: 0.02, min: 0, max: 1 }],
  outputs: [{ name: 'valve', kind: 'analog', min: 0, max: 1 }],
  safeOutputs: [0],
  init: () => ({ lastMs: 0, jitter: 0 }),
  step(_state, agreed) {
    // Both of these differ from board to board and from run to run: the bug this example shows.
    const jitter = Math.random() * 0.01;
    const lastMs = Date.now();
    const valve = Math.max(0, Math.min(1, (agreed[0] ?? 0) + jitter));
    return { state: { lastMs, jitter }, outputs: [valve] };
  },
});
