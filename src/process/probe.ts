/**
 * The process class's liveness probe (shell ring: it connects, fetches, spawns). One probe at a
 * time, started from the board's tick when it is due, each bounded by its timeout; the runner
 * reads `failuresInRow` and treats `failuresMax` of them as the program's death.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { ProbeSpec } from './spec.ts';

export class Prober {
  failuresInRow = 0;
  readonly stats = { probes: 0, failures: 0 };
  lastError: string | null = null;
  #nextMs: number;
  #inFlight = false;
  /** Bumped on reset: a probe of a program that has since been stopped counts for nothing. */
  #generation = 0;
  #pending: Promise<void> = Promise.resolve();

  constructor(readonly spec: ProbeSpec, startedMs: number) {
    this.#nextMs = startedMs + spec.startGraceMs;
  }

  /** The program (re)started at `nowMs`: its grace again, the count from zero. */
  reset(nowMs: number): void {
    this.#generation++;
    this.#inFlight = false;
    this.failuresInRow = 0;
    this.#nextMs = nowMs + this.spec.startGraceMs;
  }

  tick(nowMs: number): void {
    if (this.#inFlight || nowMs < this.#nextMs) return;
    this.#inFlight = true;
    // Intervals from the schedule, not from the answer: a slow probe does not stretch them.
    this.#nextMs = Math.max(this.#nextMs + this.spec.intervalMs, nowMs);
    const gen = this.#generation;
    this.stats.probes++;
    this.#pending = probeOnce(this.spec).then((error) => {
      if (gen !== this.#generation) return;
      this.#inFlight = false;
      if (error === null) this.failuresInRow = 0;
      else {
        this.failuresInRow++;
        this.stats.failures++;
        this.lastError = error;
      }
    });
  }

  /** Resolves once the probe in flight (if any) has been counted. */
  settled(): Promise<void> {
    return this.#pending;
  }

  get dead(): boolean {
    return this.failuresInRow >= this.spec.failuresMax;
  }
}

/** null: alive; else why not. Never rejects. */
export function probeOnce(p: ProbeSpec): Promise<string | null> {
  const t = p.target;
  return new Promise((resolve) => {
    let done = false;
    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      resolve(error);
    };
    let cleanup = () => {};
    const timer = setTimeout(() => finish(`no answer within ${p.timeoutMs} ms`), p.timeoutMs);
    if (t.kind === 'tcp') {
      const s = connect({ host: t.host, port: t.port });
      cleanup = () => s.destroy();
      s.once('connect', () => finish(null));
      s.once('error', (e) => finish(`tcp ${t.host}:${t.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    } else if (t.kind === 'http') {
      const ac = new AbortController();
      cleanup = () => ac.abort();
      fetch(t.url, { signal: ac.signal, redirect: 'manual' })
        .then(async (r) => {
          await r.body?.cancel();
          finish(r.status >= 200 && r.status < 400 ? null : `http ${t.url}: status ${r.status}`);
        })
        .catch((e: Error) => finish(`http ${t.url}: ${(e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message}`));
    } else {
      const c = spawn(t.argv[0]!, t.argv.slice(1), { stdio: 'ignore' });
      cleanup = () => { if (c.exitCode === null) c.kill('SIGKILL'); };
      c.once('error', (e) => finish(`exec ${t.argv[0]}: ${e.message}`));
      c.once('exit', (code, signal) => finish(code === 0 ? null : `exec ${t.argv.join(' ')}: ${signal ?? `exit ${code}`}`));
    }
  });
}
