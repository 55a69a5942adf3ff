export * from './plant.ts';
export * from './prng.ts';
export * from './sim.ts';
export * from './swarm.ts';
