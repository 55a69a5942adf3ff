/**
 * The seeded simulator's world: one virtual true time, one event queue, and the machine that each
 * board runs on, modelled as an OS process with its own clock.
 *
 * Everything that happens is an event in the queue, ordered by (true time, insertion order): a
 * board's timer (its Scheduler), bytes arriving at a board's link, a fault starting or ending, the
 * output stage closing a cycle. Nothing reads a real clock or real randomness: a run is a pure
 * function of its seed.
 *
 * A board's process is `up` or `down` (crashed, being reset); an up process can be held (SIGSTOP,
 * a stall, a GC pause, a late wake: nothing of it runs until it resumes). When a process cannot run, its timers and incoming
 * I/O wait; when it runs again it first reads the I/O that arrived meanwhile (as the board shell's
 * timer scheduler yields to Node's poll phase when woken late), then runs its due timers. The
 * machine's scheduling noise is injected by `wakeLateMs`: each timer of a board may run later
 * than asked, and while a board's timer is held back that process runs nothing else either.
 */
import type { Clock } from '../ports/clock.ts';
import type { Cancel, Scheduler } from '../ports/scheduler.ts';

interface Ev {
  t: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

/** A binary min-heap of events by (t, seq). */
class EventHeap {
  readonly #a: Ev[] = [];
  get size(): number {
    return this.#a.length;
  }
  push(e: Ev): void {
    const a = this.#a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  peek(): Ev | undefined {
    return this.#a[0];
  }
  pop(): Ev | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Ev, y: Ev): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}

/** Events a run may hold at once: a runaway loop (a board re-arming a timer at the same instant) trips this. */
export const WORLD_EVENTS_MAX = 1_000_000;
/** Events at one instant before the world calls it a livelock. */
const SAME_INSTANT_EVENTS_MAX = 100_000;

export class World {
  #t = 0;
  #seq = 0;
  readonly #q = new EventHeap();
  #sameInstant = 0;
  #interrupted = false;
  executed = 0;

  /** runUntil() returns after the event that is running now (something async must finish first). */
  interrupt(): void {
    this.#interrupted = true;
  }

  get nowMs(): number {
    return this.#t;
  }

  /** Runs `run` at true time `t` (not before now). Returns a cancel function. */
  at(t: number, run: () => void): Cancel {
    if (!(t >= this.#t)) t = this.#t;
    if (this.#q.size >= WORLD_EVENTS_MAX) throw new Error(`world: more than ${WORLD_EVENTS_MAX} pending events`);
    const e: Ev = { t, seq: this.#seq++, run, cancelled: false };
    this.#q.push(e);
    return () => {
      e.cancelled = true;
    };
  }

  /** Runs events up to and including true time `untilMs`, or until interrupt(). Returns false if the queue ran dry. */
  runUntil(untilMs: number): boolean {
    this.#interrupted = false;
    for (;;) {
      if (this.#interrupted) return true;
      const e = this.#q.peek();
      if (!e) return false;
      if (e.t > untilMs) {
        this.#t = untilMs;
        return true;
      }
      this.#q.pop();
      if (e.cancelled) continue;
      if (e.t === this.#t) {
        if (++this.#sameInstant > SAME_INSTANT_EVENTS_MAX) throw new Error(`world: livelock: more than ${SAME_INSTANT_EVENTS_MAX} events at t = ${this.#t} ms`);
      } else this.#sameInstant = 0;
      this.#t = e.t;
      this.executed++;
      e.run();
    }
  }
}

/** A board's local monotonic clock: offset + rate error, and forward steps. Never goes back. */
export class DriftingClock implements Clock {
  #t0True: number;
  #t0Local: number;
  #rate: number;
  constructor(readonly world: World, offsetMs: number, driftPpm: number) {
    this.#t0True = world.nowMs;
    this.#t0Local = world.nowMs + offsetMs;
    this.#rate = 1 + driftPpm * 1e-6;
  }
  nowMs(): number {
    return this.localOf(this.world.nowMs);
  }
  localOf(trueMs: number): number {
    return this.#t0Local + (trueMs - this.#t0True) * this.#rate;
  }
  trueOf(localMs: number): number {
    return this.#t0True + (localMs - this.#t0Local) / this.#rate;
  }
  /** From now on, run `driftPpm` fast (negative: slow). */
  setDriftPpm(driftPpm: number): void {
    this.#t0Local = this.nowMs();
    this.#t0True = this.world.nowMs;
    this.#rate = 1 + driftPpm * 1e-6;
  }
  /** A forward step of the local clock (a monotonic clock never steps back). */
  step(forwardMs: number): void {
    if (!(forwardMs >= 0)) throw new RangeError(`DriftingClock.step: forwardMs must be >= 0, got ${forwardMs}`);
    this.#t0Local = this.nowMs() + forwardMs;
    this.#t0True = this.world.nowMs;
  }
}

export type ProcessState = 'up' | 'down';

/**
 * One board's OS process. Its timers (the Scheduler it hands the board) and the I/O delivered to
 * it run only while it is up and not held back; `generation` changes at every restart, so the
 * timers and deliveries of a process that died are dropped.
 */
export class SimProcess {
  state: ProcessState = 'down';
  generation = 0;
  /** True time until which the process cannot run (a late wake, a frozen process). */
  heldUntilMs = 0;
  /** The largest hold-up since the supervisor last sampled it (its event-loop delay). */
  lateMaxSinceSampleMs = 0;
  /** Called once, at the first byte this process sends after a boot (the judge times rejoins from it). */
  onFirstSend: (() => void) | null = null;
  #sentSinceBoot = false;
  #pendingIo: Array<() => void> = [];
  #resumeCancel: Cancel | null = null;
  readonly clock: DriftingClock;

  constructor(
    readonly world: World,
    readonly name: string,
    clock: DriftingClock,
    /** The machine's scheduling noise: how late this timer wake runs (0: on time). */
    readonly wakeLateMs: (proc: SimProcess) => number,
  ) {
    this.clock = clock;
  }

  get runnable(): boolean {
    return this.state === 'up' && this.world.nowMs >= this.heldUntilMs;
  }

  /** Starts a fresh process (boot): every timer and delivery of the previous one is dropped. */
  boot(): void {
    this.generation++;
    this.state = 'up';
    this.heldUntilMs = 0;
    this.#pendingIo = [];
    this.lateMaxSinceSampleMs = 0;
    this.#sentSinceBoot = false;
  }

  /** A link of this process sends: false if the process is down (a dead process sends nothing). */
  noteSend(): boolean {
    if (this.state !== 'up') return false;
    if (!this.#sentSinceBoot) {
      this.#sentSinceBoot = true;
      this.onFirstSend?.();
    }
    return true;
  }

  /** kill -9, power cut, reset line: the process is gone. */
  kill(): void {
    this.generation++;
    this.state = 'down';
    this.#pendingIo = [];
    this.#resumeCancel?.();
    this.#resumeCancel = null;
  }

  /** Nothing of this process runs until `untilMs` (SIGSTOP and SIGCONT, a stall, a GC pause). */
  holdUntil(untilMs: number): void {
    if (this.state !== 'up' || untilMs <= this.heldUntilMs) return;
    this.heldUntilMs = untilMs;
    this.lateMaxSinceSampleMs = Math.max(this.lateMaxSinceSampleMs, untilMs - this.world.nowMs);
    this.#resumeCancel?.();
    const gen = this.generation;
    this.#resumeCancel = this.world.at(untilMs, () => {
      this.#resumeCancel = null;
      if (gen === this.generation) this.#flushIo();
    });
  }

  /** Bytes (or a datagram) arriving for this process: handled now, or when it runs again. */
  deliver(fn: () => void): void {
    if (this.state === 'down') return;
    if (this.runnable) fn();
    else this.#pendingIo.push(fn);
  }

  #flushIo(): void {
    const io = this.#pendingIo;
    this.#pendingIo = [];
    for (const fn of io) {
      if (!this.runnable) {
        this.#pendingIo.push(fn);
        continue;
      }
      fn();
    }
  }

  /** The Scheduler this process's board runs on: local times in, true-time events out. */
  scheduler(): Scheduler {
    return {
      at: (atMs, fn) => {
        const gen = this.generation;
        let cancelled = false;
        let delayed = false;
        let cancelEv: Cancel = () => {};
        const fire = () => {
          if (cancelled || gen !== this.generation || this.state === 'down') return;
          const now = this.world.nowMs;
          if (now < this.heldUntilMs) {
            cancelEv = this.world.at(this.heldUntilMs, fire);
            return;
          }
          if (!delayed) {
            delayed = true;
            const late = this.wakeLateMs(this);
            if (late > 0) {
              this.holdUntil(now + late);
              cancelEv = this.world.at(now + late, fire);
              return;
            }
          }
          // trueOf/localOf round: never hand the board a time a hair before the one it asked for.
          fn(Math.max(this.clock.nowMs(), atMs));
        };
        cancelEv = this.world.at(Math.max(this.world.nowMs, this.clock.trueOf(atMs)), fire);
        return () => {
          cancelled = true;
          cancelEv();
        };
      },
    };
  }

  /** The event-loop delay the board's supervision sees (the largest hold-up since the last sample). */
  sampleLateMs(): number {
    const x = this.lateMaxSinceSampleMs;
    this.lateMaxSinceSampleMs = 0;
    return x;
  }
}
