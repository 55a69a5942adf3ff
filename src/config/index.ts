export * from './board.ts';
export * from './defaults.ts';
export * from './hardware.ts';
export * from './password.ts';
export * from './rig.ts';
export { formatPath, showValue } from './schema.ts';
