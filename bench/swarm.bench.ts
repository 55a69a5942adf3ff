/**
 * Speed of the seeded simulators (single process, virtual time; no child processes):
 * - core: runSwarm (src/sim/swarm.ts), the voter cores alone over the simulator's network model,
 *   1000-cycle seeds at the voter's default period (as `npm run sim:swarm`);
 * - board: runBoardSwarm (src/sim/board-swarm.ts), whole boards on simulated processes, cables
 *   and UDP, at the simulator's default rate and at 50 Hz (once if they are the same).
 * Each over FTC_BENCH_SWARM_SEEDS seeds from seed 1: seeds per second of wall time, and simulated
 * time / wall time (how many times faster than real time). Baseline: the core swarm measured in
 * the same run (ratios of the board swarm to it). One untimed seed of each goes first (JIT
 * warm-up). Violations and the board swarm's rejoin figures are reported too (expected: 0 violations).
 * Environment: FTC_BENCH_SWARM_SEEDS (default 20). Smoke: FTC_BENCH_SWARM_SEEDS=2.
 */
import { SIM_RATE_HZ_DEFAULT } from '../src/rig/sim-timing.ts';
import { runBoardSwarm } from '../src/sim/board-swarm.ts';
import { runSwarm } from '../src/sim/swarm.ts';
import { simWorld } from '../src/sim/plant.ts';
import { defaultWorkloadPath } from '../src/workload/default.ts';
import { loadWorkload } from '../src/workload/loader.ts';
import { defaultVoterConfig } from '../src/voter/config.ts';
import { envInt } from './options.ts';
import { ratio, round } from './rig-sim.ts';

const coreCycles = 1000;
const from = 1;

export default async function swarmBench(): Promise<Record<string, unknown>> {
  const seeds = envInt('FTC_BENCH_SWARM_SEEDS', 20);
  const now = () => performance.now();

  // One untimed seed of each first (past the seeds measured), so JIT warm-up is not measured.
  const wl = await loadWorkload(defaultWorkloadPath());
  const world = simWorld(wl, defaultVoterConfig.periodMs / 1000);
  runSwarm(world, from + seeds, 1, coreCycles, coreCycles, now);
  const core = runSwarm(world, from, seeds, coreCycles, coreCycles, now);
  const coreSimulatedMs = seeds * coreCycles * defaultVoterConfig.periodMs;
  const coreSeedsPerS = seeds / (core.elapsedMs / 1000);
  const coreSpeed = coreSimulatedMs / core.elapsedMs;
  process.stderr.write(`swarm: core ${seeds} seeds in ${round(core.elapsedMs / 1000, 2)} s\n`);

  const board: Array<Record<string, unknown>> = [];
  for (const rateHz of [...new Set([SIM_RATE_HZ_DEFAULT, 50])]) {
    await runBoardSwarm(wl, from + seeds, 1, rateHz, SIM_RATE_HZ_DEFAULT, now);
    const s = await runBoardSwarm(wl, from, seeds, rateHz, SIM_RATE_HZ_DEFAULT, now);
    const seedsPerS = s.seeds / (s.elapsedMs / 1000);
    const speed = s.simulatedMs / s.elapsedMs;
    process.stderr.write(`swarm: board ${rateHz} Hz ${s.seeds} seeds in ${round(s.elapsedMs / 1000, 2)} s\n`);
    board.push({
      rateHz, isSimDefault: rateHz === SIM_RATE_HZ_DEFAULT, seeds: s.seeds, violations: s.violations,
      wallS: round(s.elapsedMs / 1000, 2), seedsPerS: round(seedsPerS, 2),
      simulatedSPerSeed: round(s.simulatedMs / 1000 / Math.max(1, s.seeds)),
      simToWallRatio: round(speed),
      ratioSeedsPerSToCore: ratio(seedsPerS, coreSeedsPerS, 3), ratioSimToWallToCore: ratio(speed, coreSpeed, 3),
      rejoinMsP99: round(s.rejoinMsP99, 0), rejoinMsMax: round(s.rejoinMsMax, 0),
      ...(s.failed.length ? { failedSeeds: s.failed.map((f) => f.seed) } : {}),
    });
  }
  return {
    seeds, fromSeed: from,
    core: {
      seeds: core.seeds, cyclesPerSeed: coreCycles, periodMs: defaultVoterConfig.periodMs, violations: core.violations,
      wallS: round(core.elapsedMs / 1000, 2), seedsPerS: round(coreSeedsPerS, 1),
      simulatedSPerSeed: round(coreSimulatedMs / 1000 / seeds), simToWallRatio: round(coreSpeed, 0),
      ...(core.failed.length ? { failedSeeds: core.failed.map((f) => f.seed) } : {}),
    },
    board,
  };
}
