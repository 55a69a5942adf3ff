/**
 * Shared by the benches of the multi-process rig (rig, demo, soak; not a bench itself): one
 * `ftc sim` run through runSim with `json: true` into a PassThrough (no dashboard), the events
 * read as they arrive, plus small statistics and /proc helpers.
 *
 * Timestamps: the `--json` stream carries the raw events. Board events have `t` (wall clock, ms,
 * this machine's clock, comparable between processes) and `mono` (the board process's own
 * performance.now(): not comparable between processes); lifecycle events (`process-spawn`, ...)
 * and `ready` carry no time, so every event is stamped with this process's wall clock
 * (`wallMs`) and monotonic clock (`monoMs`, the simulator's time base) when it arrives.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseFaultSpec } from '../src/rig/faultspec.ts';
import { runSim } from '../src/rig/sim-run.ts';
import { monoMs } from '../src/rig/sim-protocol.ts';
import { parseTrace, type Summary } from '../src/rig/summary.ts';

export interface SimEvent {
  ev: Record<string, unknown>;
  /** Arrival here: Date.now() and the simulator's monotonic clock (ms). */
  wallMs: number;
  monoMs: number;
}

export interface SimRunOptions {
  rateHz: number;
  durationMs: number;
  faults: readonly string[];
  seed?: number;
  /** Every event as it arrives (status lines included). */
  onEvent?: (e: SimEvent) => void;
  /** Keep the non-status events (default true; a long soak passes false and uses onEvent). */
  keepEvents?: boolean;
  /** Read the plant's trace afterwards: the first receive time of each cycle (default false). */
  trace?: boolean;
}

export interface SimRun {
  summary: Summary;
  /** Worst timer lateness any board reported in its status lines (ms). */
  lateMaxMs: number;
  events: SimEvent[];
  /** cycle -> first time (ms from the run's t0) outputs of that cycle reached the plant, sorted by cycle. */
  outputTimes: Array<{ cycle: number; tMs: number }>;
  /** runSim's `build` note (dist/ rebuilt, or tsx used), if it said anything. */
  buildNote: string | null;
}

export async function sim(o: SimRunOptions): Promise<SimRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-bench-'));
  const out = new PassThrough();
  const events: SimEvent[] = [];
  let lateMaxMs = 0;
  let buildNote: string | null = null;
  let rest = '';
  const keep = o.keepEvents ?? true;
  out.on('data', (d: Buffer) => {
    const wallMs = Date.now();
    const mono = monoMs();
    const text = rest + d.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (!line) continue;
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const e = { ev, wallMs, monoMs: mono };
      if (ev.kind === 'status') {
        const late = (ev.timing as { lateMaxMs?: number } | undefined)?.lateMaxMs ?? 0;
        if (late > lateMaxMs) lateMaxMs = late;
      } else {
        if (ev.kind === 'build') buildNote = String(ev.note);
        if (keep) events.push(e);
      }
      o.onEvent?.(e);
    }
  });
  try {
    const { summary } = await runSim({
      seed: o.seed ?? 7, rateHz: o.rateHz, durationMs: o.durationMs, faults: o.faults.map((f) => parseFaultSpec(f)),
      traceFile: join(dir, 'trace.jsonl'), json: true, dashboard: false, logDir: join(dir, 'logs'), runDir: dir,
    }, out as unknown as NodeJS.WriteStream);
    let outputTimes: Array<{ cycle: number; tMs: number }> = [];
    if (o.trace) {
      const first = new Map<number, number>();
      try {
        for (const r of parseTrace(readFileSync(join(dir, 'trace.jsonl'), 'utf8')).records) {
          if (typeof r.tMs !== 'number') continue;
          const t = first.get(r.cycle);
          if (t === undefined || r.tMs < t) first.set(r.cycle, r.tMs);
        }
      } catch {
        /* no trace: left empty */
      }
      outputTimes = [...first].map(([cycle, tMs]) => ({ cycle, tMs })).sort((a, b) => a.cycle - b.cycle);
    }
    return { summary, lateMaxMs, events, outputTimes, buildNote };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The gap in outputs at the plant that contains time tMs (ms from t0): from the last output at or before it to the first after. */
export function gapAround(outputTimes: ReadonlyArray<{ tMs: number }>, tMs: number): number | null {
  const ts = outputTimes.map((x) => x.tMs).sort((a, b) => a - b);
  const i = ts.findIndex((t) => t > tMs);
  if (i <= 0) return null;
  return ts[i]! - ts[i - 1]!;
}

/** Wall-clock ms of a board event's `t` (ISO), or null. */
export function eventWallMs(ev: Record<string, unknown>): number | null {
  if (typeof ev.t !== 'string') return null;
  const ms = Date.parse(ev.t);
  return Number.isFinite(ms) ? ms : null;
}

// ---- statistics

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

/** Nearest-rank quantile (q in [0, 1]); null for no data. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function round(x: number | null | undefined, digits = 1): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** a / b rounded, or null when b is 0 or either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined, digits = 2): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return round(a / b, digits);
}

/** { n, p50, p99, max } of ms figures, rounded to 1 ms. */
export function spread(xs: readonly number[]): { n: number; p50: number | null; p99: number | null; max: number | null } {
  return { n: xs.length, p50: round(quantile(xs, 0.5), 0), p99: round(quantile(xs, 0.99), 0), max: round(xs.length ? Math.max(...xs) : null, 0) };
}

// ---- /proc

let clkTck: number | null = null;
/** sysconf(_SC_CLK_TCK): clock ticks per second of /proc/<pid>/stat's utime and stime. */
export function clockTicksPerS(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * utime+stime (clock ticks, /proc/<pid>/stat), time on a CPU (ns, /proc/<pid>/task/<tid>/schedstat
 * summed over its threads; null if the kernel has no schedstat) and RSS (kB) of one process, or
 * null if it is gone.
 */
export function procSample(pid: number): { ticks: number; runNs: number | null; rssKb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    // schedstat is per thread: the sum over the process's threads (GC and I/O helpers included).
    let runNs: number | null = null;
    try {
      runNs = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          runNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        } catch {
          /* thread gone */
        }
      }
      if (!Number.isFinite(runNs)) runNs = null;
    } catch {
      runNs = null; // no schedstat
    }
    return { ticks: Number(f[11]) + Number(f[12]), runNs, rssKb };
  } catch {
    return null;
  }
}

/** Children of this process running a sim board (found by FTC_CHILD=b<N> in /proc/<pid>/environ): pid -> board. */
export function boardPids(): Map<number, string> {
  const found = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== process.pid) continue;
      const m = /(?:^|\0)FTC_CHILD=(b\d+)(?:\0|$)/.exec(readFileSync(`/proc/${d}/environ`, 'utf8'));
      if (m) found.set(Number(d), m[1]!);
    } catch {
      /* gone */
    }
  }
  return found;
}
