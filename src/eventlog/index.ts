export * from './eventlog.ts';
