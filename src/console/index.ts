export * from './backend.ts';
export * from './format.ts';
export * from './line.ts';
export * from './password.ts';
export * from './server.ts';
export * from './session.ts';
export * from './text.ts';
