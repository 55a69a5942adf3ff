/**
 * The tank example (examples/tank/workload.ts) as the tests use it: loaded by the same loader as
 * `ftc sim`, its world (its own plant) at the core simulator's period.
 */
import { fileURLToPath } from 'node:url';
import { simWorld } from '../../src/sim/plant.ts';
import { defaultVoterConfig } from '../../src/voter/config.ts';
import { loadWorkload } from '../../src/workload/loader.ts';

export const TANK_PATH = fileURLToPath(new URL('../../examples/tank/workload.ts', import.meta.url));
export const tank = await loadWorkload(TANK_PATH);
export const tankWorkload = tank.workload;
/** The tank's world at the core simulator's default period. */
export const tankWorld = simWorld(tank, defaultVoterConfig.periodMs / 1000);
