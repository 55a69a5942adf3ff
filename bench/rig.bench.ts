/**
 * Figures of the multi-process rig (`ftc sim`: real board processes, real ptys, UDP on loopback),
 * each run through runSim with `json: true` into a PassThrough (bench/rig-sim.ts). Three parts:
 *
 * - maskedRate: for each rate, FTC_BENCH_TRIALS trials of `kill:active@3s` in 6 s runs (seeds
 *   7, 8, ...): lost cycles per trial, the run's longest output gap at the plant (the summary's
 *   maxGapMs) median and max, in ms and in periods, and the gap that contains the kill (from the
 *   plant's trace), against the baseline: a fault-free 6 s run at the same rate (seed 7): the
 *   median gap between its outputs (one period when all is well; its longest gap is reported too,
 *   and its lost cycles, the rig's own missed deadlines at that rate).
 *   Reports the highest rate at which every trial lost no cycle (and no cycle due within 1 s
 *   of the kill: the rest are late wakes of a busy machine), and the highest rate whose
 *   fault-free run missed under 0.1 % of its cycles.
 * - rejoin: at the simulator's default rate, FTC_BENCH_TRIALS trials each of `kill:<board>@3s` and
 *   `restart:<board>@3s` (12 s runs, the board rotating b1, b2, b3), p50/p99/max of the time until
 *   the restarted board is voted back in (the first `votedIn` event naming it as target, from any
 *   board), measured from: the supervisor's `process-spawn` of its new boot (stamped on arrival
 *   here), its own `boot` log event (`t`, this machine's wall clock), its `ready` (warm-up done;
 *   the simulator answers with the time base and its links open: its first frame follows within a
 *   few ms), the first `link-up` a peer reports for it (the peer has heard 3 good frames from it:
 *   the closest event to its first frame that a peer logs), and the fault itself.
 * - perBoard: CPU (% of one core, utime+stime from /proc/<pid>/stat over a 4 s window in the
 *   middle of a 10 s fault-free run) and RSS of each board process (found by FTC_CHILD=b<N> in
 *   /proc/<pid>/environ) at each of FTC_BENCH_PERBOARD_RATES, against an idle Node process
 *   (`node -e "setInterval(()=>{},1000)"`) sampled over the same window: ratios. The CPU ratio
 *   uses the schedstat run time (ns, summed over /proc/<pid>/task/<tid>/schedstat) on both sides:
 *   the idle process uses 0-1 clock ticks of /proc/<pid>/stat in 4 s.
 *
 * Environment: FTC_BENCH_TRIALS (default 20), FTC_BENCH_RATES (maskedRate, default "20,50,100"),
 * FTC_BENCH_PERBOARD_RATES (default "50,100"), FTC_BENCH_RIG (the parts to run, comma-separated,
 * default "maskedRate,rejoin,perBoard"). Full size: 63 simulator runs of 6 s (~9 s of wall time
 * each with start-up), 40 of 12 s (~15 s) and 2 of 10 s: ~21 min. Smoke, one part at a time:
 * FTC_BENCH_TRIALS=2 FTC_BENCH_RATES=50 FTC_BENCH_RIG=maskedRate (~25 s), FTC_BENCH_TRIALS=1
 * FTC_BENCH_RIG=rejoin (~30 s), FTC_BENCH_RIG=perBoard (~25 s).
 * Progress on stderr.
 */
import { spawn } from 'node:child_process';
import { SIM_RATE_HZ_DEFAULT } from '../src/rig/sim-timing.ts';
import { envInt, envNumbers } from './options.ts';
import {
  boardPids, clockTicksPerS, eventWallMs, gapAround, median, procSample, ratio, round, sim, spread, type SimEvent,
} from './rig-sim.ts';

const boards = ['b1', 'b2', 'b3'] as const;
const parts = ['maskedRate', 'rejoin', 'perBoard'] as const;
type Part = (typeof parts)[number];

const progress = (line: string) => process.stderr.write(`rig: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- maskedRate

const maskedRunMs = 6000;
const killAt = '3s';

async function maskedRate(rates: number[], trials: number) {
  const byRate: Array<Record<string, unknown>> = [];
  const buildNotes = new Set<string>();
  for (const rateHz of rates) {
    const periodMs = 1000 / rateHz;
    const calm = await sim({ rateHz, durationMs: maskedRunMs, faults: [], trace: true });
    if (calm.buildNote) buildNotes.add(calm.buildNote);
    progress(`maskedRate ${rateHz} Hz baseline (no fault): lost ${calm.summary.lostCycles}, max gap ${round(calm.summary.maxGapMs)} ms`);
    const lost: number[] = [];
    const gaps: number[] = [];
    const killGaps: number[] = [];
    const lateMax: number[] = [];
    const lostNearKill: number[] = [];
    let wrong = 0;
    let dual = 0;
    for (let i = 0; i < trials; i++) {
      const r = await sim({ rateHz, durationMs: maskedRunMs, faults: [`kill:active@${killAt}`], seed: 7 + i, trace: true });
      lost.push(r.summary.lostCycles);
      gaps.push(r.summary.maxGapMs);
      lateMax.push(round(r.lateMaxMs)!);
      wrong += r.summary.wrongOutputs;
      dual += r.summary.dualDriven;
      const fault = r.events.find((e) => e.ev.kind === 'fault' && typeof e.ev.tMs === 'number');
      const g = fault ? gapAround(r.outputTimes, fault.ev.tMs as number) : null;
      if (g !== null) killGaps.push(g);
      // The plant's lost-cycle events of cycles due from one period before the kill to 1 s after it.
      const killT = fault ? (fault.ev.tMs as number) : NaN;
      lostNearKill.push(new Set(r.events.filter((e) => e.ev.kind === 'lost-cycle' && typeof e.ev.cycle === 'number')
        .map((e) => e.ev.cycle as number).filter((c) => c * periodMs >= killT - periodMs && c * periodMs < killT + 1000)).size);
      progress(`maskedRate ${rateHz} Hz trial ${i + 1}/${trials} (seed ${7 + i}): lost ${r.summary.lostCycles}, max gap ${round(r.summary.maxGapMs)} ms, gap at the kill ${round(g)} ms`);
    }
    // The baseline gap: the typical (median) time between consecutive outputs of the fault-free
    // run, one period when all is well; its longest gap is reported too (a machine hiccup shows there).
    const calmTimes = calm.outputTimes.map((x) => x.tMs).sort((a, b) => a - b);
    const base = median(calmTimes.slice(1).map((t, i) => t - calmTimes[i]!)) ?? periodMs;
    const gMed = median(gaps);
    const gMax = gaps.length ? Math.max(...gaps) : null;
    byRate.push({
      rateHz, periodMs: round(periodMs, 2), trials,
      lostCyclesPerTrial: lost,
      trialsWithLostCycles: lost.filter((x) => x > 0).length,
      lostCyclesNearKillPerTrial: lostNearKill,
      boardTimerLateMaxMsPerTrial: lateMax,
      wrongOutputs: wrong, dualDriven: dual,
      gapMsMedian: round(gMed), gapMsMax: round(gMax),
      gapPeriodsMedian: round(gMed === null ? null : gMed / periodMs, 2), gapPeriodsMax: round(gMax === null ? null : gMax / periodMs, 2),
      gapAtKillMsMedian: round(median(killGaps)), gapAtKillMsMax: round(killGaps.length ? Math.max(...killGaps) : null),
      baselineNoFault: {
        gapMsTypical: round(base), gapMsMax: round(calm.summary.maxGapMs), gapPeriodsMax: round(calm.summary.maxGapMs / periodMs, 2),
        cycles: calm.summary.cycles, lostCycles: calm.summary.lostCycles,
        missedPct: round((calm.summary.lostCycles / Math.max(1, calm.summary.cycles)) * 100, 2), boardTimerLateMaxMs: round(calm.lateMaxMs),
      },
      ratioGapMedianToBaseline: ratio(gMed, base), ratioGapMaxToBaseline: ratio(gMax, base),
      ratioGapAtKillMedianToBaseline: ratio(median(killGaps), base),
    });
  }
  const lossless = byRate.filter((r) => r.trialsWithLostCycles === 0 && (r.trials as number) > 0).map((r) => r.rateHz as number);
  const losslessAtKill = byRate.filter((r) => (r.lostCyclesNearKillPerTrial as number[]).every((x) => x === 0) && (r.trials as number) > 0).map((r) => r.rateHz as number);
  const keeping = byRate.filter((r) => ((r.baselineNoFault as { missedPct: number }).missedPct ?? 100) < 0.1).map((r) => r.rateHz as number);
  return {
    fault: `kill:active@${killAt}`, runMs: maskedRunMs, seeds: `7..${7 + trials - 1}`,
    lostNote: 'lostCyclesPerTrial: the whole run (summary); lostCyclesNearKillPerTrial: cycles due from one period before the kill to 1 s after it (plant lost-cycle events); lost cycles outside that window are not the kill\'s (late wakes on a busy machine: see boardTimerLateMaxMsPerTrial)',
    gapNote: 'gapMs* = the run\'s longest output gap (summary maxGapMs, also counting hiccups away from the kill); gapAtKillMs* = the gap that contains the kill, from the plant\'s trace; baseline = the median gap between outputs of a fault-free run (one period), ratios against it',
    rates: byRate,
    highestRateAllTrialsLossless: lossless.length ? Math.max(...lossless) : null,
    highestRateLosslessNearKill: losslessAtKill.length ? Math.max(...losslessAtKill) : null,
    highestRateBaselineUnder0p1PctMissed: keeping.length ? Math.max(...keeping) : null,
    ...(buildNotes.size ? { buildNotes: [...buildNotes] } : {}),
  };
}

// ---- rejoin

const rejoinRunMs = 12_000;
const rejoinFaultAtMs = 3000;

interface RejoinTrial {
  board: string;
  seed: number;
  votedIn: boolean;
  fromSpawnMs: number | null;
  fromBootMs: number | null;
  fromReadyMs: number | null;
  fromPeerHeardMs: number | null;
  fromFaultMs: number | null;
  lostCycles: number;
}

function rejoinOf(events: SimEvent[], board: string): Omit<RejoinTrial, 'seed' | 'lostCycles'> {
  const fault = events.find((e) => e.ev.kind === 'fault' && typeof e.ev.spec === 'string');
  const after = fault ? events.slice(events.indexOf(fault)) : events;
  const spawnEv = after.find((e) => e.ev.kind === 'process-spawn' && e.ev.child === board);
  const bootNo = spawnEv?.ev.boot;
  const bootEv = after.find((e) => e.ev.kind === 'boot' && e.ev.board === board && e.ev.boot === bootNo);
  const bootWall = bootEv ? eventWallMs(bootEv.ev) : null;
  const since = spawnEv ? after.slice(after.indexOf(spawnEv)) : [];
  const readyEv = since.find((e) => e.ev.kind === 'ready' && e.ev.board === board);
  const minWall = (pred: (e: SimEvent) => boolean): number | null => {
    const ts = since.filter(pred).map((e) => eventWallMs(e.ev)).filter((t): t is number => t !== null && (bootWall === null || t >= bootWall));
    return ts.length ? Math.min(...ts) : null;
  };
  const votedIn = minWall((e) => e.ev.kind === 'votedIn' && e.ev.target === board);
  const peerHeard = minWall((e) => e.ev.kind === 'link-up' && e.ev.peer === board && e.ev.board !== board);
  const from = (t: number | null | undefined) => (votedIn !== null && t !== null && t !== undefined ? votedIn - t : null);
  return {
    board, votedIn: votedIn !== null,
    fromSpawnMs: from(spawnEv?.wallMs), fromBootMs: from(bootWall), fromReadyMs: from(readyEv?.wallMs),
    fromPeerHeardMs: from(peerHeard), fromFaultMs: from(fault?.wallMs),
  };
}

async function rejoin(trials: number) {
  const rateHz = SIM_RATE_HZ_DEFAULT;
  const out: Record<string, unknown> = {
    rateHz, runMs: rejoinRunMs, faultAtMs: rejoinFaultAtMs, trialsPerKind: trials,
    measuredTo: 'the first votedIn event naming the board as target (any reporter; its t, wall clock)',
    measuredFrom: {
      spawn: 'process-spawn of its new boot (arrival here, wall clock)',
      boot: 'its boot log event (t)',
      ready: 'its ready event (warm-up done; its links open and its first frame goes out a few ms later: the first-frame figure)',
      peerHeard: 'the first link-up a peer reports for it (3 good frames heard: an upper bound of its first frame)',
      fault: 'the fault event (arrival here)',
    },
  };
  for (const kind of ['kill', 'restart'] as const) {
    const rs: RejoinTrial[] = [];
    for (let i = 0; i < trials; i++) {
      const board = boards[i % boards.length]!;
      const seed = 7 + i;
      const r = await sim({ rateHz, durationMs: rejoinRunMs, faults: [`${kind}:${board}@${rejoinFaultAtMs}ms`], seed });
      const t = { ...rejoinOf(r.events, board), seed, lostCycles: r.summary.lostCycles };
      rs.push(t);
      progress(`rejoin ${kind}:${board} trial ${i + 1}/${trials} (seed ${seed}): ${t.votedIn ? `voted in ${round(t.fromBootMs, 0)} ms after boot, ${round(t.fromReadyMs, 0)} ms after ready` : 'NOT voted back in'}; lost ${t.lostCycles}`);
    }
    const col = (k: keyof RejoinTrial) => rs.map((t) => t[k]).filter((x): x is number => typeof x === 'number');
    out[kind] = {
      faults: rs.map((t) => `${kind}:${t.board}`),
      notVotedIn: rs.filter((t) => !t.votedIn).length,
      fromSpawnMs: spread(col('fromSpawnMs')),
      fromBootMs: spread(col('fromBootMs')),
      fromReadyMs: spread(col('fromReadyMs')),
      fromPeerHeardMs: spread(col('fromPeerHeardMs')),
      fromFaultMs: spread(col('fromFaultMs')),
      lostCyclesTotal: rs.reduce((s, t) => s + t.lostCycles, 0),
    };
  }
  return out;
}

// ---- perBoard

const perBoardRunMs = 10_000;
const windowStartMs = 3000;
const windowMs = 4000;

async function perBoard(rates: number[]) {
  const idle = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  const idlePid = idle.pid!;
  const tck = clockTicksPerS();
  const byRate: Array<Record<string, unknown>> = [];
  try {
    await sleep(1000);
    for (const rateHz of rates) {
      let onStart: () => void = () => {};
      const started = new Promise<void>((res) => (onStart = res));
      const run = sim({
        rateHz, durationMs: perBoardRunMs, faults: [],
        onEvent: (e) => { if (e.ev.kind === 'status' && typeof e.ev.cycle === 'number' && e.ev.cycle > 0) onStart(); },
      });
      const ended = run.then(() => 'ended' as const, () => 'ended' as const);
      const sampled = (async () => {
        if ((await Promise.race([started.then(() => 'started' as const), ended])) === 'ended') return null;
        await sleep(windowStartMs);
        const pids = boardPids();
        const all = [...pids.keys(), idlePid];
        const a = new Map(all.map((p) => [p, procSample(p)]));
        const t0 = performance.now();
        await sleep(windowMs);
        const b = new Map(all.map((p) => [p, procSample(p)]));
        const sec = (performance.now() - t0) / 1000;
        const fig = (pid: number) => {
          const s0 = a.get(pid), s1 = b.get(pid);
          if (!s0 || !s1) return null;
          const runNs = s0.runNs !== null && s1.runNs !== null ? s1.runNs - s0.runNs : null;
          return { cpuPct: ((s1.ticks - s0.ticks) / tck / sec) * 100, cpuPctNs: runNs === null ? null : (runNs / 1e9 / sec) * 100, rssKb: s1.rssKb };
        };
        return { pids, fig, sec };
      })();
      const [r, s] = await Promise.all([run, sampled]);
      if (!s) throw new Error(`perBoard ${rateHz} Hz: the run ended before the boards started`);
      const perB: Record<string, { cpuPct: number | null; rssMb: number | null }> = {};
      const cpus: number[] = [];
      const cpusNs: number[] = [];
      const rss: number[] = [];
      for (const [pid, name] of [...s.pids].sort((x, y) => x[1].localeCompare(y[1]))) {
        const f = s.fig(pid);
        if (!f) continue;
        perB[name] = { cpuPct: round(f.cpuPct), rssMb: round(f.rssKb / 1024) };
        cpus.push(f.cpuPct);
        if (f.cpuPctNs !== null) cpusNs.push(f.cpuPctNs);
        rss.push(f.rssKb);
      }
      const idleFig = s.fig(idlePid);
      byRate.push({
        rateHz, windowMs: Math.round(s.sec * 1000), boards: perB,
        cpuPctMedian: round(median(cpus)), cpuPctMax: round(cpus.length ? Math.max(...cpus) : null), rssMbMedian: round((median(rss) ?? NaN) / 1024),
        idleNode: { cpuPctTicks: round(idleFig?.cpuPct, 2), cpuPctSchedstat: round(idleFig?.cpuPctNs, 3), rssMb: round((idleFig?.rssKb ?? NaN) / 1024) },
        boardCpuPctSchedstatMedian: round(median(cpusNs)),
        cpuRatioToIdleNode: ratio(median(cpusNs), idleFig?.cpuPctNs, 0),
        rssRatioToIdleNode: ratio(median(rss), idleFig?.rssKb),
        lostCycles: r.summary.lostCycles,
      });
      progress(`perBoard ${rateHz} Hz: CPU median ${round(median(cpus))} % of a core, RSS median ${round((median(rss) ?? NaN) / 1024)} MB; idle node ${round(idleFig?.cpuPctNs, 3)} %, ${round((idleFig?.rssKb ?? NaN) / 1024)} MB`);
    }
  } finally {
    idle.kill();
  }
  return {
    runMs: perBoardRunMs, windowFromRunStartMs: windowStartMs, clockTicksPerS: tck,
    cpuNote: 'cpuPct = % of one core over the window from /proc/<pid>/stat utime+stime (1 tick = 0.25 % over 4 s, so the idle process shows 0); cpuRatioToIdleNode compares the schedstat run time (ns, /proc/<pid>/task/<tid>/schedstat summed over the threads) of the boards (median) and of the idle process over the same window',
    rates: byRate,
  };
}

export default async function rigBench(): Promise<Record<string, unknown>> {
  const trials = envInt('FTC_BENCH_TRIALS', 20);
  const rates = envNumbers('FTC_BENCH_RATES', '20,50,100');
  const perBoardRates = envNumbers('FTC_BENCH_PERBOARD_RATES', '50,100');
  const wanted = (process.env.FTC_BENCH_RIG ?? parts.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = wanted.filter((w) => !(parts as readonly string[]).includes(w));
  if (bad.length) throw new Error(`FTC_BENCH_RIG: no part named ${bad.join(', ')}; parts: ${parts.join(', ')}`);
  const has = (p: Part) => wanted.includes(p);
  const result: Record<string, unknown> = { simRateHzDefault: SIM_RATE_HZ_DEFAULT, trials };
  if (has('maskedRate')) result.maskedRate = await maskedRate(rates, trials);
  if (has('rejoin')) result.rejoin = await rejoin(trials);
  if (has('perBoard')) result.perBoard = await perBoard(perBoardRates);
  return result;
}
