/**
 * A board warms up before it takes part. A process that has just started is slow for a while:
 * V8 compiles its hot paths on first use, modules load lazily, start-up garbage is collected. Its
 * first deadlines are missed by 5-20 ms (measured in `ftc sim`), and a board that votes while it
 * is that late is a faulty board in its peers' eyes: at boot the rig never settled, after a restart
 * a rejoining board fell behind. So before a board says it is ready (`ftc sim`) or starts its
 * tick loop (`ftc run`), it wakes on its own scheduler at the rate it will run, exercising the hot
 * paths each time (frame codec and HMAC, message codec, the workload's step and encoding), until
 * its wakes have been punctual for a while. Bounded: after `boundMs` it starts anyway and says so.
 */
import type { FrameCodec } from '../bus/frame.ts';
import type { Clock } from '../ports/clock.ts';
import type { Scheduler } from '../ports/scheduler.ts';
import { decodeMsg, encodeMsg, type Msg } from '../voter/codec.ts';
import { toDigest } from '../voter/hash.ts';
import type { Workload } from '../workload/types.ts';

export interface WarmUpOptions {
  clock: Clock;
  scheduler: Scheduler;
  /** Time between wakes: the board's phase spacing. */
  intervalMs: number;
  /** Warm once every wake of the last `punctualMs` was at most `lateOkMs` late. */
  punctualMs: number;
  lateOkMs: number;
  /** Start anyway after this long (`warm: false` in the result). */
  boundMs: number;
  /** The hot paths, run once per wake. */
  exercise: () => void;
}

export interface WarmUpResult {
  warm: boolean;
  tookMs: number;
  wakes: number;
  /** The latest wake seen, and the latest in the punctual stretch at the end. */
  lateMaxMs: number;
}

export function warmUp(o: WarmUpOptions): Promise<WarmUpResult> {
  return new Promise((resolve) => startWarmUp(o, resolve));
}

/** warmUp() with a callback, called from the scheduler's own turn (the simulator's virtual time). */
export function startWarmUp(o: WarmUpOptions, done: (r: WarmUpResult) => void): void {
  if (!(o.intervalMs > 0 && o.punctualMs >= o.intervalMs && o.lateOkMs > 0 && o.boundMs >= o.punctualMs)) {
    throw new RangeError(`warmUp: need intervalMs > 0, punctualMs >= intervalMs, lateOkMs > 0, boundMs >= punctualMs (got ${JSON.stringify({ intervalMs: o.intervalMs, punctualMs: o.punctualMs, lateOkMs: o.lateOkMs, boundMs: o.boundMs })})`);
  }
  const startMs = o.clock.nowMs();
  let punctualSinceMs = startMs;
  let wakes = 0;
  let lateMaxMs = 0;
  const wake = (dueMs: number) => (nowMs: number) => {
    wakes++;
    const late = nowMs - dueMs;
    lateMaxMs = Math.max(lateMaxMs, late);
    if (late > o.lateOkMs) punctualSinceMs = nowMs;
    o.exercise();
    const doneMs = o.clock.nowMs();
    if (doneMs - punctualSinceMs >= o.punctualMs) return done({ warm: true, tookMs: doneMs - startMs, wakes, lateMaxMs });
    if (doneMs - startMs >= o.boundMs) return done({ warm: false, tookMs: doneMs - startMs, wakes, lateMaxMs });
    const next = Math.max(doneMs, dueMs + o.intervalMs);
    o.scheduler.at(next, wake(next));
  };
  const first = startMs + o.intervalMs;
  o.scheduler.at(first, wake(first));
}

/** A sample of the board's hot paths: a Vote through the message and frame codecs, a workload step. */
export function boardExercise<S>(codec: FrameCodec, workload: Workload<S>): () => void {
  let state = workload.init();
  const zeros = workload.inputs.map(() => 0);
  let seq = 0;
  // A checkpoint workload's step may be asynchronous and call out (a service, a clock): not run
  // here; its encoding is what a board's hot path then does each epoch.
  const step = workload.class === 'checkpoint'
    ? (s: S) => (workload.encode(s), { state: s, outputs: [...workload.safeOutputs] })
    : (s: S) => workload.step(s, zeros);
  return () => {
    const res = step(state);
    const msg: Msg = {
      t: 'vote', from: 0, cycle: seq, digest: toDigest(workload.digest(res.state)), role: 0, heardMask: 7, membersMask: 7, accuseMask: 0, admitMask: 0,
      propose: 255, failSafe: 0, inputs: zeros, outputs: res.outputs,
    };
    const frame = codec.encode({ type: 3, source: 1, epoch: 1, seq: seq++ }, encodeMsg(msg));
    const back = codec.verify(frame);
    if (typeof back === 'object') decodeMsg(back.payload);
    // The state is thrown away after a while: warming up must not drift into large numbers.
    state = seq % 64 === 0 ? workload.init() : res.state;
  };
}

/** Longest warm-up before a board starts anyway. */
export const WARM_UP_BOUND_MS = 5000;
/** How long its wakes must have been punctual. */
export const WARM_UP_PUNCTUAL_MS = 500;

/** Warm-up timing for a board running at `periodMs` whose voter calls a phase late after `lateMaxMs`. */
export function warmUpTiming(periodMs: number, lateMaxMs: number): Pick<WarmUpOptions, 'intervalMs' | 'punctualMs' | 'lateOkMs' | 'boundMs'> {
  return {
    intervalMs: periodMs / 4,
    punctualMs: Math.max(WARM_UP_PUNCTUAL_MS, 4 * periodMs),
    // The lateness the voter itself tolerates: a board this punctual keeps its sync points.
    lateOkMs: lateMaxMs,
    boundMs: Math.max(WARM_UP_BOUND_MS, 8 * periodMs),
  };
}
