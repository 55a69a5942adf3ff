/**
 * Timing of the lockstep voter as a function of the cycle period (pure: no I/O).
 */
import type { VoterConfig } from './config.ts';

/**
 * A repaired board proves itself for this long (its digest matching the members' every cycle, its
 * votes on time) before it votes again: long enough to show its state and its timing are right,
 * short enough that it is back well before the next fault.
 */
export const CLEAN_MS_TO_REJOIN = 300;
/** ... and for at least this many cycles, however slow the rate. */
export const CLEAN_CYCLES_TO_REJOIN_MIN = 3;
/** How often a board out of the voting set asks again for a snapshot. */
export const JOIN_RETRY_MS = 200;
/** Clock drift between boards that the resync follows (beyond it, a board is off its grid: a fault). */
export const DRIFT_TRACKED_PPM = 2000;

/** The clean cycles a rejoining board needs at a period: CLEAN_MS_TO_REJOIN in cycles, at least CLEAN_CYCLES_TO_REJOIN_MIN. */
export function cleanCyclesFor(periodMs: number): number {
  return Math.max(CLEAN_CYCLES_TO_REJOIN_MIN, Math.ceil(CLEAN_MS_TO_REJOIN / periodMs));
}

/**
 * The voter's timing assumptions at a cycle period, for `ftc run` on boards and for `ftc sim` and
 * the swarm alike (so the boards run the timing the swarm checks). Measured on boards that are OS
 * processes on one 2-core machine over ptys and loopback UDP (src/sim/latency-data.ts,
 * src/sim/machine.ts): a frame crosses a pty in ~0.2 ms median, ~1.2 ms p99, loopback UDP in
 * ~0.1 ms; timers wake 0-1 ms late (Node counts whole milliseconds) and a few ms late now and
 * then. A real UART at 921,600 baud moves a 100-byte frame in ~1.1 ms. So the delay bound is 8%
 * of the period but at least 3 ms where the phases leave room for it; at high rates it is
 * squeezed to fit the shortest phase. Every bound scales with the period: fixed millisecond
 * bounds made for 100 Hz (defaultVoterConfig) had boards at 2-10 Hz in a QEMU guest demote
 * themselves for waking 2.4 ms late.
 */
export function voterTimingFor(periodMs: number): Partial<VoterConfig> {
  const phaseMs = periodMs * 0.25; // the shortest phase (commit - vote) with the fractions below
  const msgDelayMaxMs = Math.min(Math.max(3, periodMs * 0.08), phaseMs * 0.55);
  // Every sim process reads the same CLOCK_MONOTONIC, so real skew is nil; what the voter measures
  // as skew is what is left of delivery jitter after the clock filter (src/voter/clock-filter.ts).
  const clockSkewMaxMs = Math.min(4, phaseMs * 0.3);
  return {
    periodMs,
    inputDeadlineFrac: 0.3,
    voteDeadlineFrac: 0.6,
    commitDeadlineFrac: 0.85,
    msgDelayMaxMs,
    msgDelayNominalMs: 0.4,
    clockSkewMaxMs,
    // Track clocks that drift apart by up to DRIFT_TRACKED_PPM at any rate.
    syncSlewMaxMsPerCycle: periodMs * DRIFT_TRACKED_PPM * 1e-6,
    // A phase run later than this missed its sync point: the board sends nothing stale and
    // computes that cycle from its peers' votes. When the OS delays every board process at once
    // only the cycles nobody computed are lost; beyond lateToleranceCycles periods the board
    // steps down, and if all did, the rig re-forms.
    lateMaxMs: phaseMs * 0.9,
    lateToleranceCycles: 4,
    lateBudgetCycles: 10,
    // Total loss: re-form after about 1 s without a live voting set.
    reformQuietCycles: Math.max(11, Math.round(1000 / periodMs)),
    // Fail-safe (a double fault left no two boards agreeing) holds a second, then the boards re-form.
    failSafeHoldCycles: Math.max(5, Math.round(1000 / periodMs)),
    listenCycles: Math.max(1, Math.round(1000 / periodMs)),
    cleanCyclesToRejoin: cleanCyclesFor(periodMs),
    // A board out of the voting set asks for a snapshot again this often (and members resend one
    // no sooner): after a partition heals it is heard within JOIN_RETRY_MS, at any rate.
    joinRetryCycles: Math.max(2, Math.ceil(JOIN_RETRY_MS / periodMs)),
  };
}
