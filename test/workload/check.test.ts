import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { SIM_RATE_HZ_DEFAULT } from '../../src/rig/sim-timing.ts';
import { CHECK_NAMES, checkExitCode, checkWorkload, formatCheckReport, stepTimeFigures, type CheckName, type CheckOptions, type WorkloadCheckReport } from '../../src/workload/check.ts';
import { installGuards, runTrial } from '../../src/workload/check-runner.ts';
import { loadWorkload } from '../../src/workload/loader.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/workloads/${name}`, import.meta.url));
const tank = fileURLToPath(new URL('../../examples/tank/workload.ts', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/ftc.js', import.meta.url));

const check = (path: string, o: Partial<CheckOptions> = {}) =>
  // At 1 Hz the step-time budget is 100 ms: these tests run ~30 processes at once on two cores,
  // and a timing verdict belongs to the one test about it (slow-step), not to every fixture.
  checkWorkload(path, { rateHz: 1, cycles: 2000, seed: 1, ...o });

/** Exactly the named checks fail; every other check that ran passed. */
function onlyFails(t: ExecutionContext, r: WorkloadCheckReport, ...failing: CheckName[]): void {
  const summary = formatCheckReport(r);
  for (const name of failing) t.true(r.checks.some((c) => c.name === name && !c.ok), `${name} should fail:\n${summary}`);
  for (const c of r.checks) if (!failing.includes(c.name)) t.true(c.ok, `${c.name} should pass:\n${summary}`);
  t.false(r.ok);
}

const detailOf = (r: WorkloadCheckReport, name: CheckName) => r.checks.find((c) => c.name === name)!;

test('the tank example passes every check', async (t) => {
  const r = await check(tank);
  t.true(r.ok, formatCheckReport(r));
  t.deepEqual(r.checks.map((c) => c.name), [...CHECK_NAMES]);
  t.is(r.identity?.name, 'tank-pid');
  t.regex(detailOf(r, 'step-time').detail, /p50 .* p99 .* max /);
  t.regex(detailOf(r, 'deterministic').detail, /2000 cycles/);
  t.is(checkExitCode(r), 0);
});

test('a plain .mjs workload with no imports and the default encoding passes', async (t) => {
  const r = await check(fixture('plain.mjs'), { cycles: 500 });
  t.true(r.ok, formatCheckReport(r));
});

test('a step calling Math.random fails no-time-random-io, naming the call and the cycle', async (t) => {
  const r = await check(fixture('random-step.mjs'));
  onlyFails(t, r, 'no-time-random-io');
  const c = detailOf(r, 'no-time-random-io');
  t.is(c.detail, 'step called Math.random at cycle 3');
  t.regex(c.fix ?? '', /seed a PRNG kept in the state/);
  // The run stopped there; the other checks say over how much they passed.
  t.regex(detailOf(r, 'round-trip').detail, /over 3 of 2000 cycles .*no-time-random-io/);
  t.is(checkExitCode(r), 1);
});

test('a step calling Date.now fails no-time-random-io, even when it swallows the error', async (t) => {
  const r = await check(fixture('date-step.mjs'), { cycles: 100 });
  onlyFails(t, r, 'no-time-random-io');
  t.is(detailOf(r, 'no-time-random-io').detail, 'step called Date.now at cycle 0');
  t.regex(detailOf(r, 'no-time-random-io').fix ?? '', /time as an input/);
});

test('a Date in a state with no encode/decode fails round-trip, naming the field', async (t) => {
  const r = await check(fixture('date-in-state.mjs'), { cycles: 100 });
  onlyFails(t, r, 'round-trip');
  t.regex(detailOf(r, 'round-trip').detail, /cycle 5: .*state\.since: a Date cannot be encoded/);
  t.regex(detailOf(r, 'round-trip').fix ?? '', /plain data/);
});

test('an encode/decode pair that drops a field fails round-trip: the decoded state steps differently', async (t) => {
  const r = await check(fixture('lossy-codec.mjs'), { cycles: 100 });
  onlyFails(t, r, 'round-trip');
  t.regex(detailOf(r, 'round-trip').detail, /stepping decode\(encode\(s\)\) gave other outputs/);
});

test('a Map in the state fails round-trip: it decodes as a plain object step cannot use', async (t) => {
  const r = await check(fixture('map-in-state.mjs'), { cycles: 100 });
  onlyFails(t, r, 'round-trip');
  t.regex(detailOf(r, 'round-trip').detail, /step \(of the decoded state\) threw/);
});

test('a module without step fails loads (exit 2) and nothing else runs', async (t) => {
  const r = await check(fixture('no-step.mjs'));
  t.deepEqual(r.checks.map((c) => [c.name, c.ok]), [['loads', false]]);
  t.regex(r.checks[0]!.detail, /step: missing or not a function/);
  t.regex(r.checks[0]!.fix ?? '', /give step:/);
  t.is(r.identity, null);
  t.is(checkExitCode(r), 2);
});

test('a safe output outside its range fails loads and safe-outputs', async (t) => {
  const r = await check(fixture('bad-safe.mjs'));
  t.deepEqual(r.checks.map((c) => [c.name, c.ok]), [['loads', false], ['safe-outputs', false]]);
  t.regex(detailOf(r, 'safe-outputs').detail, /^safeOutputs\[0\]: 2 is outside pump's range 0\.\.1/);
  t.is(checkExitCode(r), 2);
});

test('a step that depends on a per-process value fails deterministic at the first cycle that differs', async (t) => {
  const r = await check(fixture('per-process.mjs'), { cycles: 50 });
  onlyFails(t, r, 'deterministic');
  t.regex(detailOf(r, 'deterministic').detail, /^cycle 7: the outputs differ between two processes/);
});

test('a slow step fails step-time at a high rate and passes at a low one', async (t) => {
  const [fast, slow] = await Promise.all([
    check(fixture('slow-step.mjs'), { rateHz: 1000, cycles: 40 }),
    check(fixture('slow-step.mjs'), { rateHz: 1, cycles: 40 }),
  ]);
  onlyFails(t, fast, 'step-time');
  t.regex(detailOf(fast, 'step-time').detail, /p99 .* exceeds 100 µs \(10% of the 1\.0 ms period at 1000 Hz\); the board also runs the protocol/);
  t.true(slow.ok, formatCheckReport(slow));
});

test('a step returning a non-integer discrete output fails step-outputs', async (t) => {
  const r = await check(fixture('bad-outputs.mjs'), { cycles: 50 });
  onlyFails(t, r, 'step-outputs');
  t.regex(detailOf(r, 'step-outputs').detail, /^step at cycle 10: outputs\[0\] \(valve\): 0\.5 is not an integer/);
});

test('a step that never returns: the processes are killed at the timeout and step-time says so', async (t) => {
  const r = await check(fixture('hang.mjs'), { cycles: 50, timeoutMs: 1500 });
  onlyFails(t, r, 'step-time');
  t.regex(detailOf(r, 'step-time').detail, /did not finish: no result within 1\.5 s/);
});

// The guards, in this process (fast): each thing reached is named, and everything is put back.
const reaches: Array<[string, string]> = [
  ['new Date()', 'new Date()'], ['Date()', 'Date()'], ['performance.now', 'performance.now'],
  ['crypto.getRandomValues', 'crypto.getRandomValues'], ['crypto.randomUUID', 'crypto.randomUUID'], ['crypto.randomBytes', 'crypto.randomBytes'],
  ['setTimeout', 'setTimeout'], ['setImmediate', 'setImmediate'], ['queueMicrotask', 'queueMicrotask'],
  ['process.env', 'process.env'], ['process.hrtime.bigint', 'process.hrtime.bigint'],
  ['fs.readFileSync', 'fs.readFileSync'], ['net.createConnection', 'net.createConnection'],
];
for (const [reach, named] of reaches) {
  test(`a step reaching ${reach} is stopped, named, and the guards are removed after`, async (t) => {
    const { workload } = await loadWorkload(fixture('reaches.mjs'), { reach });
    const saved = { Date, random: Math.random, now: performance.now, proc: globalThis.process, readFileSync: fs.readFileSync, setTimeout };
    const r = await runTrial(workload, 1, 20);
    t.is(r.reached?.detail, `step called ${named} at cycle 2`);
    t.deepEqual(r.stopped, { cycle: 2, check: 'no-time-random-io' });
    t.is(r.cyclesRun, 2);
    t.is(globalThis.Date, saved.Date);
    t.is(Math.random, saved.random);
    t.is(performance.now, saved.now);
    t.is(globalThis.process, saved.proc);
    t.is(fs.readFileSync, saved.readFileSync);
    t.is(globalThis.setTimeout, saved.setTimeout);
  });
}

test('init reaching the clock is named as init', async (t) => {
  const { workload } = await loadWorkload(fixture('reaches.mjs'), { reach: 'Date()', inInit: true });
  const r = await runTrial(workload, 1, 20);
  t.is(r.reached?.detail, 'init called Date()');
  t.is(r.cyclesRun, 0);
});

test('outside a workload call the guards let everything through', (t) => {
  const undo = installGuards();
  try {
    t.true(Date.now() > 0);
    t.true(new Date().getTime() > 0);
    t.true(Math.random() < 1);
    t.true(fs.existsSync(bin));
    t.is(typeof process.pid, 'number');
  } finally {
    undo();
  }
});

test('the human report has one line per check, ok or FAIL, with the fix', async (t) => {
  const r = await check(fixture('random-step.mjs'), { cycles: 20 });
  const lines = formatCheckReport(r).trimEnd().split('\n');
  t.is(lines.length, 1 + CHECK_NAMES.length + 1);
  t.regex(lines[0]!, /^workload .*random-step\.mjs \(random-step@0#[0-9a-f]{16}\)$/);
  t.regex(lines.find((l) => l.startsWith('  FAIL'))!, /^ {2}FAIL {2}no-time-random-io {2}step called Math\.random at cycle 3; fix: /);
  t.is(lines.filter((l) => /^ {2}ok /.test(l)).length, CHECK_NAMES.length - 1);
  t.is(lines.at(-1), 'FAIL: 1 of 7 checks failed');
});

/** `ftc …` as a user runs it, from another directory, on the TypeScript sources. */
function ftc(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: os.tmpdir(), env: { ...process.env, FTC_NO_BUILD: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('ftc workload check --json: exit 0 when every check passes, 1 when one fails, 2 when the module does not load', async (t) => {
  const [ok, failing, noLoad] = await Promise.all([
    ftc(['workload', 'check', fixture('plain.mjs'), '--json', '--cycles', '300']),
    ftc(['workload', 'check', fixture('random-step.mjs'), '--json', '--cycles', '300']),
    ftc(['workload', 'check', fixture('no-step.mjs'), '--json']),
  ]);
  t.is(ok.code, 0, ok.stderr + ok.stdout);
  const okReport = JSON.parse(ok.stdout) as WorkloadCheckReport;
  t.deepEqual(Object.keys(okReport), ['path', 'identity', 'checks', 'ok']);
  t.true(okReport.ok);
  t.is(failing.code, 1, failing.stderr);
  const failReport = JSON.parse(failing.stdout) as WorkloadCheckReport;
  t.deepEqual(failReport.checks.filter((c) => !c.ok).map((c) => c.name), ['no-time-random-io']);
  t.is(noLoad.code, 2, noLoad.stderr);
  t.regex((JSON.parse(noLoad.stdout) as WorkloadCheckReport).checks[0]!.detail, /step: missing/);
});

test('ftc workload check: a bad option or a missing file is exit 2 with a message naming it', async (t) => {
  const [badCycles, badOptions, missing] = await Promise.all([
    ftc(['workload', 'check', fixture('plain.mjs'), '--cycles', '0']),
    ftc(['workload', 'check', fixture('plain.mjs'), '--options', '[1]']),
    ftc(['workload', 'check', 'no/such/workload.mjs']),
  ]);
  t.is(badCycles.code, 2);
  t.regex(badCycles.stderr, /--cycles must be an integer from 1 to 100000/);
  t.is(badOptions.code, 2);
  t.regex(badOptions.stderr, /--options.*not a JSON object/);
  t.is(missing.code, 2);
  t.regex(missing.stdout, /FAIL {2}loads {2}.*no such file.*fix: give the path of a \.js, \.mjs or \.ts module/);
});

test('ftc workload check --help describes every option and check', async (t) => {
  let stdout = '';
  const code = await main(['node', 'ftc', 'workload', 'check', '--help'], { out: (s) => (stdout += s), err: () => {} });
  t.is(code, 0);
  for (const w of ['<path>', '--rate-hz', '--cycles', '--seed', '--options', '--json', ...CHECK_NAMES, 'Exit 0']) t.true(stdout.includes(w), `${w} in:\n${stdout}`);
});

test('step-time figures sort numerically and take each cycle\'s faster process, so one process stalled once does not fail a cheap step', (t) => {
  // Lexicographic order would put 95 after 1340 and call it the max.
  const a = [814, 1340, 95, 900, 133_900];
  const b = [820, 1300, 97, 880, 850];
  const f = stepTimeFigures(a, b)!;
  t.is(f.max, 1300);
  t.is(f.p50, 850);
  // A cost both processes pay stays in the figures.
  t.is(stepTimeFigures([10, 50_000], [12, 49_000])!.max, 49_000);
  t.is(stepTimeFigures([], [1]), null);
});
