import { Prng } from './prng.ts';
import { runReference, sameSamplesWorld, type SimWorld } from './plant.ts';
import { simulate, type Fault, type FaultKind, type SimResult } from './sim.ts';
import { defaultVoterConfig } from '../voter/config.ts';

const defaultPeriodMs = defaultVoterConfig.periodMs;

/**
 * Random fault schedules. Seeds with seed % 10 === 9 draw two overlapping faults on two boards
 * (outside the single-fault hypothesis: the expectation is fail-safe behaviour: never two
 * drivers, never an output without a majority, never a wrong output); all others draw one or
 * two faults one after another, each repaired (and the board reintegrated) before the next.
 */
export const singleKinds: readonly FaultKind[] = [
  'crash', 'pause', 'restart', 'loss', 'corrupt', 'duplicate', 'reorder', 'delay', 'partition',
  'partitionIn', 'partitionOut', 'bitflip', 'lie', 'sensorStuck', 'sensorNoisy', 'drift', 'serialCut',
];
// Two stuck sensors outvote the good one: no voter can see that, so sensor faults stay single.
const doubleKinds: readonly FaultKind[] = ['crash', 'pause', 'bitflip', 'lie', 'partition', 'loss', 'partitionIn'];

export interface SeedPlan { seed: number; cycles: number; hypothesis: 'single' | 'double'; faults: Fault[]; codec: boolean }

/**
 * Rig-wide phase (seed % 10 === 4): the OS delays every board at once (a short correlated pause,
 * within the late tolerance: only the cycles nobody could compute may be lost; or a long one:
 * every board steps down and the rig must re-form by itself), or the whole rig loses power.
 */
function drawRigWide(rng: Prng, start: number, periodMs: number): Fault {
  const phase = rng.next();
  const r = rng.next();
  if (r < 0.75) {
    const durationMs = (r < 0.5 ? rng.range(0.2, 2.9) : rng.range(6, 25)) * periodMs;
    return { kind: 'pauseAll', board: -1, startCycle: start, phase, durationMs, endCycle: Math.ceil(start + phase + durationMs / periodMs) + 1 };
  }
  return { kind: 'restartAll', board: -1, startCycle: start, phase, endCycle: start + 1 + rng.int(30) };
}

export const rejoinBoundCycles = 80;

function drawFault(rng: Prng, kind: FaultKind, board: number, start: number, maxLen: number): Fault {
  const len = Math.max(1, Math.min(maxLen, kind === 'pause' ? 1 + rng.int(80) : 5 + rng.int(120)));
  const f: Fault = { kind, board, startCycle: start, endCycle: start + len, phase: rng.next() };
  if (kind === 'loss' || kind === 'corrupt') f.p = rng.range(0.05, 0.6);
  if (kind === 'duplicate') f.p = rng.range(0.1, 1);
  if (kind === 'bitflip') f.bit = rng.int(192);
  if (kind === 'drift') f.driftPpm = rng.chance(0.5) ? rng.range(-1500, 1500) : (rng.chance(0.5) ? 1 : -1) * rng.range(20000, 50000);
  if (kind === 'serialCut') f.peer = (board + 1 + rng.int(2)) % 3;
  return f;
}

export function planSeed(seed: number, cycles: number): SeedPlan {
  const rng = new Prng(seed ^ 0x5eed5eed);
  const faults: Fault[] = [];
  const double = seed % 10 === 9;
  // Faults hit the active board (board 0 at start) more often: its failover is the interesting case.
  const pickBoard = () => (rng.chance(0.45) ? 0 : rng.int(3));
  if (seed % 10 === 4) {
    faults.push(drawRigWide(rng, 30 + rng.int(60), defaultPeriodMs));
  } else if (double) {
    const a = pickBoard();
    const b = (a + 1 + rng.int(2)) % 3;
    const s = 30 + rng.int(Math.max(1, cycles / 3));
    faults.push(drawFault(rng, rng.pick(doubleKinds), a, s, cycles - s - 10));
    const s2 = s + rng.int(20);
    faults.push(drawFault(rng, rng.pick(doubleKinds), b, s2, cycles - s2 - 10));
  } else {
    let start = 30 + rng.int(60);
    for (let i = 0; i < 2; i++) {
      const room = cycles - rejoinBoundCycles - 40 - start;
      if (room < 10) break;
      const f = drawFault(rng, rng.pick(singleKinds), pickBoard(), start, room);
      faults.push(f);
      start = Math.max(f.endCycle, f.startCycle + 1) + rejoinBoundCycles + 30 + rng.int(40);
    }
  }
  return { seed, cycles, hypothesis: double ? 'double' : 'single', faults, codec: seed % 4 === 0 };
}

export interface SeedOutcome { plan: SeedPlan; result: SimResult }

export function runSeed(world: SimWorld, seed: number, cycles: number): SeedOutcome {
  const plan = planSeed(seed, cycles);
  const same = sameSamplesWorld(world);
  const result = simulate({
    world: same, seed, cycles, faults: plan.faults, hypothesis: plan.hypothesis, codec: plan.codec,
    reference: runReference(same, seed, cycles), rejoinBoundCycles,
  });
  return { plan, result };
}

export function reproduceLine(seed: number, cycles: number, defaultCycles: number): string {
  return `node --import=tsx src/sim/swarm-cli.ts --seeds 1 --from ${seed}${cycles !== defaultCycles ? ` --cycles ${cycles}` : ''}`;
}

export interface SwarmSummary {
  seeds: number;
  violations: number;
  failed: { seed: number; line: string; first: string }[];
  worstGapSingle: number;
  worstGapDouble: number;
  worstDetect: number;
  worstRejoin: number;
  elapsedMs: number;
}

export function runSwarm(world: SimWorld, from: number, seeds: number, cycles: number, defaultCycles: number, nowMs: () => number): SwarmSummary {
  const t0 = nowMs();
  const s: SwarmSummary = { seeds: 0, violations: 0, failed: [], worstGapSingle: 0, worstGapDouble: 0, worstDetect: 0, worstRejoin: 0, elapsedMs: 0 };
  for (let seed = from; seed < from + seeds; seed++) {
    const { plan, result: r } = runSeed(world, seed, cycles);
    s.seeds++;
    if (plan.hypothesis === 'single') s.worstGapSingle = Math.max(s.worstGapSingle, r.worstGapCycles);
    else s.worstGapDouble = Math.max(s.worstGapDouble, r.worstGapCycles);
    s.worstDetect = Math.max(s.worstDetect, r.worstDetectCycles);
    s.worstRejoin = Math.max(s.worstRejoin, r.worstRejoinCycles);
    if (r.violations.length) {
      s.violations += r.violations.length;
      const v = r.violations[0]!;
      s.failed.push({
        seed,
        line: reproduceLine(seed, cycles, defaultCycles),
        first: `cycle ${v.cycle} ${v.kind}: ${v.detail}; faults ${JSON.stringify(plan.faults)}`,
      });
    }
  }
  s.elapsedMs = nowMs() - t0;
  return s;
}
