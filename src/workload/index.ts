export * from './define.ts';
export * from './loader.ts';
export type * from './types.ts';
