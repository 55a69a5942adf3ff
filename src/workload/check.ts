/**
 * `ftc workload check`: runs a workload module the way the boards will, and says what would go
 * wrong on the rig before it is deployed.
 *
 * The workload runs in two separate OS processes (src/workload/check-runner.ts), never in this
 * one: two processes are what it takes to see a step that depends on something other than its
 * state and inputs (a value read when the module loads, a pid, the environment), and a child that
 * loops forever or crashes can be killed and reported instead of taking the command down. Each
 * child loads the module, runs init and step over the same seeded inputs with time, randomness,
 * timers, process and I/O made to throw, and reports a digest per cycle, its step times and the
 * first problem of each kind; this side compares the two runs and turns them into checks, each
 * with its detail and its fix.
 */
import { fork } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { workloadIdentityString, type WorkloadIdentity } from './loader.ts';
import type { SignalSpec } from './types.ts';

/** In the order they are reported. */
export const CHECK_NAMES = ['loads', 'deterministic', 'round-trip', 'step-time', 'no-time-random-io', 'safe-outputs', 'step-outputs'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface WorkloadCheckReport {
  /** The module's absolute path. */
  path: string;
  /** Null when the module did not load. */
  identity: WorkloadIdentity | null;
  checks: CheckResult[];
  ok: boolean;
}

export interface CheckOptions {
  /** The rate the step time is judged at (the rig's cycles per second). */
  rateHz: number;
  cycles: number;
  /** Seed of the inputs (src/sim/signal-plant.ts). */
  seed: number;
  /** The workload's options (as workload.options in a board config). */
  options?: Readonly<Record<string, unknown>>;
  /** Each child process is killed when its run takes longer than this once loaded (a step that never returns). */
  timeoutMs?: number;
  /** Relative paths are resolved from here. */
  cwd?: string;
  /** Check as this class (default: the module's own `class`, else lockstep). */
  asClass?: 'lockstep' | 'checkpoint';
}

export const CHECK_CYCLES_DEFAULT = 2000;
/** More cycles than this say little more and make the digests sent back large (16 bytes a cycle). */
export const CHECK_CYCLES_MAX = 100_000;
/** Each child has this long to run the cycles once it has loaded the module... */
export const CHECK_TIMEOUT_MS_DEFAULT = 60_000;
/** ... and this long to load it. */
const LOAD_TIMEOUT_MS = 60_000;
/** Of the period, what a step (with encode) may take: the board spends the rest on the protocol. */
export const STEP_BUDGET_FRACTION = 0.1;
/** What is kept of a child's stdout and stderr, for the report when it dies. */
const CHILD_OUTPUT_TAIL_CHARS = 2000;

// ---- What a child process is given and reports (check-runner.ts) ----

export interface TrialParams {
  path: string;
  options: Readonly<Record<string, unknown>>;
  seed: number;
  cycles: number;
  /** Check it as this class instead of the one the module declares. */
  asClass?: 'lockstep' | 'checkpoint';
}

/** A problem found at a cycle (-1: in init), with its fix. */
export interface Problem {
  cycle: number;
  detail: string;
  fix: string;
}

export interface TrialResult {
  cycles: number;
  /** Cycles stepped to the end (a problem in the primary path stops the run). */
  cyclesRun: number;
  /** Per cycle: 8 hex digits of SHA-256 of encode(state after the step), 8 of the outputs (float64). */
  digests: string[];
  /** Why the run stopped early, and which check says more; null: it ran every cycle. */
  stopped: { cycle: number; check: CheckName } | null;
  roundTrip: Problem | null;
  reached: Problem | null;
  outputs: Problem | null;
  /** Time of step + encode per cycle stepped, µs (one per cycle run, at most `cycles`). */
  stepTimesUs: number[];
}

export type TrialMessage =
  | { kind: 'load-failed'; message: string }
  | { kind: 'loaded'; path: string; identity: WorkloadIdentity; inputs: SignalSpec[]; outputs: SignalSpec[]; safeOutputs: number[]; class: 'lockstep' | 'checkpoint' }
  | { kind: 'result'; result: TrialResult };

// ---- Checks on values, shared with the child ----

/** Why `v` is not a valid value of the signal, or null. */
export function signalValueProblem(spec: SignalSpec, v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${String(v)} is not a finite number`;
  if (spec.kind === 'discrete' && !Number.isInteger(v)) return `${v} is not an integer (${spec.name} is discrete)`;
  if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return `${v} is outside ${spec.name}'s range ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`;
  return null;
}

/** Why a list is not one valid value per output signal, or null. */
export function outputsProblem(specs: readonly SignalSpec[], outputs: unknown): string | null {
  if (!Array.isArray(outputs)) return `outputs is ${clip(JSON.stringify(outputs) ?? String(outputs), 80)}, not an array`;
  if (outputs.length !== specs.length) return `${outputs.length} outputs, the workload declares ${specs.length}`;
  for (let i = 0; i < specs.length; i++) {
    const p = signalValueProblem(specs[i]!, outputs[i]);
    if (p) return `outputs[${i}] (${specs[i]!.name}): ${p}`;
  }
  return null;
}

export function clip(s: string, maxChars: number): string {
  return s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s;
}

// ---- Running the two children ----

interface ChildOutcome {
  loadFailed: string | null;
  loaded: Extract<TrialMessage, { kind: 'loaded' }> | null;
  result: TrialResult | null;
  /** The child died or was killed before its result: how, and the end of what it printed. */
  failure: string | null;
  timedOut: boolean;
}

/** The runner next to this file: compiled JavaScript in dist/, or the TypeScript source through tsx. */
function runnerCommand(): { file: string; execArgv: string[] } {
  if (import.meta.url.endsWith('.ts')) {
    // An absolute URL of tsx's loader: `--import tsx` would be resolved from the working directory.
    return { file: new URL('./check-runner.ts', import.meta.url).pathname, execArgv: ['--import', import.meta.resolve('tsx')] };
  }
  return { file: new URL('./check-runner.js', import.meta.url).pathname, execArgv: [] };
}

function runChild(params: TrialParams, timeoutMs: number, cwd: string): Promise<ChildOutcome> {
  const { file, execArgv } = runnerCommand();
  const o: ChildOutcome = { loadFailed: null, loaded: null, result: null, failure: null, timedOut: false };
  return new Promise((resolveOutcome) => {
    const child = fork(file, [JSON.stringify(params)], { execArgv, cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let tail = '';
    const keep = (d: Buffer) => { tail = (tail + d.toString()).slice(-CHILD_OUTPUT_TAIL_CHARS); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Loading has its own limit: under load (many checks at once) starting node and tsx is slow.
    const limit = (ms: number, what: string) => setTimeout(() => {
      o.timedOut = true;
      o.failure = `no ${what} within ${ms / 1000} s (killed)`;
      child.kill('SIGKILL');
    }, ms);
    let timer = limit(LOAD_TIMEOUT_MS, 'answer');
    child.on('message', (raw) => {
      const m = raw as TrialMessage;
      if (typeof m !== 'object' || m === null) return;
      if (m.kind === 'loaded') {
        o.loaded = m;
        clearTimeout(timer);
        timer = limit(timeoutMs, 'result');
      }
      else if (m.kind === 'load-failed') o.loadFailed = String(m.message);
      else if (m.kind === 'result') o.result = m.result;
      // It has said all it will: it need not linger (a timer the module left would keep it alive).
      if (m.kind !== 'loaded') child.kill('SIGKILL');
    });
    child.on('error', (e) => { o.failure ??= `could not run ${file}: ${e.message}`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (o.result === null && o.loadFailed === null && o.failure === null) {
        // The error's own line says more than the end of its stack.
        const lines = tail.trim().split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l));
        const last = lines.find((l) => /\b\w*Error\b/.test(l)) ?? lines.slice(-3).join(' | ');
        o.failure = `the process running it exited (${signal ?? `code ${code}`}) before reporting${last ? `: ${clip(last, 600)}` : ''}`;
      }
      resolveOutcome(o);
    });
  });
}

// ---- From the two runs to the checks ----

function splitFix(message: string): { detail: string; fix?: string } {
  const at = message.lastIndexOf('; fix: ');
  return at < 0 ? { detail: message } : { detail: message.slice(0, at), fix: message.slice(at + '; fix: '.length) };
}

const pass = (name: CheckName, detail: string): CheckResult => ({ name, ok: true, detail });
const fail = (name: CheckName, p: { detail: string; fix?: string }): CheckResult => ({ name, ok: false, detail: p.detail, ...(p.fix ? { fix: p.fix } : {}) });

const FIX_DETERMINISM = 'make step depend only on (state, inputs): no module-level variables that step changes, ' +
  'no values taken when the module loads that differ between processes (pid, environment, Math.random at import, the clock)';

function determinism(a: TrialResult, b: TrialResult): CheckResult {
  const n = Math.min(a.digests.length, b.digests.length);
  for (let i = 0; i < n; i++) {
    const x = a.digests[i]!;
    const y = b.digests[i]!;
    if (x === y) continue;
    const what = x.slice(0, 8) !== y.slice(0, 8) ? (x.slice(8) !== y.slice(8) ? 'the state and the outputs' : 'the state') : 'the outputs';
    return fail('deterministic', { detail: `cycle ${i}: ${what} differ between two processes given the same inputs (digests ${x} and ${y})`, fix: FIX_DETERMINISM });
  }
  if (a.digests.length !== b.digests.length) {
    return fail('deterministic', { detail: `one process stopped at cycle ${n}, the other ran on: the same step took different paths`, fix: FIX_DETERMINISM });
  }
  return pass('deterministic', `the same state and outputs in two processes over ${n} cycles`);
}

/**
 * Percentiles of step time, from the per-cycle minimum of the two processes: both step the same
 * states, so the minimum is the step's own cost and a stall of one process (a neighbour, a GC of
 * the machine's other work) drops out. A real cost shows in both and stays.
 */
export function stepTimeFigures(a: readonly number[], b: readonly number[]): { p50: number; p99: number; max: number } | null {
  const n = Math.min(a.length, b.length);
  if (n === 0) return null;
  const sorted = Array.from({ length: n }, (_, i) => Math.min(a[i]!, b[i]!)).sort((x, y) => x - y);
  const pct = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { p50: pct(0.5), p99: pct(0.99), max: sorted[n - 1]! };
}

function stepTime(a: TrialResult, b: TrialResult, rateHz: number): CheckResult {
  const t = stepTimeFigures(a.stepTimesUs, b.stepTimesUs);
  const periodUs = 1e6 / rateHz;
  const budgetUs = periodUs * STEP_BUDGET_FRACTION;
  const budget = `${fmtUs(budgetUs)} (${STEP_BUDGET_FRACTION * 100}% of the ${fmtUs(periodUs)} period at ${rateHz} Hz)`;
  if (!t) return pass('step-time', `no step completed to time; budget ${budget}`);
  const figures = `step + encode CPU p50 ${fmtUs(t.p50)}, p99 ${fmtUs(t.p99)}, max ${fmtUs(t.max)} (each cycle's faster of two processes)`;
  if (t.p99 <= budgetUs) return pass('step-time', `${figures}; within ${budget}`);
  return fail('step-time', {
    detail: `${figures}: p99 exceeds ${budget}; the board also runs the protocol (input exchange, vote, commit) in each period and must meet its deadlines`,
    fix: `make step cheaper (less work per cycle, a smaller state to encode), or run the rig at a lower rate (at most ~${Math.max(1, Math.floor((1e6 * STEP_BUDGET_FRACTION) / t.p99))} Hz for this step)`,
  });
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 10_000 ? 0 : 1)} ms` : `${us < 10 ? us.toFixed(1) : Math.round(us)} µs`;
}

function safeOutputs(loaded: NonNullable<ChildOutcome['loaded']>): CheckResult {
  const p = outputsProblem(loaded.outputs, loaded.safeOutputs);
  if (p) return fail('safe-outputs', { detail: `safeOutputs: ${p}`, fix: 'give safeOutputs: the value each output takes when the rig fails safe, valid for its signal' });
  return pass('safe-outputs', `[${loaded.safeOutputs.join(', ')}]: one valid value per output`);
}

/** Runs every check of a workload module; never throws for a problem of the module. */
export async function checkWorkload(path: string, o: CheckOptions): Promise<WorkloadCheckReport> {
  const cwd = o.cwd ?? process.cwd();
  if (!Number.isInteger(o.cycles) || o.cycles < 1 || o.cycles > CHECK_CYCLES_MAX) throw new RangeError(`cycles: ${o.cycles}; give an integer from 1 to ${CHECK_CYCLES_MAX}`);
  if (!(o.rateHz > 0)) throw new RangeError(`rateHz: ${o.rateHz}; give a rate above 0`);
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  const params: TrialParams = { path: file, options: o.options ?? {}, seed: o.seed, cycles: o.cycles, ...(o.asClass ? { asClass: o.asClass } : {}) };
  const timeoutMs = o.timeoutMs ?? CHECK_TIMEOUT_MS_DEFAULT;
  const [a, b] = await Promise.all([runChild(params, timeoutMs, cwd), runChild(params, timeoutMs, cwd)]);
  const report = (identity: WorkloadIdentity | null, checks: CheckResult[]): WorkloadCheckReport => ({ path: a.loaded?.path ?? file, identity, checks, ok: checks.every((c) => c.ok) });

  const loadFailed = a.loadFailed ?? b.loadFailed;
  if (loadFailed !== null) {
    const checks = [fail('loads', splitFix(loadFailed))];
    // checkWorkloadShape judges the safe outputs as it loads: say so under their own check too.
    if (/: safeOutputs(\[\d+\])?: /.test(loadFailed)) checks.push(fail('safe-outputs', splitFix(loadFailed.slice(loadFailed.indexOf('safeOutputs')))));
    return report(null, checks);
  }
  if (!a.loaded || !b.loaded) {
    const f = (!a.loaded ? a : b).failure ?? 'no answer';
    return report(null, [fail('loads', { detail: `the module did not load: ${f}`, fix: 'run it with node to see what it does when it loads (it must not exit, block or loop)' })]);
  }
  const loaded = a.loaded;
  const loads = pass('loads', `${workloadIdentityString(loaded.identity)}: ${loaded.inputs.length} inputs, ${loaded.outputs.length} outputs`);
  if (!a.result || !b.result) {
    const bad = !a.result ? a : b;
    const died = bad.timedOut
      ? fail('step-time', { detail: `${o.cycles} cycles did not finish: ${bad.failure}`, fix: 'make sure step returns (no unbounded loop); time it with fewer --cycles' })
      : fail('step-outputs', { detail: `the run did not finish: ${bad.failure}`, fix: 'run init and step under node to see the error (stack overflow, out of memory?)' });
    return report(loaded.identity, [loads, safeOutputs(loaded), died]);
  }
  const r = a.result;
  const over = r.stopped ? ` over ${r.cyclesRun} of ${r.cycles} cycles (the run stopped at cycle ${r.stopped.cycle}: see ${r.stopped.check})` : ` over ${r.cyclesRun} cycles`;
  const problem = (name: CheckName, p: Problem | null, okDetail: string): CheckResult => (p ? fail(name, p) : pass(name, okDetail + over));
  // A checkpoint workload runs on one board at a time: it may read clocks, call out and differ
  // from run to run (its checkpoints carry its state); lockstep ones may not.
  const asClass = o.asClass ?? loaded.class;
  const notRequired = (name: CheckName): CheckResult => pass(name, `not required for class checkpoint (one board steps it; its state travels in checkpoints)`);
  const checks: CheckResult[] = [
    loads,
    asClass === 'checkpoint' ? notRequired('deterministic') : determinism(a.result, b.result),
    problem('round-trip', r.roundTrip ?? b.result.roundTrip, asClass === 'checkpoint' ? 'encode(decode(encode(s))) = encode(s),' : 'encode(decode(encode(s))) = encode(s), and the decoded state steps the same,'),
    stepTime(a.result, b.result, o.rateHz),
    asClass === 'checkpoint' ? notRequired('no-time-random-io') : problem('no-time-random-io', r.reached ?? b.result.reached, 'init and step reached no clock, randomness, timer, process or I/O'),
    safeOutputs(loaded),
    problem('step-outputs', r.outputs ?? b.result.outputs, `every step returned ${loaded.outputs.length} valid outputs`),
  ];
  return report(loaded.identity, checks);
}

/** 0: every check passed; 2: the module did not load; 1: a check failed. */
export function checkExitCode(r: WorkloadCheckReport): number {
  if (r.checks.some((c) => c.name === 'loads' && !c.ok)) return 2;
  return r.ok ? 0 : 1;
}

/** The human report: a header, one line per check, a verdict. */
export function formatCheckReport(r: WorkloadCheckReport): string {
  const width = Math.max(...CHECK_NAMES.map((n) => n.length));
  const lines = [`workload ${r.path}${r.identity ? ` (${workloadIdentityString(r.identity)})` : ''}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `; fix: ${c.fix}` : ''}`);
  const failed = r.checks.filter((c) => !c.ok).length;
  if (r.ok) lines.push(`ok: all ${r.checks.length} checks passed`);
  else if (checkExitCode(r) === 2) lines.push('FAIL: the module does not load; the other checks need it to');
  else lines.push(`FAIL: ${failed} of ${r.checks.length} checks failed`);
  return lines.join('\n') + '\n';
}
