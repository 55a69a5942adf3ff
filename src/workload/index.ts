export * from './tank.ts';
export type * from './types.ts';
