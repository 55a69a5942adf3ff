/**
 * Where a board's CPU goes: with FTC_CPU_PROFILE_DIR set, a `ftc sim` child records a V8 CPU
 * profile (node:inspector) from the moment it is ready, and writes it there when it is stopped
 * (SIGTERM from the supervisor, or its stdin closing). `node --cpu-prof` cannot do this: a
 * process ended by a signal writes no profile. Open the .cpuprofile in Chrome DevTools, or sum it
 * with `node scratch`-style scripts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

export function startCpuProfileIfAsked(name: string): void {
  const dir = process.env.FTC_CPU_PROFILE_DIR;
  if (!dir) return;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
      process.exit(0);
    });
  };
  process.on('SIGTERM', write);
  process.stdin.on('end', write);
}

/** With FTC_TRACE_GC set, every garbage collection of 1 ms or more becomes a `gc` event (kind, ms). */
export async function traceGcIfAsked(emit: (e: Record<string, unknown>) => void): Promise<void> {
  if (!process.env.FTC_TRACE_GC) return;
  const { PerformanceObserver } = await import('node:perf_hooks');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 1) emit({ kind: 'gc', ms: Math.round(e.duration * 10) / 10, gc: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? null });
    }
  }).observe({ entryTypes: ['gc'] });
}
