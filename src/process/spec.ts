/**
 * The process class: any program (a Python logger, a C driver, a small web service) that runs on
 * exactly one board of the rig, restarts in place a few times, then moves to another board, with
 * a state directory replicated to the other boards. This file is its configuration (pure).
 *
 * The program is told where its state lives by FTC_STATE_DIR. What is in that directory when ftc
 * takes a consistent point (every `syncPeriodMs`) travels to the other boards as a checkpoint of
 * the checkpoint class (src/checkpoint/core.ts); a board that takes the program over starts it on
 * the newest state a peer acknowledged.
 */

export interface ProcessSpec {
  /** The command: argv[0] is the program (searched in PATH), the rest its arguments. */
  argv: string[];
  env: Record<string, string>;
  /** Working directory (default: the state directory). */
  cwd?: string;
  /** Consistent points: the state directory is read and sent this often. */
  syncPeriodMs: number;
  /** The state directory's size limit (all files together). */
  stateBytesMax: number;
  /** Files in the state directory at most. */
  stateFilesMax: number;
  /** Restarts in place within `restartWindowMs` before the program is moved to another board. */
  restartsMax: number;
  restartWindowMs: number;
  /** After SIGTERM, how long the program has to exit before SIGKILL. */
  stopGraceMs: number;
}

export const PROCESS_DEFAULTS = {
  syncPeriodMs: 200,
  stateBytesMax: 48 * 1024,
  stateFilesMax: 64,
  restartsMax: 3,
  restartWindowMs: 60_000,
  stopGraceMs: 2000,
} as const;

/** Arguments and environment entries at most: a command line, not a data channel. */
const ARGV_MAX = 64;
const ARG_CHARS_MAX = 4096;

export class ProcessSpecError extends Error {
  constructor(readonly field: string, problem: string, readonly fix: string) {
    super(`${field}: ${problem}; fix: ${fix}`);
    this.name = 'ProcessSpecError';
  }
}

/** A spec with its defaults, checked; throws ProcessSpecError naming the field and the fix. */
export function makeProcessSpec(p: Partial<ProcessSpec> & { argv: string[] }, periodMs: number): ProcessSpec {
  // The default sync period is at least one cycle, so a slow rig's default spec is valid too.
  const s: ProcessSpec = { env: {}, ...PROCESS_DEFAULTS, syncPeriodMs: Math.max(PROCESS_DEFAULTS.syncPeriodMs, Math.ceil(periodMs)), ...p };
  if (!Array.isArray(s.argv) || s.argv.length === 0 || s.argv[0]!.trim() === '') throw new ProcessSpecError('process.argv', 'no command', 'give the program and its arguments, e.g. --process "python3 logger.py"');
  if (s.argv.length > ARGV_MAX || s.argv.some((a) => typeof a !== 'string' || a.length > ARG_CHARS_MAX)) throw new ProcessSpecError('process.argv', `more than ${ARGV_MAX} arguments or one over ${ARG_CHARS_MAX} characters`, 'keep the command line short; pass data through the state directory');
  const int = (field: keyof ProcessSpec, min: number, max: number, fix: string) => {
    const v = s[field] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new ProcessSpecError(`process.${field}`, `${v} is not an integer in [${min}, ${max}]`, fix);
  };
  int('syncPeriodMs', Math.ceil(periodMs), 60_000, `sync at most once per cycle (${Math.ceil(periodMs)} ms at this rate) and at least once a minute`);
  int('stateBytesMax', 1, 60 * 1024, 'keep the state directory within 60 KiB: it is checkpointed over the boards\' links every sync (a bigger one needs a shared disk, not ftc)');
  int('stateFilesMax', 1, 1024, 'give 1 to 1024');
  int('restartsMax', 0, 100, 'give how often the program may be restarted in place before it moves (0: move at once)');
  int('restartWindowMs', 1000, 24 * 3600_000, 'give the window in which restarts are counted, e.g. 60000');
  int('stopGraceMs', 0, 60_000, 'give how long the program has to exit after SIGTERM before SIGKILL');
  return s;
}

/** `python3 "my script.py" -v` → ['python3', 'my script.py', '-v'] (double and single quotes; no shell). */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let any = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") { quote = ch; any = true; }
    else if (/\s/.test(ch)) { if (any || cur) out.push(cur); cur = ''; any = false; }
    else cur += ch;
  }
  if (quote) throw new ProcessSpecError('--process', `an unclosed ${quote}`, 'close the quote');
  if (any || cur) out.push(cur);
  return out;
}
