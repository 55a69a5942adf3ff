// The kernel suite: run inside a QEMU guest on Debian's kernel by `npm run test:kernel`
// (test/kernel/run.ts), against real drivers (softdog, i2c-stub). One process: each node start
// costs seconds under QEMU's TCG.
export default {
  files: ['test/kernel/**/*.kernel.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '120s',
  // The guest's root is read-only (9p): ava's default cache, node_modules/.cache/ava, cannot be
  // created there unless a host run made it first. cache: false puts it in the guest's tmpfs /tmp.
  cache: false,
};
