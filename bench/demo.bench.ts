/**
 * The demo, N times: `ftc demo`'s run (runSim, seed 7, the simulator's default rate, the scripted
 * faults DEMO_FAULTS over DEMO_DURATION_MS, as src/rig/actions.ts runDemo) with JSON events into a
 * PassThrough instead of the dashboard. Prints each run's summary (also on stderr as it ends) and
 * the runs that failed: lostCycles > 0, wrongOutputs > 0 or dualDriven > 0.
 *
 *   npm run bench -- demo [--runs N]      (default 20; ~35 s a run here, so ~12 min by default)
 *
 * Runs only when named (not in the default `npm run bench` set): a reliability run of fixed
 * length, not a figure that changes with the code's speed.
 * Environment: none (the option --runs sets the size).
 */
import { DEMO_DURATION_MS, DEMO_FAULTS } from '../src/rig/demo-script.ts';
import { SIM_RATE_HZ_DEFAULT } from '../src/rig/sim-timing.ts';
import { intAtLeast, type BenchArgs, type BenchOptionSpecs } from './options.ts';
import { round, sim } from './rig-sim.ts';

export const options: BenchOptionSpecs = {
  runs: { type: 'string', help: 'N: runs of the demo (default 20)', parse: intAtLeast('runs', 1) },
};
export const namedOnly = `${DEMO_DURATION_MS / 1000} s runs of the scripted demo, 20 by default`;

export default async function demoBench(args: BenchArgs): Promise<Record<string, unknown>> {
  const runs = (args.runs as number | undefined) ?? 20;
  const summaries: Array<Record<string, unknown>> = [];
  const failedRuns: number[] = [];
  const wallS: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const { summary, buildNote } = await sim({ rateHz: SIM_RATE_HZ_DEFAULT, durationMs: DEMO_DURATION_MS, faults: DEMO_FAULTS, seed: 7, keepEvents: false });
    wallS.push((performance.now() - t0) / 1000);
    const failed = summary.lostCycles > 0 || summary.wrongOutputs > 0 || summary.dualDriven > 0;
    if (failed) failedRuns.push(i + 1);
    const { event: _event, ...figures } = summary;
    summaries.push({ run: i + 1, ...figures, maxGapMs: round(summary.maxGapMs), failed, ...(buildNote ? { build: buildNote } : {}) });
    process.stderr.write(`demo: run ${i + 1}/${runs}${failed ? ' FAILED' : ''}: ${JSON.stringify(summary)}\n`);
  }
  const total = (k: 'lostCycles' | 'wrongOutputs' | 'dualDriven') => summaries.reduce((s, r) => s + (r[k] as number), 0);
  return {
    runs, seed: 7, rateHz: SIM_RATE_HZ_DEFAULT, durationMs: DEMO_DURATION_MS, faults: [...DEMO_FAULTS],
    failedRuns: failedRuns.length,
    failedRunNumbers: failedRuns,
    failedMeans: 'lostCycles > 0 or wrongOutputs > 0 or dualDriven > 0',
    lostCyclesTotal: total('lostCycles'), wrongOutputsTotal: total('wrongOutputs'), dualDrivenTotal: total('dualDriven'),
    wallSPerRun: round(wallS.reduce((a, b) => a + b, 0) / Math.max(1, wallS.length)),
    summaries,
  };
}
