/**
 * Figures of the multi-process rig (`ftc sim`): real processes, real ptys, UDP on loopback.
 *
 * - failover: the output gap at the plant when the active board is killed (kill -9), over
 *   FTC_BENCH_TRIALS trials (default 20), in ms and in cycles; baseline: the same runs' gap
 *   between outputs when nothing fails (one period), and the ratio.
 * - rates: for each cycle rate, the share of cycles with no output at the plant (a missed
 *   deadline of the rig as a whole) and the worst timer lateness a board saw; the highest rate
 *   that keeps missed deadlines under 0.1 %.
 * - perBoard: RSS and CPU of one board process at 100 Hz, against an idle Node process measured
 *   in the same run (the baseline).
 * Environment: FTC_BENCH_TRIALS, FTC_BENCH_RATES (e.g. "5,10,20,50,100").
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseFaultSpec } from '../src/rig/faultspec.ts';
import { runSim } from '../src/rig/sim-run.ts';
import { SIM_RATE_HZ_DEFAULT } from '../src/rig/sim-timing.ts';

const clkTck = 100; // sysconf(_SC_CLK_TCK) on Linux

async function sim(rateHz: number, durationMs: number, faults: string[], seed = 7) {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-bench-'));
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const { summary } = await runSim({
    seed, rateHz, durationMs, faults: faults.map((f) => parseFaultSpec(f)), traceFile: join(dir, 'trace.jsonl'),
    json: true, dashboard: false, logDir: join(dir, 'logs'), runDir: dir,
  }, out as unknown as NodeJS.WriteStream);
  let lateMaxMs = 0;
  for (const l of lines) {
    if (!l.includes('"kind":"status"')) continue;
    const e = JSON.parse(l) as { timing?: { lateMaxMs: number } };
    lateMaxMs = Math.max(lateMaxMs, e.timing?.lateMaxMs ?? 0);
  }
  return { summary, lateMaxMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
}

/** Children of this process running a sim board: pid -> [utime+stime ticks, rss kB]. */
function boardProcs(): Map<number, { ticks: number; rssKb: number }> {
  const found = new Map<number, { ticks: number; rssKb: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== process.pid) continue;
      const env = readFileSync(`/proc/${d}/environ`, 'utf8');
      if (!/FTC_CHILD=b\d/.test(env)) continue;
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] ?? 0);
      found.set(Number(d), { ticks: Number(f[11]) + Number(f[12]), rssKb });
    } catch {
      /* gone */
    }
  }
  return found;
}

async function idleNodeRssKb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  child.kill();
  return rss;
}

export default async function rigBench(): Promise<Record<string, unknown>> {
  const trials = Number(process.env.FTC_BENCH_TRIALS ?? 20);
  const rates = (process.env.FTC_BENCH_RATES ?? '5,10,20,50,100').split(',').map(Number);

  // Failover: kill the active board 3 s in, 6 s runs at the simulator's default rate.
  const gapsMs: number[] = [];
  const lost: number[] = [];
  for (let i = 0; i < trials; i++) {
    const { summary } = await sim(SIM_RATE_HZ_DEFAULT, 6000, ['kill:active@3s'], 7 + i);
    gapsMs.push(summary.maxGapMs);
    lost.push(summary.lostCycles);
  }
  const periodMs = 1000 / SIM_RATE_HZ_DEFAULT;
  const { summary: calm } = await sim(SIM_RATE_HZ_DEFAULT, 6000, [], 7);

  // Deadline keeping by rate.
  const byRate: Array<Record<string, number>> = [];
  for (const rateHz of rates) {
    const { summary, lateMaxMs } = await sim(rateHz, 5000, []);
    byRate.push({ rateHz, cycles: summary.cycles, lostCycles: summary.lostCycles, missedPct: Math.round((summary.lostCycles / summary.cycles) * 1e4) / 100, boardTimerLateMaxMs: Math.round(lateMaxMs * 10) / 10 });
  }
  const keeping = byRate.filter((r) => r.missedPct! < 0.1).map((r) => r.rateHz!);

  // One board process at 100 Hz: sample CPU ticks over 3 s in the middle of a run.
  const baselineRssKb = await idleNodeRssKb();
  let perBoard: Record<string, number> = {};
  const run = sim(100, 8000, []);
  await new Promise((r) => setTimeout(r, 4000));
  const a = boardProcs();
  await new Promise((r) => setTimeout(r, 3000));
  const b = boardProcs();
  const cpuPct: number[] = [];
  const rssKb: number[] = [];
  for (const [pid, s] of b) {
    const s0 = a.get(pid);
    if (!s0) continue;
    cpuPct.push(((s.ticks - s0.ticks) / clkTck / 3) * 100);
    rssKb.push(s.rssKb);
  }
  await run;
  perBoard = {
    boards: cpuPct.length, cpuPctMedian: Math.round(median(cpuPct) * 10) / 10, rssMbMedian: Math.round(median(rssKb) / 102.4) / 10,
    baselineIdleNodeRssMb: Math.round(baselineRssKb / 102.4) / 10, rssRatioToIdleNode: Math.round((median(rssKb) / baselineRssKb) * 100) / 100,
  };

  return {
    failover: {
      trials, rateHz: SIM_RATE_HZ_DEFAULT, periodMs,
      gapMsMedian: median(gapsMs), gapMsMax: Math.max(...gapsMs),
      gapCyclesMedian: Math.round((median(gapsMs) / periodMs) * 100) / 100, gapCyclesMax: Math.round((Math.max(...gapsMs) / periodMs) * 100) / 100,
      lostCyclesTotal: lost.reduce((x, y) => x + y, 0),
      baselineGapMsNoFault: calm.maxGapMs, ratioToBaseline: Math.round((median(gapsMs) / calm.maxGapMs) * 100) / 100,
    },
    rates: byRate,
    highestRateUnder0p1PctMissed: keeping.length ? Math.max(...keeping) : null,
    perBoard100Hz: perBoard,
  };
}
