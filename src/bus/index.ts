/**
 * The bus: framing, authentication, replay protection and redundant links. Pure modules only;
 * node:crypto's MacFn is in './auth-node.ts' and the in-memory ports in './testing.ts'.
 */
export * from './cobs.ts';
export * from './crc32c.ts';
export * from './decoder.ts';
export * from './frame.ts';
export * from './linkset.ts';
export * from './msgtypes.ts';
export * from './replay.ts';
