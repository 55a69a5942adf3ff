import { voterTimingFor } from '../voter/timing.ts';

/**
 * `ftc sim`'s default cycle rate: the highest this kind of machine (2 cores, three board
 * processes, the plant and the pty relays on them) holds with margin. `npm run bench -- rig`
 * measures it (maskedRate); the figures behind the choice are in docs/timing.md.
 */
export const SIM_RATE_HZ_DEFAULT = 20;

/** The simulator's boards run the same timing as real ones (src/voter/timing.ts). */
export const simVoterTiming = voterTimingFor;
