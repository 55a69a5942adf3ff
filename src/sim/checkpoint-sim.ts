/**
 * The seeded simulator of the checkpoint class (pure): three CheckpointCores, each board running
 * a non-deterministic workload on its own seeded randomness, over a network that delays, drops,
 * duplicates and reorders messages, with a membership model whose views lag and disagree the way
 * the rig's do. One seed: one fault on the primary (crash, hang or partition) at a random point of
 * the checkpoint protocol, or none, plus message loss.
 *
 * Invariants (each a violation when broken):
 * - continuity: the output stage applies epochs in order, and each applied epoch's outputs say
 *   they were computed from the state of the epoch before it (output 0 is the step count): no
 *   committed state rolled back, no step done twice;
 * - conflict: two releases of one epoch with different outputs (two primaries computed it);
 * - stale release: a board releases, in a term older than one that already resumed, an epoch
 *   newer than the one that term resumed from;
 * - lost committed: an epoch acknowledged by a backup is older than the epoch a new primary
 *   resumed from... is fine; one that is newer than it is lost (the resume rolled it back);
 * - liveness: after the fault, epochs are applied again within `failoverCyclesMax`.
 *
 * Membership is modelled, not the real one: the voter's own swarm (src/sim/sim.ts) checks that;
 * here what matters is that the checkpoint protocol is safe under any views membership can give.
 */
import { CheckpointCore, makeCheckpointConfig, NONE, type CkptEffect, type CkptMsg, type MembershipView } from '../checkpoint/core.ts';
import { Prng } from './prng.ts';

export type CkptFaultKind = 'none' | 'crash' | 'hang' | 'partition';

export interface CkptPlan {
  seed: number;
  cycles: number;
  fault: CkptFaultKind;
  /** Cycle and step within it at which the fault hits the primary (every protocol point gets hit over many seeds). */
  atCycle: number;
  atStep: number;
  forCycles: number;
  /** How late the faulty board itself sees that it is out (cycles): it may still think it is primary when a partition heals. */
  staleCycles: number;
  loss: number;
  stateBytes: number;
}

export interface CkptResult {
  violations: string[];
  applied: number;
  releases: number;
  failoverCycles: number | null;
}

const boards = 3;
/** Message delivery is stepped: a cycle has this many steps, messages take 1..delayStepsMax. */
const stepsPerCycle = 8;
const delayStepsMax = 5;
/** Membership: a faulty board is out of its peers' views this many cycles after the fault (+ lag per board). */
const detectCycles = 3;
const viewLagCyclesMax = 2;
/** A board that hears no majority keeps its stale view this long (its lease), then sees itself out. */
const leaseCycles = 2;
/** A board voted out is reset (fenced) and rejoins empty after this many cycles. */
const rejoinCycles = 10;
/** From the fault to the next applied epoch, at most (detection, lag, query and answer, a pull). */
export const failoverCyclesMax = detectCycles + viewLagCyclesMax + 6;

export function planFor(seed: number): CkptPlan {
  const r = new Prng(seed);
  const kinds: CkptFaultKind[] = ['none', 'crash', 'crash', 'hang', 'partition', 'partition'];
  return {
    seed,
    cycles: 80,
    fault: kinds[r.int(kinds.length)]!,
    atCycle: 15 + r.int(20),
    atStep: r.int(stepsPerCycle),
    forCycles: 3 + r.int(12),
    staleCycles: leaseCycles + r.int(10),
    // Per message after the redundant links (serial and UDP each lose it): a few per cent at worst.
    loss: r.chance(0.3) ? r.range(0, 0.05) : 0,
    stateBytes: [16, 200, 700, 3000][r.int(4)]!,
  };
}

interface Packet { at: number; to: number; msg: CkptMsg }

export function runCheckpointSeed(plan: CkptPlan, trace?: (line: string) => void): CkptResult {
  const rng = new Prng(plan.seed ^ 0x5eed);
  const violations: string[] = [];
  const cfg = (self: number) => makeCheckpointConfig({ self, boards, chunkBytesMax: 256, stateBytesMax: 8192, outputsMax: 4, retryMs: stepsPerCycle });
  const cores = Array.from({ length: boards }, (_, b) => new CheckpointCore(cfg(b)));
  /** Each board's workload state (decoded), its own randomness. */
  const states: (Uint8Array | null)[] = [null, null, null];
  const boardRng = Array.from({ length: boards }, (_, b) => new Prng(plan.seed * 7 + b));
  let net: Packet[] = [];
  let now = 0;
  // ---- membership model
  const faulty = plan.fault === 'none' ? NONE : 0; // the initial primary is board 0 (rank order)
  const faultStart = plan.atCycle * stepsPerCycle + plan.atStep;
  const faultEnd = faultStart + plan.forCycles * stepsPerCycle;
  const lag = Array.from({ length: boards }, () => rng.int(viewLagCyclesMax + 1) * stepsPerCycle);
  const resetAt = faulty === NONE ? Infinity : faultStart + (detectCycles + viewLagCyclesMax + 1) * stepsPerCycle;
  const backAt = resetAt + rejoinCycles * stepsPerCycle;
  const down = (b: number, t: number) => b === faulty && ((plan.fault === 'crash' && t >= faultStart && t < resetAt) || (plan.fault === 'hang' && t >= faultStart && t < Math.min(faultEnd, resetAt)) || t >= resetAt && t < backAt);
  const cutOff = (b: number, t: number) => b === faulty && plan.fault === 'partition' && t >= faultStart && t < Math.min(faultEnd, resetAt);
  const viewOf = (b: number, t: number): MembershipView => {
    const out = faulty !== NONE && t >= faultStart + detectCycles * stepsPerCycle + lag[b]! && t < backAt;
    // After the failover the active role stays with the board that took it (no preemption on rejoin).
    const order = faulty !== NONE && t >= faultStart + detectCycles * stepsPerCycle + lag[b]! ? [1, 2, 0] : [0, 1, 2];
    if (b === faulty) {
      // The faulty board itself: out after its lease once it is cut off or hung; while it was down it saw nothing.
      const seesOut = t >= faultStart + plan.staleCycles * stepsPerCycle && t < backAt;
      if (seesOut) return { member: false, primary: null, membersMask: 0 };
      return { member: true, primary: t >= backAt ? 1 : 0, membersMask: 0b111 };
    }
    const members = out ? 0b111 & ~(1 << faulty) : 0b111;
    const primary = order.find((x) => members & (1 << x))!;
    return { member: true, primary, membersMask: members };
  };
  // ---- output stage and referee
  let lastApplied = NONE;
  let lastOut0 = 0;
  const releasedBy = new Map<number, string>();
  let applied = 0;
  let releases = 0;
  let maxResumedTerm = NONE;
  let resumedEpoch = NONE;
  const committed: { term: number; epoch: number }[] = [];
  let firstAfterFault: number | null = null;
  const deliver = (from: number, fx: CkptEffect[], t: number) => {
    for (const e of fx) {
      if (trace && e.kind !== 'send') trace(`t${t} b${from} ${JSON.stringify(e)}`);
      if (trace && e.kind === 'send' && e.msg.t !== 'ck') trace(`t${t} b${from} send ${JSON.stringify(e.msg)}${e.to === undefined ? '' : ` to ${e.to}`}`);
      if (e.kind === 'send') {
        for (let to = 0; to < boards; to++) {
          if (to === from || (e.to !== undefined && e.to !== to)) continue;
          if (rng.chance(plan.loss)) continue;
          const copies = rng.chance(0.02) ? 2 : 1;
          for (let k = 0; k < copies; k++) net.push({ at: t + 1 + rng.int(delayStepsMax), to, msg: e.msg });
          if (e.msg.t === 'ack') committed.push({ term: e.msg.term, epoch: e.msg.epoch });
        }
      } else if (e.kind === 'release') {
        releases++;
        const term = cores[from]!.term;
        // An old primary may still release an epoch committed before the new term resumed (acks it
        // got before it hung): the same outputs, dropped by the output stage. Anything newer is not.
        if (term < maxResumedTerm && e.epoch > resumedEpoch) violations.push(`stale release: board ${from} released epoch ${e.epoch} in term ${term} after term ${maxResumedTerm} resumed from ${resumedEpoch} (t ${t})`);
        const key = JSON.stringify(e.outputs);
        const prev = releasedBy.get(e.epoch);
        if (prev !== undefined && prev !== key) violations.push(`conflict: epoch ${e.epoch} released as ${prev} and as ${key}`);
        releasedBy.set(e.epoch, key);
        if (e.epoch > lastApplied) {
          if (e.outputs[0] !== e.epoch + 1) violations.push(`continuity: epoch ${e.epoch} carries step count ${e.outputs[0]}`);
          if (e.outputs[0]! <= lastOut0) violations.push(`continuity: step count went from ${lastOut0} to ${e.outputs[0]}`);
          lastApplied = e.epoch;
          lastOut0 = e.outputs[0]!;
          applied++;
          if (firstAfterFault === null && faulty !== NONE && t > faultStart) firstAfterFault = t;
        }
      } else if (e.kind === 'resume') {
        // Everything committed must be at or before the epoch resumed from.
        for (const c of committed) if (c.epoch > e.epoch) violations.push(`lost committed: epoch ${c.epoch} (term ${c.term}) acknowledged, but board ${from} resumed from ${e.epoch} in term ${e.term}`);
        if (e.term > maxResumedTerm) { maxResumedTerm = e.term; resumedEpoch = e.epoch; }
        states[from] = e.state;
      }
    }
  };
  const total = plan.cycles * stepsPerCycle;
  for (now = 0; now < total; now++) {
    if (faulty !== NONE && now === resetAt) {
      cores[faulty] = new CheckpointCore(cfg(faulty)); // fenced: reset, memory lost
      states[faulty] = null;
    }
    const due = net.filter((p) => p.at <= now);
    net = net.filter((p) => p.at > now);
    for (let k = due.length - 1; k > 0; k--) { const j = rng.int(k + 1); [due[k], due[j]] = [due[j]!, due[k]!]; } // reorder
    for (let b = 0; b < boards; b++) {
      if (down(b, now)) {
        // A hung board's messages wait for it; a crashed or reset one's are lost.
        if (plan.fault === 'hang' && now < resetAt) net.push(...due.filter((p) => p.to === b).map((p) => ({ ...p, at: now + 1 })));
        continue;
      }
      const inbox = due.filter((p) => p.to === b && !cutOff(b, now)).map((p) => p.msg);
      const view = viewOf(b, now);
      const core = cores[b]!;
      const fx = core.step(now, inbox, view);
      const sendFx = cutOff(b, now) ? fx.filter((e) => e.kind !== 'send') : fx;
      deliver(b, sendFx, now);
      // The primary runs one epoch per cycle, at the cycle start.
      if (core.role === 'primary' && now % stepsPerCycle === 0) {
        const epoch = core.nextEpoch;
        const s = stepWorkload(states[b] ?? null, plan.stateBytes, boardRng[b]!);
        states[b] = s.state;
        const out = core.complete(epoch, s.state, s.outputs, view);
        deliver(b, cutOff(b, now) ? out.filter((e) => e.kind !== 'send') : out, now);
      }
    }
  }
  let failoverCycles: number | null = null;
  if (faulty !== NONE && plan.fault !== 'none') {
    failoverCycles = firstAfterFault === null ? null : Math.ceil((firstAfterFault - faultStart) / stepsPerCycle);
    if (failoverCycles === null || failoverCycles > failoverCyclesMax) violations.push(`liveness: no epoch applied within ${failoverCyclesMax} cycles of the ${plan.fault} (${failoverCycles ?? 'never'})`);
  }
  if (applied < plan.cycles / 2) violations.push(`liveness: only ${applied} of ${plan.cycles} epochs applied`);
  return { violations, applied, releases, failoverCycles };
}

/**
 * The simulated workload: a step counter (4 bytes) and a body of `bytes` bytes of which a few
 * change each step from the board's own randomness: non-deterministic, as a checkpoint workload
 * may be. Outputs: [step count, one body byte].
 */
function stepWorkload(state: Uint8Array | null, bytes: number, rng: Prng): { state: Uint8Array; outputs: number[] } {
  const next = new Uint8Array(4 + bytes);
  if (state) next.set(state.subarray(0, next.length));
  const dv = new DataView(next.buffer);
  const n = (state ? dv.getUint32(0, true) : 0) + 1;
  dv.setUint32(0, n, true);
  for (let k = 0; k < 3; k++) next[4 + rng.int(bytes)] = rng.int(256);
  return { state: next, outputs: [n, next[4]!] };
}

export interface CkptSwarmSummary { seeds: number; violations: number; failed: { seed: number; first: string }[]; worstFailoverCycles: number; applied: number }

export function runCheckpointSwarm(from: number, seeds: number): CkptSwarmSummary {
  const failed: { seed: number; first: string }[] = [];
  let worst = 0;
  let applied = 0;
  for (let s = from; s < from + seeds; s++) {
    const r = runCheckpointSeed(planFor(s));
    applied += r.applied;
    if (r.failoverCycles !== null) worst = Math.max(worst, r.failoverCycles);
    if (r.violations.length) failed.push({ seed: s, first: r.violations[0]! });
  }
  return { seeds, violations: failed.length, failed, worstFailoverCycles: worst, applied };
}
