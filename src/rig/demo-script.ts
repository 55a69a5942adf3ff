/**
 * `ftc demo`'s fault sequence (pure data), shared by the demo itself (src/rig/actions.ts) and the
 * whole-board simulator, which runs the same script with machine faults around it.
 */
/** The demo's script: one fault at a time, each repaired before the next (times from cycle 0). */
// Each fault comes after the board hit before it is back in the voting set (a restarted board
// takes ~4-5 s: process start, a second of listening, a snapshot, 10 clean cycles), so the rig
// is never asked to survive two faults at once.
export const DEMO_FAULTS = [
  'kill:active@3s', // the active board crashes; the supervisor restarts it 1 s later and it rejoins
  'hang:b2@9s+500ms', // SIGSTOP: voted out, its watchdog resets it, reintegrated
  'flip:b3@16s', // one bit of workload state flips: outvoted the same cycle, rejoins from a snapshot
  'cut:b1-b2/serial@20s+3s', // the serial cable is cut: UDP carries on
  'psu:active:a@24s+4s', // the active board loses a PSU and hands its role away
] as const;
export const DEMO_DURATION_MS = 30_000;

