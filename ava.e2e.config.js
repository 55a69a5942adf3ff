// End-to-end runs of the multi-process simulator: real time, real processes, so one at a time
// and after the unit tests (a loaded machine makes deadlines slip).
export default {
  files: ['test/e2e/**/*.e2e.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '120s',
};
