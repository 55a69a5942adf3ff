/**
 * When the board runs next: the only way the board shell asks to be woken.
 *
 * Contract:
 * - `at(atMs, fn)` calls `fn(nowMs)` once, at local monotonic time `atMs` or as soon after it as
 *   the machine allows (never before). `nowMs` is the time of the call, read once.
 * - The returned function cancels the call if it has not run yet; calling it again is harmless.
 * - `fn` runs on its own turn of the event loop, never inside `at()`.
 * - A late call is the machine's doing (the OS ran another process, a GC pause, a frozen
 *   process): the scheduler does not try to make up for it. The board sees the lateness in the
 *   `nowMs` it is handed, exactly as on a real board.
 *
 * Real boards and `ftc sim` use {@link timerScheduler} (Node timers); the seeded simulator
 * (src/sim/board-swarm.ts) runs every board under one virtual clock and injects the lateness.
 */
import type { Clock } from './clock.ts';

export type Cancel = () => void;

export interface Scheduler {
  at(atMs: number, fn: (nowMs: number) => void): Cancel;
}

/**
 * A timer woken later than this first yields once to Node's poll phase before it runs: timers run
 * before the poll phase, so frames that arrived while the process was held up are still unread,
 * and a board that missed a sync point would not see its peers' votes for the cycles it missed.
 */
export const LATE_YIELD_MS = 2;

/** The real scheduler: setTimeout on `clock`, yielding once to I/O when woken late. */
export function timerScheduler(clock: Clock): Scheduler {
  return {
    at(atMs, fn) {
      let cancelled = false;
      let timer: NodeJS.Timeout | null = null;
      let immediate: NodeJS.Immediate | null = null;
      const run = () => {
        timer = null;
        immediate = null;
        if (!cancelled) fn(clock.nowMs());
      };
      const arm = () => {
        // Node's timers count whole milliseconds from a cached loop time and fire up to 1 ms
        // early; rounding up, and re-arming when early anyway, keeps a wake from running before
        // its time (an early tick does nothing but cost a whole tick).
        timer = setTimeout(fire, Math.max(0, Math.ceil(atMs - clock.nowMs())));
      };
      const fire = () => {
        timer = null;
        if (cancelled) return;
        const now = clock.nowMs();
        if (now < atMs) return arm();
        if (now - atMs > LATE_YIELD_MS) immediate = setImmediate(run);
        else run();
      };
      arm();
      return () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
      };
    },
  };
}
