export * from './eventlog.ts';
export * from './memory-log.ts';
