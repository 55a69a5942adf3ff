// The hardware-in-the-loop suite (test/hil, hw/HIL.md): real boards driven over their serial
// consoles, one scenario at a time (each one faults the whole rig). Without FTC_HIL_RIG it
// registers a single test saying why nothing ran.
export default {
  files: ['test/hil/**/*.hil.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '180s',
};
