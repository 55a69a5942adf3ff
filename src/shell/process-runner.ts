/**
 * The process class on a board (shell ring): runs the program on the primary only, takes its
 * state directory as a consistent point every `syncPeriodMs` and checkpoints it to the other
 * boards through the CheckpointCore (terms, acks, deltas, failover: src/checkpoint/core.ts), and
 * stops the program the moment this board is no longer primary (voted out, lost its majority,
 * handed the role over). A board that becomes primary writes the newest acknowledged point into
 * its state directory, then starts the program.
 *
 * Restarts: a program that exits is started again in place up to `restartsMax` times within
 * `restartWindowMs`; one more exit and this board hands the role to the next-ranked member.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

/** The file's bytes, and the file removed; null when there is none. */
function takeFile(path: string): Uint8Array | null {
  try {
    const b = readFileSync(path);
    rmSync(path, { force: true });
    return b;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
import { CheckpointCore, makeCheckpointConfig, type CkptEffect, type MembershipView } from '../checkpoint/core.ts';
import { CHUNK_DATA_BYTES_MAX, encodeCkpt } from '../checkpoint/codec.ts';
import { CkptInbox } from './ckpt-inbox.ts';
import { MsgType } from '../bus/msgtypes.ts';
import type { BoardLog } from '../eventlog/eventlog.ts';
import type { Clock } from '../ports/clock.ts';
import type { ProcessSpec } from '../process/spec.ts';
import { readStateDir, StateDirTooLarge, writeStateDir } from '../process/state-dir.ts';
import { claimAddress, inNetns, releaseAddress } from '../process/address.ts';
import { NotifySocket } from '../process/notify-socket.ts';
import { Prober } from '../process/probe.ts';
import { lookupUser } from '../process/user.ts';

/**
 * After SIGKILL, how long a program may take to be gone. Longer, and it cannot be stopped (a
 * process in uninterruptible sleep, D state, ignores SIGKILL until its I/O returns, see signal(7)
 * and the TASK_UNINTERRUPTIBLE state in ps(1)): this board stops feeding its watchdog, and the
 * reset stops the program for it. A board that takes over from one it cannot hear waits this on
 * top of the watchdog timeout, so keep it short: a killed process is normally gone within ms.
 */
export const KILL_WAIT_MS = 200;


export interface ProcessRunnerParts {
  selfIdx: number;
  boards: readonly string[];
  spec: ProcessSpec;
  /** This board's own copy of the state directory. */
  stateDir: string;
  log: BoardLog;
  clock: Clock;
  periodMs: number;
  send(type: number, payload: Uint8Array, to?: number): void;
  /** Hand the role to the next-ranked member (the program keeps failing here). */
  handOver(): void;
  /**
   * How long a board that takes the program over from a holder it cannot hear (crashed, hung,
   * cut off) waits before starting it: the old holder's own bound for being gone (its hardware
   * watchdog's timeout: a board that loses its majority stops its program, and a board that is
   * hung is reset by its watchdog). A holder that hands over alive stops first and says so.
   */
  takeoverDelayMs: number;
}

export class ProcessRunner {
  readonly core: CheckpointCore;
  readonly stats = { starts: 0, exits: 0, syncs: 0, syncErrors: 0, marksCoalesced: 0 };
  readonly #p: ProcessRunnerParts;
  readonly #inbox = new CkptInbox();
  #child: ChildProcess | null = null;
  #lastSyncMs = Number.NEGATIVE_INFINITY;
  #exits: number[] = [];
  #resumed = false;
  #tooLargeLogged = false;
  /** The program being stopped: nothing reaches the checkpoint core until it is gone, so this board answers a new holder only then. */
  #stopping: ChildProcess | null = null;
  #lastPrimary: number | null = null;
  #startNotBeforeMs = Number.NEGATIVE_INFINITY;
  /** The program stopped because this board handed it over: one last consistent point goes out first. */
  #finalSync = false;
  #prober: Prober | null = null;
  /** When the program was told to stop (SIGTERM); null when none is stopping. */
  #stopSinceMs: number | null = null;
  /** A start under way: the service address is being claimed. */
  #starting = false;
  readonly #netns: string | undefined;
  /** Where `ftc sync` leaves the point it copied (beside the state directory, never in it). */
  readonly #pointFile: string;
  /** sd_notify from the program (READY=1, WATCHDOG=1, FTC_SYNC=1), when it is asked for. */
  readonly #notify: NotifySocket | null = null;
  /** The program's last WATCHDOG=1 (or its start). */
  #lastWatchdogMs = 0;
  #readySaid = false;
  /** The program marked a consistent point (syncOn 'mark') since the last one taken. */
  #markPending = false;
  readonly #onMark = () => {
    if (this.#markPending) this.stats.marksCoalesced++;
    this.#markPending = true;
  };

  constructor(p: ProcessRunnerParts) {
    this.#p = p;
    mkdirSync(p.stateDir, { recursive: true });
    this.#netns = p.spec.netns?.replaceAll('{board}', p.boards[p.selfIdx]!);
    this.#pointFile = `${p.stateDir}.point`;
    rmSync(this.#pointFile, { force: true });
    // A board that starts holds nothing: an address left by its previous life (a crash, a reset
    // of the process but not of the namespace) goes before anything can claim it again.
    if (p.spec.address) void releaseAddress(p.spec.address, this.#netns, p.log);
    // `ftc sync` in the program signals this process ($FTC_PID). SIGUSR2, as Node keeps SIGUSR1
    // for its inspector (node(1), "Signal Events" in the process docs).
    if (p.spec.syncOn === 'mark') process.on('SIGUSR2', this.#onMark);
    if (p.spec.watchdogMs !== undefined || p.spec.syncOn === 'mark') {
      try {
        this.#notify = new NotifySocket(`${p.stateDir}.notify`);
      } catch (e) {
        // Without it the program's WATCHDOG=1 is not heard: say so; the watchdog then cannot be required.
        p.log.append('program-error', { error: `sd_notify socket: ${(e as Error).message}` });
      }
    }
    this.core = new CheckpointCore(makeCheckpointConfig({
      self: p.selfIdx, boards: p.boards.length, chunkBytesMax: CHUNK_DATA_BYTES_MAX,
      // The encoding adds a few bytes per file to the files themselves.
      stateBytesMax: p.spec.stateBytesMax + 64 * p.spec.stateFilesMax + 64, outputsMax: 0, retryMs: 2 * p.periodMs,
    }));
  }

  /** A frame of type Checkpoint from a peer. */
  receive(payload: Uint8Array): void {
    this.#inbox.receive(payload);
  }

  tick(nowMs: number, view: MembershipView, cycle: number): void {
    // Cut off from the majority (or voted out), this board will not be waited for: the others
    // start the program after its watchdog timeout. SIGKILL, no grace, so that it is gone well
    // before. A planned move (still a member) stops it gently: the new holder waits for it.
    if (view.primary !== this.#p.selfIdx && this.#child) this.#stop('this board is no longer primary', !view.member);
    if (this.#stopping) return; // the messages wait (bounded) until the program is down
    if (this.#finalSync) {
      // Still primary in the checkpoint protocol (nothing was stepped while the program stopped):
      // the state as the program left it goes to the others, then the new holder's query is answered.
      this.#finalSync = false;
      // On marks, the directory as left is a point only if the program marked it on its way out.
      const consistent = this.#p.spec.syncOn === 'period' || this.#markPending;
      this.#markPending = false;
      if (this.core.role === 'primary' && consistent) this.#sync(cycle, view);
    }
    const inbox = this.#inbox.take();
    // The last other board this one saw holding the program: the one a takeover waits out.
    if (view.primary !== null && view.primary !== this.#p.selfIdx) this.#lastPrimary = view.primary;
    const wasPrimary = this.#lastPrimary;
    this.#apply(this.core.step(nowMs, inbox, view), nowMs);
    if (this.#resumed && this.#startNotBeforeMs === Number.NEGATIVE_INFINITY) {
      // Taking over from a holder we cannot hear: wait out its bound for being gone.
      const gone = wasPrimary !== null && !(view.membersMask & (1 << wasPrimary));
      this.#startNotBeforeMs = gone ? nowMs + this.#p.takeoverDelayMs : nowMs;
      if (gone) this.#p.log.append('program-wait', { ms: this.#p.takeoverDelayMs, why: `the last holder (${this.#p.boards[wasPrimary]}) is out of the voting set: it is reset or stops its program within its watchdog timeout` });
    }
    if (this.core.role !== 'primary') {
      this.#resumed = false;
      this.#startNotBeforeMs = Number.NEGATIVE_INFINITY;
      if (this.#child) this.#stop('this board is no longer primary', !view.member);
      return;
    }
    if (!this.#resumed || nowMs < this.#startNotBeforeMs) return;
    if (!this.#child && !this.#starting) this.#start();
    if (this.#notify) this.#readNotify(nowMs);
    const silentMs = nowMs - this.#lastWatchdogMs;
    if (this.#child && this.#notify && this.#p.spec.watchdogMs !== undefined && silentMs > this.#p.spec.watchdogMs) {
      // systemd's rule for a service watchdog: no WATCHDOG=1 within the time is a dead service.
      this.#p.log.append('program-watchdog', { pid: this.#child.pid ?? null, silentMs: Math.round(silentMs), watchdogMs: this.#p.spec.watchdogMs });
      this.#lastWatchdogMs = nowMs;
      this.#child.kill('SIGKILL');
    }
    if (this.#child && this.#prober) {
      this.#prober.tick(nowMs);
      if (this.#prober.dead) {
        // Counted as the program's death: killed, and the exit handler restarts or moves it.
        this.#p.log.append('program-probe-failed', { failures: this.#prober.failuresInRow, error: this.#prober.lastError });
        this.#prober.reset(nowMs);
        this.#child.kill('SIGKILL');
      }
    }
    const due = this.#p.spec.syncOn === 'mark' ? this.#markPending : nowMs - this.#lastSyncMs >= this.#p.spec.syncPeriodMs;
    if (due) {
      this.#lastSyncMs = nowMs;
      this.#markPending = false;
      this.#sync(cycle, view);
    }
  }

  #readNotify(nowMs: number): void {
    for (const m of this.#notify!.drain()) {
      if (!this.#child) continue; // a message from a program already stopped
      if (m.watchdog) this.#lastWatchdogMs = nowMs;
      if (m.sync) this.#onMark();
      if (m.ready && !this.#readySaid) {
        this.#readySaid = true;
        this.#p.log.append('program-ready', { pid: this.#child.pid ?? null, ...(m.status !== undefined ? { status: m.status } : {}) });
      }
    }
  }

  get statusLine(): Record<string, unknown> {
    return {
      role: this.core.role, term: this.core.term, held: this.core.heldEpoch, running: this.#child !== null, pid: this.#child?.pid ?? null, ...this.stats, ...this.#inbox.stats,
      ...(this.#prober ? { probes: this.#prober.stats.probes, probeFailures: this.#prober.stats.failures } : {}),
    };
  }

  /** How long a stopping program has outlived SIGTERM's grace plus SIGKILL's wait (0: none does): the board's watchdog supervision reads it. */
  unstoppableMs(nowMs: number): number {
    if (this.#stopSinceMs === null) return 0;
    return Math.max(0, nowMs - this.#stopSinceMs - this.#p.spec.stopGraceMs - KILL_WAIT_MS);
  }

  /** Stops the program (shutdown, or no longer primary). */
  stop(why: string): void {
    process.off('SIGUSR2', this.#onMark);
    this.#notify?.close();
    if (this.#child) this.#stop(why);
  }

  #sync(cycle: number, view: MembershipView): void {
    let point: Uint8Array;
    try {
      // A point `ftc sync` copied while the program waited; else the directory as it is now.
      const marked = this.#p.spec.syncOn === 'mark' ? takeFile(this.#pointFile) : null;
      point = marked ?? readStateDir(this.#p.stateDir, this.#p.spec.stateBytesMax, this.#p.spec.stateFilesMax);
    } catch (e) {
      this.stats.syncErrors++;
      if (e instanceof StateDirTooLarge) {
        if (!this.#tooLargeLogged) this.#p.log.append('program-state-too-large', { error: e.message });
        this.#tooLargeLogged = true;
      } else this.#p.log.append('program-sync-error', { error: (e as Error).message });
      return;
    }
    this.#tooLargeLogged = false;
    this.stats.syncs++;
    this.#apply(this.core.complete(Math.max(cycle, this.core.nextEpoch), point, [], view), this.#p.clock.nowMs());
  }

  #start(): void {
    const { spec, log } = this.#p;
    this.#starting = true;
    const claimed = spec.address ? claimAddress(spec.address, this.#netns, log) : Promise.resolve(true);
    void claimed.then(() => {
      this.#starting = false;
      // Demoted while the address was being claimed: give it back, start nothing.
      if (this.core.role !== 'primary' || this.#stopping || this.#child) {
        if (spec.address && !this.#child) void releaseAddress(spec.address, this.#netns, log);
        return;
      }
      this.#spawn();
    });
  }

  #spawn(): void {
    const { spec, stateDir, log } = this.#p;
    const argv = inNetns(this.#netns, spec.argv);
    let user = null;
    try {
      user = spec.user !== undefined ? lookupUser(spec.user) : null;
    } catch (e) {
      // Checked when the board started; gone since: this board cannot run it, another may.
      log.append('program-error', { error: (e as Error).message });
      this.#p.handOver();
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd ?? stateDir, env: { ...process.env, ...spec.env, FTC_STATE_DIR: stateDir, FTC_BOARD: this.#p.boards[this.#p.selfIdx]!, FTC_PID: String(process.pid),
        FTC_SYNC_FILE: this.#pointFile, FTC_STATE_BYTES_MAX: String(spec.stateBytesMax), FTC_STATE_FILES_MAX: String(spec.stateFilesMax),
        ...(this.#notify ? { NOTIFY_SOCKET: this.#notify.path } : {}),
        ...(this.#notify && spec.watchdogMs !== undefined ? { WATCHDOG_USEC: String(spec.watchdogMs * 1000) } : {}) },
      // Its output goes to the board's stderr (stdout is the board's own channel to its supervisor).
      stdio: ['ignore', 2, 2],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    this.#child = child;
    this.stats.starts++;
    this.#lastWatchdogMs = this.#p.clock.nowMs();
    this.#readySaid = false;
    if (spec.probe) {
      this.#prober ??= new Prober(spec.probe, this.#p.clock.nowMs());
      this.#prober.reset(this.#p.clock.nowMs());
    }
    // The program never outlives this board's process (a watchdog reset exits it): killed on the way out.
    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    child.once('exit', () => process.off('exit', onExit));
    log.append('program-start', { pid: child.pid ?? null, argv: argv.join(' ') });
    child.on('error', (e) => log.append('program-error', { error: e.message }));
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return; // stopped by us
      this.#child = null;
      const now = this.#p.clock.nowMs();
      this.stats.exits++;
      log.append('program-exit', { pid: child.pid ?? null, code, signal });
      if (spec.address) void releaseAddress(spec.address, this.#netns, log);
      this.#exits = [...this.#exits.filter((t) => now - t < spec.restartWindowMs), now];
      if (this.#exits.length > spec.restartsMax) {
        log.append('program-move', { why: `exited ${this.#exits.length} times within ${spec.restartWindowMs} ms (restartsMax ${spec.restartsMax})` });
        this.#exits = [];
        this.#p.handOver();
      }
    });
  }

  #stop(why: string, now = false): void {
    const child = this.#child!;
    this.#child = null;
    this.#stopping = child;
    // Killed at once: the grace is over already.
    this.#stopSinceMs = this.#p.clock.nowMs() - (now ? this.#p.spec.stopGraceMs : 0);
    this.#p.log.append('program-stop', { pid: child.pid ?? null, why, signal: now ? 'SIGKILL' : 'SIGTERM' });
    child.kill(now ? 'SIGKILL' : 'SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), now ? 0 : this.#p.spec.stopGraceMs);
    child.once('exit', () => {
      clearTimeout(t);
      if (this.#stopping === child) {
        this.#stopping = null;
        this.#stopSinceMs = null;
        this.#finalSync = true;
      }
      this.#p.log.append('program-stopped', { pid: child.pid ?? null });
      // The address goes only once the program is gone: it never answers from two boards.
      if (this.#p.spec.address) void releaseAddress(this.#p.spec.address, this.#netns, this.#p.log);
    });
  }

  #apply(fx: CkptEffect[], nowMs: number): void {
    for (const e of fx) {
      switch (e.kind) {
        case 'send':
          this.#p.send(MsgType.Checkpoint, encodeCkpt(e.msg), e.to === undefined ? undefined : e.to + 1);
          break;
        case 'resume':
          // The newest acknowledged point becomes this board's state directory, then the program
          // starts. No point anywhere (the rig's first start): the directory as installed.
          if (e.state) writeStateDir(this.#p.stateDir, e.state);
          this.#resumed = true;
          this.#lastSyncMs = nowMs;
          this.#p.log.append('resumed', { epoch: e.epoch, term: e.term, stateDir: this.#p.stateDir });
          break;
        case 'release':
          break; // a process has no outputs on the cycle grid
        case 'event':
          if (e.code === 'primary' || e.code === 'demoted') this.#p.log.append(`checkpoint-${e.code}`, { detail: e.detail });
          break;
      }
    }
  }
}
