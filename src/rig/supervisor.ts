/**
 * Process supervisor of the simulated rig (ring 3): runs N child processes (boards, the plant),
 * restarts a child that exits with the watchdog-reset code (86: the simulated hardware watchdog
 * "reset the board"), applies process faults (kill -9, SIGSTOP/SIGCONT, restart), forwards the
 * children's JSON-line stdout events, and leaves no orphans.
 *
 * Child contract (see child.ts for the helpers a child uses):
 * - env: FTC_CHILD (its name), FTC_BOOT (1 on first start, +1 at every start), FTC_RESET_REASON
 *   (power-on | restart | the reason the child gave before its watchdog reset | watchdog).
 * - stdout: one JSON object per line is an event; other lines are passed on as text.
 *   A `{"kind":"reset","reason":…}` event just before exiting 86 names the reset reason.
 * - stdin: a pipe kept open by the supervisor; JSON lines from `send()`; its end means the
 *   supervisor died: the child must exit (exitWhenParentDies), since nothing else could stop it.
 * - exit code 86: watchdog reset -> restarted. Any other exit (including kill -9) -> stays down
 *   until restart() (a crashed board stays dark until the operator or the test restarts it).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export const WATCHDOG_RESET_EXIT_CODE = 86;

export interface ChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /**
   * The child and whatever it starts are one board: spawned in a process group of their own, and
   * every signal (kill -9, SIGSTOP/SIGCONT, SIGTERM) goes to the whole group, so a crashed or
   * frozen board's program crashes or freezes with it (the process class, src/shell/process-runner.ts).
   */
  group?: boolean;
}

/** Sends `sig` to the child, or to its whole process group when it has one. Never throws (it may be gone). */
function signal(spec: ChildSpec, proc: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (spec.group && proc.pid) process.kill(-proc.pid, sig);
    else proc.kill(sig);
  } catch {
    /* already gone */
  }
}

export type LifecycleEvent =
  | { kind: 'spawn'; name: string; pid: number; boot: number; reason: string }
  | { kind: 'exit'; name: string; pid: number; boot: number; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'give-up'; name: string; restarts: number; windowMs: number }
  | { kind: 'fault'; name: string; fault: 'kill' | 'hang' | 'resume' | 'restart'; pid: number }
  | { kind: 'line-too-long'; name: string; bytes: number };

export interface SupervisorOptions {
  /** A JSON object line from a child's stdout. */
  onEvent?: (name: string, event: Record<string, unknown>) => void;
  /** A non-JSON line from a child's stdout, or any stderr line. */
  onOutput?: (name: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** The supervisor's own events: spawns, exits, faults applied, restart loops given up. */
  onLifecycle?: (event: LifecycleEvent) => void;
  /** Delay before a reset child is started again (the simulated reboot time). Default 0. */
  restartDelayMs?: number;
  /** More watchdog resets than this within restartWindowMs: stop restarting (crash loop). */
  restartsMax?: number;
  restartWindowMs?: number;
  /** SIGTERM -> SIGKILL escalation when stopping. Default 2000 ms. */
  stopTimeoutMs?: number;
  /** Longest stdout/stderr line; longer ones are dropped and reported. Default 64 KiB. */
  lineBytesMax?: number;
  /** On SIGINT/SIGTERM: stop every child, then exit 128+signal. Default true. */
  exitOnSignal?: boolean;
}

export interface ChildStatus {
  name: string;
  pid: number | null;
  boot: number;
  running: boolean;
  stopped: boolean;
  resets: number;
}

interface Child {
  spec: ChildSpec;
  proc: ChildProcess | null;
  boot: number;
  stopped: boolean;
  resumeTimer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  resetReason: string | null;
  resetTimesMs: number[];
  resets: number;
  /** Set when we stop it on purpose: its exit must not trigger a restart. */
  expectingExit: boolean;
  exited: Promise<void>;
}

export class Supervisor {
  readonly #children = new Map<string, Child>();
  readonly #o: Required<Omit<SupervisorOptions, 'onEvent' | 'onOutput' | 'onLifecycle'>> & SupervisorOptions;
  #started = false;
  #stopping = false;
  #stopPromise: Promise<void> | null = null;

  constructor(specs: readonly ChildSpec[], options: SupervisorOptions = {}) {
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.name)) throw new Error(`supervisor: two children named "${s.name}"`);
      names.add(s.name);
      this.#children.set(s.name, {
        spec: s, proc: null, boot: 0, stopped: false, resumeTimer: null, restartTimer: null, resetReason: null,
        resetTimesMs: [], resets: 0, expectingExit: false, exited: Promise.resolve(),
      });
    }
    this.#o = {
      restartDelayMs: 0,
      restartsMax: 10,
      restartWindowMs: 60_000,
      stopTimeoutMs: 2000,
      lineBytesMax: 64 * 1024,
      exitOnSignal: true,
      ...options,
    };
  }

  start(): void {
    if (this.#started) throw new Error('supervisor: start() called twice');
    this.#started = true;
    process.on('exit', this.#killAllNow);
    if (this.#o.exitOnSignal) {
      process.on('SIGINT', this.#onSignal);
      process.on('SIGTERM', this.#onSignal);
      process.on('SIGHUP', this.#onSignal);
    }
    for (const c of this.#children.values()) this.#spawn(c, 'power-on');
  }

  get names(): string[] {
    return [...this.#children.keys()];
  }

  status(name: string): ChildStatus {
    const c = this.#get(name);
    return {
      name,
      pid: c.proc?.pid ?? null,
      boot: c.boot,
      running: c.proc !== null,
      stopped: c.stopped,
      resets: c.resets,
    };
  }

  /** kill -9: a real crash. The child stays down until restart(). */
  kill(name: string): void {
    const c = this.#get(name);
    if (!c.proc?.pid) return;
    c.expectingExit = true;
    this.#clearResume(c);
    this.#o.onLifecycle?.({ kind: 'fault', name, fault: 'kill', pid: c.proc.pid });
    signal(c.spec, c.proc, 'SIGKILL');
  }

  /** SIGSTOP now, SIGCONT after forMs (null: until restart/stop). The whole process freezes. */
  hang(name: string, forMs: number | null): void {
    const c = this.#get(name);
    const proc = c.proc;
    if (!proc?.pid) return;
    this.#clearResume(c);
    signal(c.spec, proc, 'SIGSTOP');
    c.stopped = true;
    this.#o.onLifecycle?.({ kind: 'fault', name, fault: 'hang', pid: proc.pid });
    if (forMs !== null) {
      c.resumeTimer = setTimeout(() => {
        c.resumeTimer = null;
        if (c.proc !== proc) return;
        signal(c.spec, proc, 'SIGCONT');
        c.stopped = false;
        this.#o.onLifecycle?.({ kind: 'fault', name, fault: 'resume', pid: proc.pid! });
      }, forMs);
    }
  }

  /** Orderly restart: stop (SIGTERM, then SIGKILL) and start again with the next boot number. */
  async restart(name: string, reason = 'restart'): Promise<void> {
    const c = this.#get(name);
    if (this.#stopping) return;
    if (c.proc?.pid) this.#o.onLifecycle?.({ kind: 'fault', name, fault: 'restart', pid: c.proc.pid });
    await this.#stopChild(c);
    if (this.#stopping) return;
    c.resetTimesMs = [];
    this.#spawn(c, reason);
  }

  /** One JSON line to the child's stdin (control channel). False if it is not running. */
  send(name: string, message: unknown): boolean {
    const c = this.#get(name);
    const stdin = c.proc?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return false;
    stdin.write(JSON.stringify(message) + '\n');
    return true;
  }

  /** Stop every child (SIGCONT + SIGTERM, SIGKILL after stopTimeoutMs) and wait for them. */
  stop(): Promise<void> {
    if (this.#stopPromise) return this.#stopPromise;
    this.#stopping = true;
    this.#stopPromise = Promise.all([...this.#children.values()].map((c) => this.#stopChild(c))).then(() => {
      process.off('exit', this.#killAllNow);
      process.off('SIGINT', this.#onSignal);
      process.off('SIGTERM', this.#onSignal);
      process.off('SIGHUP', this.#onSignal);
    });
    return this.#stopPromise;
  }

  #get(name: string): Child {
    const c = this.#children.get(name);
    if (!c) throw new Error(`supervisor: no child named "${name}" (children: ${this.names.join(', ')})`);
    return c;
  }

  #spawn(c: Child, reason: string): void {
    c.boot++;
    c.stopped = false;
    c.expectingExit = false;
    c.resetReason = null;
    const proc = spawn(c.spec.command, [...c.spec.args], {
      cwd: c.spec.cwd,
      env: {
        ...process.env,
        ...c.spec.env,
        FTC_CHILD: c.spec.name,
        FTC_BOOT: String(c.boot),
        FTC_RESET_REASON: reason,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(c.spec.group ? { detached: true } : {}),
    });
    c.proc = proc;
    // EPIPE on a child that died: its exit handler deals with it.
    proc.stdin?.on('error', () => {});
    this.#lines(c, proc, 'stdout');
    this.#lines(c, proc, 'stderr');
    c.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        this.#o.onOutput?.(c.spec.name, `cannot start ${c.spec.command}: ${err.message}`, 'stderr');
      });
      // A board that exits (a watchdog reset exits with 86) takes its program with it: whatever is
      // left of its group is killed at once (it also holds the pipes 'close' waits for).
      if (c.spec.group) proc.once('exit', () => signal(c.spec, proc, 'SIGKILL'));
      proc.once('close', (code, signal) => {
        this.#onExit(c, proc, code, signal);
        resolve();
      });
    });
    if (proc.pid) this.#o.onLifecycle?.({ kind: 'spawn', name: c.spec.name, pid: proc.pid, boot: c.boot, reason });
  }

  #onExit(c: Child, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.proc !== proc) return;
    c.proc = null;
    c.stopped = false;
    this.#clearResume(c);
    const name = c.spec.name;
    this.#o.onLifecycle?.({ kind: 'exit', name, pid: proc.pid ?? -1, boot: c.boot, code, signal });
    if (this.#stopping || c.expectingExit || code !== WATCHDOG_RESET_EXIT_CODE) return;
    // A watchdog reset: the simulated board reboots.
    c.resets++;
    const now = performance.now();
    c.resetTimesMs = c.resetTimesMs.filter((t) => now - t < this.#o.restartWindowMs);
    c.resetTimesMs.push(now);
    if (c.resetTimesMs.length > this.#o.restartsMax) {
      this.#o.onLifecycle?.({ kind: 'give-up', name, restarts: c.resetTimesMs.length - 1, windowMs: this.#o.restartWindowMs });
      return;
    }
    const reason = c.resetReason ?? 'watchdog';
    c.restartTimer = setTimeout(() => {
      c.restartTimer = null;
      if (!this.#stopping && c.proc === null) this.#spawn(c, reason);
    }, this.#o.restartDelayMs);
  }

  async #stopChild(c: Child): Promise<void> {
    if (c.restartTimer) {
      clearTimeout(c.restartTimer);
      c.restartTimer = null;
    }
    this.#clearResume(c);
    const proc = c.proc;
    if (!proc) return;
    c.expectingExit = true;
    // A stopped process keeps SIGTERM pending until it is continued.
    signal(c.spec, proc, 'SIGTERM');
    signal(c.spec, proc, 'SIGCONT');
    const escalate = setTimeout(() => signal(c.spec, proc, 'SIGKILL'), this.#o.stopTimeoutMs);
    await c.exited;
    clearTimeout(escalate);
  }

  #clearResume(c: Child): void {
    if (c.resumeTimer) {
      clearTimeout(c.resumeTimer);
      c.resumeTimer = null;
    }
  }

  /** Split a stream into lines, bounded; JSON objects go to onEvent, the rest to onOutput. */
  #lines(c: Child, proc: ChildProcess, which: 'stdout' | 'stderr'): void {
    const stream = proc[which];
    if (!stream) return;
    let buf: Buffer = Buffer.alloc(0);
    let dropping = false;
    stream.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        if (dropping) dropping = false;
        else this.#line(c, line, which);
      }
      if (buf.length > this.#o.lineBytesMax) {
        this.#o.onLifecycle?.({ kind: 'line-too-long', name: c.spec.name, bytes: buf.length });
        buf = Buffer.alloc(0);
        dropping = true; // skip the rest of this line
      }
    });
  }

  #line(c: Child, line: string, which: 'stdout' | 'stderr'): void {
    const name = c.spec.name;
    if (which === 'stdout' && line.startsWith('{')) {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        v = undefined;
      }
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const e = v as Record<string, unknown>;
        if ((e.kind ?? e.event) === 'reset' && typeof e.reason === 'string') c.resetReason = e.reason;
        this.#o.onEvent?.(name, e);
        return;
      }
    }
    this.#o.onOutput?.(name, line, which);
  }

  /** Last resort on process exit: synchronous SIGKILL of everything still running. */
  readonly #killAllNow = (): void => {
    for (const c of this.#children.values()) {
      try {
        if (c.proc) signal(c.spec, c.proc, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };

  readonly #onSignal = (sig: NodeJS.Signals): void => {
    void this.stop().then(() => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGHUP' ? 1 : 15)));
  };
}
