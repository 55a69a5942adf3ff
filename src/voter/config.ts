/**
 * Voter configuration. The protocol's timing assumptions are explicit here and checked:
 * every message sent at one phase must reach every healthy peer before the next deadline even
 * when the two boards' cycle starts differ by the worst skew.
 */
export interface VoterPolicy {
  /** Keep driving with two boards (compare; fail safe on mismatch). If false, losing a board fails safe. */
  allowDuplex: boolean;
}

export interface VoterConfig {
  /** This board's id (0..boards-1). */
  self: number;
  boards: number;
  periodMs: number;
  /** Fractions of the period at which inputs are agreed (and votes sent), votes counted, selects committed. */
  inputDeadlineFrac: number;
  voteDeadlineFrac: number;
  commitDeadlineFrac: number;
  /**
   * Periods after a cycle's start at which the output stage stops waiting for its selects (the
   * plant of `ftc sim` closes cycle k at k + 1.5 periods): a late count and commit of a board
   * that voted on time still matter until then, less the delay.
   */
  outputDeadlineFrac: number;
  /** Assumed bound on one-way message delay between healthy boards (per transport). */
  msgDelayMaxMs: number;
  /** Typical one-way delay, subtracted when estimating a peer's cycle start. */
  msgDelayNominalMs: number;
  /** Assumed bound on the difference of cycle starts between healthy boards after resync. */
  clockSkewMaxMs: number;
  /** Resync: fraction of the median offset corrected per cycle, and a cap (so drift up to capMs/periodMs is tracked). */
  syncGain: number;
  syncSlewMaxMsPerCycle: number;
  /**
   * A phase run later than this after its deadline missed its sync point: the board sends nothing
   * stale for that cycle (no input, vote or select) and computes it afterwards from the votes its
   * peers sent (catch-up), so a late wake costs the rig at most the cycles nobody computed.
   */
  lateMaxMs: number;
  /** Wakes later than this many periods (a long stall) make the board step down and rejoin. */
  lateToleranceCycles: number;
  /** Own late score: +1 per missed cycle, -faultDecayPerCycle per clean one; at this a board steps down. */
  lateBudgetCycles: number;
  /**
   * Total-loss recovery: a non-member that has seen no live voting set (no member proposal naming a
   * driver) for this many cycles is ready to re-form one with the other ready boards.
   */
  reformQuietCycles: number;
  /** Cycles between a re-form proposal and the cycle at which the new members start voting. */
  reformLeadCycles: number;
  /** A member with no majority for this many cycles in a row (any mode) steps down (re-form can then run). */
  lonelyCyclesMax: number;
  /**
   * A rig that failed safe (no two boards agree) holds safe outputs this many cycles, then its
   * members step down so the boards re-form from the last state a majority confirmed (total-loss
   * recovery): failing safe is not forever once a third opinion is back.
   */
  failSafeHoldCycles: number;
  /** Cold start: periods an unaligned board listens for a rig before it starts its own cycle grid. */
  listenCycles: number;
  /** Fault counter: +1 per bad cycle, -decay per clean cycle; accuse at threshold. */
  faultThreshold: number;
  faultDecayPerCycle: number;
  /** Cycles without a majority behind it before a board steps down on its own (< the others' detection). */
  leaseCycles: number;
  cleanCyclesToRejoin: number;
  joinRetryCycles: number;
  snapshotChunkBytesMax: number;
  /** How many cycles of votes a joiner buffers to catch up after its snapshot. */
  catchupCyclesMax: number;
  /** Local time at which cycle 0 starts (boards started together; a cold board's own grid). */
  epochStartMs: number;
  /**
   * member: boards started together from a shared t0 (simulators). joining / cold: no state, no
   * shared clock: listen, align to the cycle grid of what is heard (a live rig, else the
   * highest-ranked board that is also starting), then get a snapshot or re-form a voting set.
   */
  startAs: 'member' | 'joining' | 'cold';
  /** Initial rank order; the first member is the active board. */
  rankOrder: number[];
  policy: VoterPolicy;
  /** Events kept in snapshot().recentVotes. */
  recentVotesMax: number;
}

export const defaultVoterConfig: Omit<VoterConfig, 'self'> = {
  boards: 3,
  periodMs: 10,
  inputDeadlineFrac: 0.3,
  voteDeadlineFrac: 0.6,
  commitDeadlineFrac: 0.85,
  outputDeadlineFrac: 1.5,
  msgDelayMaxMs: 1.5,
  msgDelayNominalMs: 0.5,
  clockSkewMaxMs: 0.5,
  syncGain: 0.5,
  syncSlewMaxMsPerCycle: 0.02,
  lateMaxMs: 2,
  lateToleranceCycles: 4,
  lateBudgetCycles: 10,
  reformQuietCycles: 30,
  reformLeadCycles: 3,
  lonelyCyclesMax: 20,
  failSafeHoldCycles: 100,
  listenCycles: 20,
  faultThreshold: 2,
  faultDecayPerCycle: 0.05,
  leaseCycles: 1,
  cleanCyclesToRejoin: 20,
  joinRetryCycles: 10,
  snapshotChunkBytesMax: 512,
  catchupCyclesMax: 64,
  epochStartMs: 0,
  startAs: 'member',
  rankOrder: [0, 1, 2],
  policy: { allowDuplex: true },
  recentVotesMax: 16,
};

export class VoterConfigError extends Error {}

function bad(field: string, value: unknown, fix: string): never {
  throw new VoterConfigError(`voter config: ${field} = ${JSON.stringify(value)}; ${fix}`);
}

export function makeVoterConfig(over: Partial<VoterConfig> & { self: number }): VoterConfig {
  const c: VoterConfig = { ...defaultVoterConfig, ...over, policy: { ...defaultVoterConfig.policy, ...over.policy } };
  if (c.boards !== 3) bad('boards', c.boards, 'the 2-out-of-3 voter needs exactly 3 boards');
  if (!Number.isInteger(c.self) || c.self < 0 || c.self >= c.boards) bad('self', c.self, `use 0..${c.boards - 1}`);
  if (!(c.periodMs > 0)) bad('periodMs', c.periodMs, 'use a positive period, e.g. 10 for 100 Hz');
  const fr = [c.inputDeadlineFrac, c.voteDeadlineFrac, c.commitDeadlineFrac];
  if (!(0 < fr[0]! && fr[0]! < fr[1]! && fr[1]! < fr[2]! && fr[2]! < 1)) {
    bad('inputDeadlineFrac/voteDeadlineFrac/commitDeadlineFrac', fr, 'use 0 < input < vote < commit < 1');
  }
  if (!(c.outputDeadlineFrac > fr[2]! && c.outputDeadlineFrac <= 2)) bad('outputDeadlineFrac', c.outputDeadlineFrac, `use commitDeadlineFrac (${fr[2]}) < outputDeadlineFrac <= 2`);
  const gapMs = Math.min(fr[0]!, fr[1]! - fr[0]!, fr[2]! - fr[1]!) * c.periodMs;
  if (c.msgDelayMaxMs + c.clockSkewMaxMs >= gapMs) {
    bad('msgDelayMaxMs', c.msgDelayMaxMs, `msgDelayMaxMs + clockSkewMaxMs must be < the shortest phase (${gapMs} ms): lengthen periodMs or the phases`);
  }
  if (!(c.lateMaxMs > 0 && c.lateMaxMs < gapMs)) bad('lateMaxMs', c.lateMaxMs, `use 0 < lateMaxMs < ${gapMs}`);
  if (!(Number.isInteger(c.lateToleranceCycles) && c.lateToleranceCycles >= 0 && c.lateToleranceCycles <= 16)) bad('lateToleranceCycles', c.lateToleranceCycles, 'use an integer 0..16 (periods a late wake may be caught up)');
  if (!(c.lateBudgetCycles > c.lateToleranceCycles)) bad('lateBudgetCycles', c.lateBudgetCycles, `use more than lateToleranceCycles (${c.lateToleranceCycles})`);
  if (!(Number.isInteger(c.reformQuietCycles) && c.reformQuietCycles > c.joinRetryCycles)) bad('reformQuietCycles', c.reformQuietCycles, `use an integer > joinRetryCycles (${c.joinRetryCycles}) so a re-form never races a live rig's snapshot`);
  if (!(Number.isInteger(c.reformLeadCycles) && c.reformLeadCycles >= 2 && c.reformLeadCycles <= 16)) bad('reformLeadCycles', c.reformLeadCycles, 'use an integer 2..16');
  if (!(Number.isInteger(c.failSafeHoldCycles) && c.failSafeHoldCycles >= 1)) bad('failSafeHoldCycles', c.failSafeHoldCycles, 'use an integer >= 1');
  if (!(c.lonelyCyclesMax > c.leaseCycles)) bad('lonelyCyclesMax', c.lonelyCyclesMax, `use more than leaseCycles (${c.leaseCycles})`);
  if (!(Number.isInteger(c.listenCycles) && c.listenCycles >= 1)) bad('listenCycles', c.listenCycles, 'use an integer >= 1');
  if (!(c.faultThreshold >= 1)) bad('faultThreshold', c.faultThreshold, 'use >= 1');
  if (!(c.leaseCycles >= 0 && c.leaseCycles < c.faultThreshold)) bad('leaseCycles', c.leaseCycles, `use 0 <= leaseCycles < faultThreshold (${c.faultThreshold}) so a cut-off board steps down before the others vote it out`);
  if (!(c.snapshotChunkBytesMax >= 8 && c.snapshotChunkBytesMax <= 1024)) bad('snapshotChunkBytesMax', c.snapshotChunkBytesMax, 'use 8..1024');
  if (!(c.catchupCyclesMax >= 4 && c.catchupCyclesMax <= 4096)) bad('catchupCyclesMax', c.catchupCyclesMax, 'use 4..4096');
  if (c.rankOrder.length !== c.boards || [...c.rankOrder].sort().some((b, i) => b !== i)) bad('rankOrder', c.rankOrder, 'use a permutation of the board ids');
  return c;
}
