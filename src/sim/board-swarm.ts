/**
 * The whole-board swarm: many seeds of src/sim/board-plan.ts, each run by src/sim/board-sim.ts,
 * with the worst figures over all of them (rejoin, detection, re-form, failover gap).
 */
import { parseFaultSpec } from '../rig/faultspec.ts';
import { fromSpec, planBoardSeed, type BoardSeedPlan } from './board-plan.ts';
import { describeBoardFault, type BoardFault } from './board-faults.ts';
import { runBoardSim, type BoardSimResult } from './board-sim.ts';
import { simWorld } from './plant.ts';
import type { LoadedWorkload } from '../workload/loader.ts';
import { SIM_BOARDS } from '../rig/sim-protocol.ts';

export interface BoardSeedOutcome {
  plan: BoardSeedPlan;
  result: BoardSimResult;
}

export async function runBoardSeed(wl: LoadedWorkload, seed: number, rateHz: number, o: { keepEvents?: boolean; faults?: readonly BoardFault[] } = {}): Promise<BoardSeedOutcome> {
  const plan = planBoardSeed(seed, rateHz, o.faults);
  const result = await runBoardSim({ world: simWorld(wl, 1 / rateHz), seed, rateHz, cycles: plan.cycles, faults: plan.faults, machine: plan.machine, keepEvents: o.keepEvents ?? false });
  return { plan, result };
}

export function boardReproduceLine(seed: number, rateHz: number, defaultRateHz: number, faultSpecs: readonly string[] = []): string {
  const given = faultSpecs.map((f) => ` --fault '${f}'`).join('');
  return `npm run sim:swarm -- --stack board --seeds 1 --from ${seed}${rateHz !== defaultRateHz ? ` --rate-hz ${rateHz}` : ''}${given} --events seed-${seed}.jsonl`;
}

export interface BoardSwarmSummary {
  seeds: number;
  violations: number;
  failed: { seed: number; line: string; first: string }[];
  /** Over all seeds: worst and 99th percentile of rejoin (first frame to voted in), ms. */
  rejoinMsMax: number;
  rejoinMsP99: number;
  detectMsMax: number;
  reformMsMax: number;
  /** Longest time between two outputs at the plant outside excused spells (ms), and in cycles. */
  worstGapMs: number;
  worstGapCycles: number;
  excusedLostCycles: number;
  simulatedMs: number;
  elapsedMs: number;
  /** Every rejoin time measured (for merging the summaries of parallel runs). */
  rejoinMs: number[];
}

function p99(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * (s.length - 1)))]!;
}

export async function runBoardSwarm(
  wl: LoadedWorkload,
  from: number,
  seeds: number,
  rateHz: number,
  defaultRateHz: number,
  nowMs: () => number,
  onSeed: (o: BoardSeedOutcome) => void = () => {},
  /** `ftc sim --fault` specs to run instead of each seed's own faults. */
  faultSpecs?: readonly string[],
): Promise<BoardSwarmSummary> {
  const faults = faultSpecs?.map((f) => fromSpec(parseFaultSpec(f)));
  const t0 = nowMs();
  const rejoin: number[] = [];
  const s: BoardSwarmSummary = {
    seeds: 0, violations: 0, failed: [], rejoinMsMax: 0, rejoinMsP99: 0, detectMsMax: 0, reformMsMax: 0, worstGapMs: 0, worstGapCycles: 0,
    excusedLostCycles: 0, simulatedMs: 0, elapsedMs: 0, rejoinMs: [],
  };
  for (let seed = from; seed < from + seeds; seed++) {
    const out = await runBoardSeed(wl, seed, rateHz, { faults });
    const r = out.result.report;
    s.seeds++;
    rejoin.push(...r.rejoinMs);
    s.detectMsMax = Math.max(s.detectMsMax, ...r.detectMs, 0);
    s.reformMsMax = Math.max(s.reformMsMax, ...r.reformMs, 0);
    s.worstGapMs = Math.max(s.worstGapMs, r.worstGapMs);
    s.worstGapCycles = Math.max(s.worstGapCycles, r.worstGapCycles);
    s.excusedLostCycles += r.excusedLostCycles;
    s.simulatedMs += out.result.simulatedMs;
    if (r.violations.length) {
      s.violations += r.violations.length;
      const v = r.violations[0]!;
      s.failed.push({
        seed,
        line: boardReproduceLine(seed, rateHz, defaultRateHz, faultSpecs),
        first: `${out.plan.kind} on a ${out.plan.machine.name} machine: ${Math.round(v.tMs)} ms (cycle ${v.cycle}) ${v.kind}: ${v.detail}; faults ${out.plan.faults.map((f) => describeBoardFault(f, SIM_BOARDS)).join(', ')}`,
      });
    }
    onSeed(out);
  }
  s.rejoinMsMax = Math.max(0, ...rejoin);
  s.rejoinMsP99 = p99(rejoin);
  s.rejoinMs = rejoin;
  s.elapsedMs = nowMs() - t0;
  return s;
}

/** The summary of several parallel runs over disjoint seed ranges. */
export function mergeBoardSwarm(parts: readonly BoardSwarmSummary[], elapsedMs: number): BoardSwarmSummary {
  const rejoin = parts.flatMap((p) => p.rejoinMs);
  return {
    seeds: parts.reduce((n, p) => n + p.seeds, 0),
    violations: parts.reduce((n, p) => n + p.violations, 0),
    failed: parts.flatMap((p) => p.failed).sort((a, b) => a.seed - b.seed),
    rejoinMsMax: Math.max(0, ...rejoin),
    rejoinMsP99: p99(rejoin),
    detectMsMax: Math.max(0, ...parts.map((p) => p.detectMsMax)),
    reformMsMax: Math.max(0, ...parts.map((p) => p.reformMsMax)),
    worstGapMs: Math.max(0, ...parts.map((p) => p.worstGapMs)),
    worstGapCycles: Math.max(0, ...parts.map((p) => p.worstGapCycles)),
    excusedLostCycles: parts.reduce((n, p) => n + p.excusedLostCycles, 0),
    simulatedMs: parts.reduce((n, p) => n + p.simulatedMs, 0),
    elapsedMs,
    rejoinMs: rejoin,
  };
}
