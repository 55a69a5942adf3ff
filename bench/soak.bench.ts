/**
 * Soak: one long `ftc sim` run (runSim, JSON events into a PassThrough) at the simulator's default
 * rate with a seeded single fault every 20 s (the first at 10 s, none in the last 10 s), each
 * drawn by a Prng (src/sim/prng.ts) from: kill:active, hang:<b>+300ms, restart:<b>, flip:<b>,
 * cut:<a>-<b>/serial+3s, psu:active:a+4s, nic:<b>:eth0+4s (boards b1-b3 drawn too). Reports the
 * run's lostCycles, wrongOutputs and dualDriven (the goal: 0, 0, 0), the faults injected (as
 * scheduled and as fired, e.g. kill:active -> kill:b2) with the lost cycles of the plant in each
 * fault's 20 s window (and before the first), the lost cycles' numbers, and the watchdog resets,
 * reset-line pulls and the boards' `late` reports seen.
 *
 *   npm run bench -- soak      (only when named: 10 minutes by default)
 *
 * Environment: FTC_BENCH_SOAK_MS (default 600000, at least 20000), FTC_BENCH_SOAK_SEED (the fault
 * draw and the run's seed, default 1), FTC_BENCH_SOAK_RATE_HZ (default: the simulator's default
 * rate, SIM_RATE_HZ_DEFAULT in src/rig/sim-timing.ts). Smoke: FTC_BENCH_SOAK_MS=30000 (one fault, ~35 s).
 */
import { Prng } from '../src/sim/prng.ts';
import { SIM_RATE_HZ_DEFAULT } from '../src/rig/sim-timing.ts';
import { envInt } from './options.ts';
import { round, sim } from './rig-sim.ts';

export const namedOnly = 'a 10-minute run by default (FTC_BENCH_SOAK_MS)';

const boards = ['b1', 'b2', 'b3'] as const;
const everyMs = 20_000;
const firstAtMs = 10_000;
/** No fault this close to the end: the last one is repaired and its board back in before the run ends. */
const tailMs = 10_000;

type Draw = (rng: Prng, at: string) => string;
const kinds: ReadonlyArray<Draw> = [
  (_r, at) => `kill:active@${at}`,
  (r, at) => `hang:${r.pick(boards)}@${at}+300ms`,
  (r, at) => `restart:${r.pick(boards)}@${at}`,
  (r, at) => `flip:${r.pick(boards)}@${at}`,
  (r, at) => {
    const a = r.int(3);
    const b = (a + 1 + r.int(2)) % 3;
    const [x, y] = [boards[Math.min(a, b)]!, boards[Math.max(a, b)]!];
    return `cut:${x}-${y}/serial@${at}+3s`;
  },
  (_r, at) => `psu:active:a@${at}+4s`,
  (r, at) => `nic:${r.pick(boards)}:eth0@${at}+4s`,
];

export function soakSchedule(seed: number, durationMs: number): Array<{ atMs: number; spec: string }> {
  const rng = new Prng(seed);
  const out: Array<{ atMs: number; spec: string }> = [];
  for (let atMs = firstAtMs; atMs + tailMs <= durationMs; atMs += everyMs) out.push({ atMs, spec: rng.pick(kinds)(rng, `${atMs}ms`) });
  return out;
}

export default async function soakBench(): Promise<Record<string, unknown>> {
  const durationMs = envInt('FTC_BENCH_SOAK_MS', 600_000, 20_000);
  const seed = envInt('FTC_BENCH_SOAK_SEED', 1, 0);
  const rateHz = envInt('FTC_BENCH_SOAK_RATE_HZ', SIM_RATE_HZ_DEFAULT);
  const periodMs = 1000 / rateHz;
  const schedule = soakSchedule(seed, durationMs);
  const fired: string[] = [];
  const lostCycleNumbers: number[] = [];
  const counts = { watchdogResets: 0, resetLinePulls: 0, votedOutEvents: 0, failoverEvents: 0, lateEvents: 0 };
  const t0 = performance.now();
  process.stderr.write(`soak: ${durationMs / 1000} s at ${rateHz} Hz, seed ${seed}, ${schedule.length} faults\n`);
  const { summary, buildNote } = await sim({
    rateHz, durationMs, faults: schedule.map((f) => f.spec), seed, keepEvents: false,
    onEvent: ({ ev }) => {
      switch (ev.kind) {
        case 'fault':
          if (typeof ev.spec === 'string') {
            fired.push(ev.spec);
            process.stderr.write(`soak: ${round((ev.tMs as number) / 1000)} s fault ${ev.spec}\n`);
          }
          break;
        case 'lost-cycle': if (typeof ev.cycle === 'number') lostCycleNumbers.push(ev.cycle); break;
        case 'watchdog-reset': counts.watchdogResets++; break;
        case 'reset-line': counts.resetLinePulls++; break;
        case 'votedOut': counts.votedOutEvents++; break;
        case 'failover': counts.failoverEvents++; break;
        case 'late': counts.lateEvents++; break;
      }
    },
  });
  // The plant's lost-cycle events, by fault window (cycle k is due at k periods from t0).
  const lostIn = (fromMs: number, toMs: number) => new Set(lostCycleNumbers.filter((c) => c * periodMs >= fromMs && c * periodMs < toMs)).size;
  const faults = schedule.map((f, i) => ({
    atMs: f.atMs, spec: f.spec, fired: fired[i] ?? null,
    lostCyclesInWindow: lostIn(f.atMs, schedule[i + 1]?.atMs ?? Infinity),
  }));
  return {
    rateHz, durationMs, seed, faultEveryMs: everyMs, faultsInjected: fired.length,
    cycles: summary.cycles, lostCycles: summary.lostCycles, wrongOutputs: summary.wrongOutputs, dualDriven: summary.dualDriven,
    goalMet: summary.lostCycles === 0 && summary.wrongOutputs === 0 && summary.dualDriven === 0,
    failovers: summary.failovers, maxGapMs: round(summary.maxGapMs),
    lostCyclesBeforeFirstFault: lostIn(0, schedule[0]?.atMs ?? Infinity),
    note: 'lostCycles is the summary\'s (the plant\'s trace); lostCyclesInWindow from the plant\'s lost-cycle events; *Events count every board\'s report (one vote-out is logged by each member); lateEvents: phases a board ran later than lateMaxMs (the machine, not a fault, when they cluster at a lost cycle)',
    ...counts,
    lostCycleNumbers: [...new Set(lostCycleNumbers)].sort((a, b) => a - b).slice(0, 100),
    faults,
    wallS: round((performance.now() - t0) / 1000),
    ...(buildNote ? { build: buildNote } : {}),
  };
}
