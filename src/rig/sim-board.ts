/**
 * What a simulated board is, shared by `ftc sim` (board processes, src/rig/board-main.ts, and
 * their supervisor, src/rig/sim-run.ts) and the seeded simulator (src/sim/board-sim.ts), so the
 * two simulate the same board: its pins, its watchdog, its links' timing, and how the supervisor
 * treats it (restart delay, how long a fenced board may take to reset itself).
 */
import type { PeripheralsOptions } from '../peripherals/peripherals.ts';
import { tickMaxMs } from '../shell/board.ts';
import { SIM_BOARDS } from './sim-protocol.ts';

/**
 * Simulated pins: power-good inputs (active low, like open-drain PG outputs) and the j5 parts.
 * They sit above 100, away from the BCM numbers (0-27) an example's io mapping uses, so the
 * same io.yaml runs on a Raspberry Pi and in the simulator.
 */
export const simPins = { pgoodA: 105, pgoodB: 106, roleLed: 110, faultLed: 111, alarm: 112, button: 113, select: { b1: 120, b2: 121, b3: 122 } } as const;

/** The johnny-five parts of a simulated board: role and fault LEDs, a select relay per board, button, alarm. */
export const simPeripheralPins: PeripheralsOptions['gpio'] = {
  statusLeds: { role: { pin: simPins.roleLed, activeLow: false }, fault: { pin: simPins.faultLed, activeLow: false } },
  outputSelect: SIM_BOARDS.map((b) => ({ name: `sel-${b}`, pin: simPins.select[b], activeLow: false })),
  maintenanceButton: { pin: simPins.button, activeLow: false, holdMs: 3000, debounceMs: 20 },
  alarm: { pin: simPins.alarm, activeLow: false },
};

export const simPsuRails = [
  { name: 'psu-a', powerGoodPin: simPins.pgoodA, activeLow: true },
  { name: 'psu-b', powerGoodPin: simPins.pgoodB, activeLow: true },
];

/** Simulated watchdog timeout: also how long a kill -9'd board stays dark before its WDT resets it. */
export const SIM_WATCHDOG_TIMEOUT_MS = 1000;
/** The simulated watchdog's feed period (the gate's rule: at most half the timeout, at least two ticks). */
export const SIM_WATCHDOG_FEED_PERIOD_MS = Math.max(tickMaxMs * 2, SIM_WATCHDOG_TIMEOUT_MS / 5);
/** A fenced board gets this long to reset itself (its own watchdog) before its reset line is pulled. */
export const SIM_FENCE_GRACE_MS = 2 * SIM_WATCHDOG_TIMEOUT_MS + 500;
/** The supervisor restarts an exited board process after this long. */
export const SIM_RESTART_DELAY_MS = 200;
/** A simulated board's SoC temperature when no temp: fault says otherwise. */
export const SIM_TEMP_NORMAL_C = 45;
/** Cycle 0 starts this long after the last process of the rig said it was ready. */
export const SIM_START_DELAY_MS = 500;
/** The LinkSet's timing between simulated boards. */
export const SIM_LINK_TIMING = { downAfterMs: 300, pingIntervalMs: 100 } as const;
