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
