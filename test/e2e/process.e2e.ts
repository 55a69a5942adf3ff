/**
 * The process class on the whole simulated rig: `ftc sim --process "python3 examples/counter.py"`.
 * The program runs on one board at a time (ftc's own record, dualActive, and the program's own
 * lock: a second instance says DUAL and exits), comes back on another board within a bound when
 * its board dies, hangs or is cut off, and starts from its state directory as of the last sync
 * or later: the count never goes back below what was synced.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from '../helpers/e2e-sim.ts';

// The takeover waits out the old holder's watchdog timeout (1 s in the simulator) after the
// membership has noticed (about 3 cycles at 20 Hz): 1.3 s measured, some slack for a loaded machine.
const outageMsMax = 2000;

async function story(t: ExecutionContext, fault: string, env: Record<string, string> = {}, command = 'python3 examples/counter.py', more?: (starts: number[]) => void) {
  const lock = join(mkdtempSync(join(tmpdir(), 'ftc-dual-')), 'lock');
  process.env.FTC_DUAL_LOCK = lock; // the boards' environment: the program's own check
  Object.assign(process.env, env);
  try {
    const run = await simulate([fault], { process: command, durationMs: 9000 });
    t.log(`${fault}: ${JSON.stringify(run.summary)} (run dir ${run.dir})`);
    const events = run.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const said = events.filter((e) => e.kind === 'stderr').map((e) => `${String(e.board)}: ${String(e.line)}`);
    for (const l of said) t.log(l);
    const summary = { dualActive: -1, restarts: -1, outageMsMax: -1, ...run.summary };
    t.is(summary.dualActive, 0, 'never on two boards (ftc\'s record)');
    t.false(said.some((l) => l.includes('DUAL')), 'never on two boards (the program\'s own lock)');
    t.true(summary.restarts >= 1, 'it was started again after the fault');
    t.true(summary.outageMsMax <= outageMsMax, `outage ${summary.outageMsMax} ms`);
    // The count each instance started from never goes back: a new holder starts from the newest synced state.
    const starts = said.map((l) => /starts at (\d+)/.exec(l)).filter((m) => m !== null).map((m) => Number(m![1]));
    t.true(starts.length >= 2, `instances: ${starts.join(', ')}`);
    for (let i = 1; i < starts.length; i++) t.true(starts[i]! >= starts[i - 1]!, `instance ${i} started at ${starts[i]} after ${starts[i - 1]}`);
    t.true(starts.at(-1)! > 0, 'the new holder started from the replicated state, not from nothing');
    more?.(starts);
  } finally {
    delete process.env.FTC_DUAL_LOCK;
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

test.serial('process class: the holder is killed; the program runs again on another board from its synced state, never on two', (t) => story(t, 'kill:holder@3s'));
test.serial('process class: the holder is frozen for 2 s; its watchdog resets it and the program moves, never on two boards', (t) => story(t, 'hang:holder@3s+2s'));
test.serial('process class: the holder is cut off for 2 s; it stops its program and another board takes over', (t) => story(t, 'partition:b1|b2,b3@3s+2s'));
test.serial('process class: a program that ignores SIGTERM on a holder cut off is killed at once, before the new holder starts it', (t) => story(t, 'partition:b1|b2,b3@3s+2s', { FTC_COUNTER_IGNORE_TERM: '1' }));

test.serial('process class, syncOn mark: only the points the program marks with ftc sync travel; the new holder starts at one of them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-mark-'));
  const cfg = join(dir, 'counter.yaml');
  writeFileSync(cfg, `command: [python3, ${JSON.stringify(fileURLToPath(new URL('../../examples/counter.py', import.meta.url)))}]\nsyncOn: mark\n`);
  await story(t, 'kill:holder@4s', { FTC_COUNTER_MARK_EVERY: '10', FTC_CLI: fileURLToPath(new URL('../../bin/ftc.js', import.meta.url)) }, cfg, (starts) => {
    for (const s of starts) t.is(s % 10, 0, `an instance started at ${s}: not a marked point`);
  });
});

test.serial('process class, watchdogMs: a program that stops sending sd_notify WATCHDOG=1 is killed and started again in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-notify-'));
  const cfg = join(dir, 'counter.yaml');
  writeFileSync(cfg, `command: [python3, ${JSON.stringify(fileURLToPath(new URL('../../examples/counter.py', import.meta.url)))}]\nwatchdogMs: 500\n`);
  process.env.FTC_COUNTER_SILENT_AFTER = '40';
  try {
    const run = await simulate([], { process: cfg, durationMs: 7000 });
    t.log(`${JSON.stringify(run.summary)} (run dir ${run.dir})`);
    const events = run.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = events.filter((e) => e.kind === 'program-ready');
    const silent = events.filter((e) => e.kind === 'program-watchdog');
    const starts = events.filter((e) => e.kind === 'program-start');
    t.true(ready.length >= 1, 'READY=1 heard');
    t.true(silent.length >= 1, 'the silence was caught');
    // silentMs is logged rounded to the millisecond: a silence of 500.3 ms is caught (> 500) and logged as 500.
    t.true((silent[0]!.silentMs as number) >= 500 && (silent[0]!.silentMs as number) < 500 + 200, `caught after ${String(silent[0]!.silentMs)} ms`);
    t.true(starts.length >= 2 && starts.every((s) => s.board === starts[0]!.board), 'started again on the same board');
  } finally {
    delete process.env.FTC_COUNTER_SILENT_AFTER;
  }
});
