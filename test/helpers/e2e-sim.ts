/**
 * Runs of the multi-process simulator for the e2e stories (test/e2e): one run with its events
 * stamped on arrival, lost cycles explained in the log, and runs the boards blame on the OS
 * (healthy boards woken too late together: a second fault) run again, at most five times.
 */
import type { ExecutionContext } from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseFaultSpec } from '../../src/rig/faultspec.ts';
import { runSim } from '../../src/rig/sim-run.ts';
import { SIM_RATE_HZ_DEFAULT } from '../../src/rig/sim-timing.ts';
import type { StampedEvent } from '../../src/scenarios/sim-observe.ts';
import { judgeLostCycles } from '../../src/scenarios/timing-violation.ts';

export const seed = Number(process.env.FTC_E2E_SEED ?? 7);
export const rateHz = Number(process.env.FTC_E2E_RATE_HZ ?? SIM_RATE_HZ_DEFAULT);
// Long enough for a board reset at 6-7 s to be back in the voting set before the end.
const durationMsDefault = 15_000;

/** What a run uses besides its faults: another workload, its io mapping, a shorter run. */
export interface SimulateExtra {
  workload?: string;
  io?: string;
  /** The process class: this command instead of a workload. */
  process?: string;
  metricsBasePort?: number;
  durationMs?: number;
  /** Something done to the running rig `atMs` after the start (an operator's command through a console), with its run dir. */
  during?: { atMs: number; run: (runDir: string, events: () => readonly Record<string, unknown>[]) => Promise<unknown> };
}

export async function simulate(faults: string[], extra: SimulateExtra = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-e2e-'));
  const out = new PassThrough() as unknown as NodeJS.WriteStream;
  const lines: string[] = [];
  // Each event stamped on arrival: the scenario checks need when things happened after the fault.
  const stamped: StampedEvent[] = [];
  let partial = '';
  (out as unknown as PassThrough).on('data', (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts.filter(Boolean)) {
      lines.push(line);
      try {
        stamped.push({ tMs: performance.now(), event: JSON.parse(line) as Record<string, unknown> });
      } catch {
        /* not an event line */
      }
    }
  });
  let during: Promise<unknown> | null = null;
  const timer = extra.during ? setTimeout(() => { during = extra.during!.run(dir, () => stamped.map((s) => s.event)); }, extra.during.atMs) : null;
  const { summary } = await runSim({
    seed, rateHz, durationMs: extra.durationMs ?? durationMsDefault, faults: faults.map((f) => parseFaultSpec(f)), traceFile: join(dir, 'trace.jsonl'),
    json: true, dashboard: false, logDir: join(dir, 'logs'), runDir: dir,
    ...(extra.workload !== undefined ? { workload: extra.workload } : {}),
    ...(extra.io !== undefined ? { io: extra.io } : {}),
    ...(extra.process !== undefined ? { process: extra.process } : {}),
    ...(extra.metricsBasePort !== undefined ? { metricsBasePort: extra.metricsBasePort } : {}),
  }, out);
  if (timer) clearTimeout(timer);
  const duringResult: unknown = await ((during as Promise<unknown> | null) ?? Promise.resolve(undefined));
  return { summary, lines, stamped, dir, duringResult };
}

export type SimRun = Awaited<ReturnType<typeof simulate>>;

/** Lost cycles said in full (what the output stage had, which boards were late near it): a failure on CI reads from its log alone. */
const explainedMax = 10;
export function explainLostCycles(events: readonly Record<string, unknown>[]): string[] {
  const lost = events.filter((e) => e.kind === 'lost-cycle').slice(0, explainedMax);
  return lost.map((l) => {
    const near = events.filter((e) => (e.kind === 'late' || e.kind === 'alarm' || e.kind === 'votedOut' || e.kind === 'demoted') && typeof e.cycle === 'number' && Math.abs(e.cycle - (l.cycle as number)) <= 2);
    return `lost cycle ${String(l.cycle)}: selects ${JSON.stringify(l.sel)}, outputs from ${JSON.stringify(l.outputsFrom)}, plant ${String(l.lateMs)} ms late; near it: ${near.map((e) => `${String(e.board)} ${String(e.kind)} ${String(e.detail ?? e.target ?? '')}`).join('; ') || 'nothing logged'}`;
  });
}

/** Runs of one story before giving up when the machine, not the fault, lost cycles. */
const attemptsMax = 5;

/**
 * simulate(), run again (at most attemptsMax times) only when every lost cycle of a run was the
 * machine's doing: healthy board processes woken too late together (judgeLostCycles), a second
 * fault outside what the rig masks. Each discarded run is logged with its reason; a run that
 * lost a cycle for any other reason, or drove a cycle twice, is the verdict as it is.
 */
export async function simulateJudged(t: ExecutionContext, faults: string[], otherFailures: (run: SimRun) => string[] = () => [], extra: SimulateExtra = {}) {
  for (let attempt = 1; ; attempt++) {
    const run = await simulate(faults, extra);
    t.log(`seed ${seed}, ${faults.join(' ')}: ${JSON.stringify(run.summary)} (run dir ${run.dir})`);
    for (const line of explainLostCycles(run.stamped.map((s) => s.event))) t.log(line);
    if (attempt === attemptsMax || run.summary.dualDriven > 0 || otherFailures(run).length > 0) return run;
    const verdict = judgeLostCycles(run.stamped.map((s) => s.event), run.summary);
    if (!verdict.environment) return run;
    t.log(`attempt ${attempt} discarded: ${verdict.detail}`);
  }
}

