export * from './agree.ts';
export * from './codec.ts';
export * from './config.ts';
export * from './core.ts';
export * from './hash.ts';
