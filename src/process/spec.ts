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
  /** Consistent points: the state directory is read and sent this often (syncOn 'period'). */
  syncPeriodMs: number;
  /**
   * Who says when the state directory is consistent: 'period', ftc every syncPeriodMs (the
   * program writes each file whole, e.g. a temporary file and a rename); 'mark', the program,
   * by `ftc sync` or SIGUSR2 to $FTC_PID, and only those points travel (at most one a cycle).
   */
  syncOn: 'period' | 'mark';
  /** The state directory's size limit (all files together). */
  stateBytesMax: number;
  /** Files in the state directory at most. */
  stateFilesMax: number;
  /** Restarts in place within `restartWindowMs` before the program is moved to another board. */
  restartsMax: number;
  restartWindowMs: number;
  /** After SIGTERM, how long the program has to exit before SIGKILL. */
  stopGraceMs: number;
  /** A liveness probe beside the program's exit: failing it `failuresMax` times in a row counts as an exit. */
  probe?: ProbeSpec;
  /**
   * The service address that follows the program: added to `dev` (then announced with a
   * gratuitous ARP, so neighbours' caches move at once) before the program starts, removed once
   * it has stopped. Needs CAP_NET_ADMIN (ftc.service runs as root).
   */
  address?: { cidr: string; dev: string };
  /** The network namespace the program and its address live in (`{board}` is replaced by the board's id): the simulator's boards, or a board that keeps its service apart. */
  netns?: string;
  /** Run as this user (resolved from /etc/passwd when the board starts it). */
  user?: string;
  /**
   * The program's own watchdog, as under systemd (sd_watchdog_enabled(3)): it must send
   * sd_notify WATCHDOG=1 to $NOTIFY_SOCKET at least this often (it is told WATCHDOG_USEC), or it
   * counts as dead. Absent: not required.
   */
  watchdogMs?: number;
}

/** How the program is asked whether it is alive. */
export type ProbeTarget =
  /** A TCP connect to host:port succeeds. */
  | { kind: 'tcp'; host: string; port: number }
  /** An HTTP GET answers 2xx or 3xx. */
  | { kind: 'http'; url: string }
  /** A command exits 0 (argv, no shell). */
  | { kind: 'exec'; argv: string[] };

export interface ProbeSpec {
  target: ProbeTarget;
  /** A probe starts this often... */
  intervalMs: number;
  /** ...and fails when it has not answered within this (less than the interval: one probe at a time). */
  timeoutMs: number;
  /** Failures in a row that count as the program's death (it is stopped, then restarted or moved). */
  failuresMax: number;
  /** After a start, no probe for this long: the program's own start-up time. */
  startGraceMs: number;
}

export const PROBE_DEFAULTS = { intervalMs: 1000, timeoutMs: 500, failuresMax: 3, startGraceMs: 5000 } as const;

export const PROCESS_DEFAULTS = {
  syncPeriodMs: 200,
  syncOn: 'period',
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
  constructor(readonly field: string, readonly problem: string, readonly fix: string) {
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
  if (s.syncOn !== 'period' && s.syncOn !== 'mark') throw new ProcessSpecError('process.syncOn', `${JSON.stringify(s.syncOn)} is not period or mark`, 'write period (ftc takes a point every syncPeriodMs) or mark (the program says when, with ftc sync)');
  if (s.probe) checkProbe(s.probe, periodMs);
  if (s.watchdogMs !== undefined) int('watchdogMs', Math.max(100, 2 * Math.ceil(periodMs)), 3600_000, `give at least two cycles (${2 * Math.ceil(periodMs)} ms at this rate) and at least 100 ms: the board reads the socket once a cycle`);
  if (s.address) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(s.address.cidr);
    if (!m || m[1]!.split('.').some((o) => Number(o) > 255) || Number(m[2]) > 32) throw new ProcessSpecError('process.address.cidr', `${JSON.stringify(s.address.cidr)} is not an IPv4 address with a prefix length`, 'write e.g. 10.77.0.100/24 (the service address and its subnet)');
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(s.address.dev)) throw new ProcessSpecError('process.address.dev', `${JSON.stringify(s.address.dev)} is not an interface name`, 'write the interface that carries the service, e.g. bond0 or eth0 (at most 15 characters)');
  }
  if (s.netns !== undefined && !/^[A-Za-z0-9_.{}-]{1,64}$/.test(s.netns)) throw new ProcessSpecError('process.netns', `${JSON.stringify(s.netns)} is not a namespace name`, 'write a name from `ip netns list`, e.g. ftc-{board}');
  if (s.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$|^\d+$/.test(s.user)) throw new ProcessSpecError('process.user', `${JSON.stringify(s.user)} is not a user name or uid`, 'write a user from /etc/passwd, e.g. ftc-worker');
  return s;
}

function checkProbe(p: ProbeSpec, periodMs: number): void {
  const int = (field: keyof ProbeSpec, min: number, max: number, fix: string) => {
    const v = p[field] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new ProcessSpecError(`process.probe.${field}`, `${v} is not an integer in [${min}, ${max}]`, fix);
  };
  // The probe is looked at once per cycle: more often than that it cannot run.
  const cycleMs = Math.ceil(periodMs);
  int('intervalMs', Math.max(10, cycleMs), 3600_000, `probe at most once per cycle (${cycleMs} ms at this rate) and at least once an hour`);
  int('timeoutMs', 1, 3600_000, 'give how long one probe may take, e.g. 500');
  if (p.timeoutMs >= p.intervalMs) throw new ProcessSpecError('process.probe.timeoutMs', `is not less than probe.intervalMs (${p.intervalMs} ms): the next probe would start before this one has answered`, `make timeoutMs smaller than intervalMs, e.g. timeoutMs: ${Math.max(1, Math.floor(p.intervalMs / 2))}`);
  int('failuresMax', 1, 100, 'give how many failed probes in a row mean the program is dead, e.g. 3');
  int('startGraceMs', 0, 600_000, 'give the program\'s start-up time, during which it is not probed');
  const t = p.target;
  if (t.kind === 'tcp' && (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535 || t.host === '')) throw new ProcessSpecError('process.probe.tcp', `${t.host}:${t.port} is not host:port`, 'write e.g. 127.0.0.1:8080');
  if (t.kind === 'http' && !/^https?:\/\/[^\s/]+/.test(t.url)) throw new ProcessSpecError('process.probe.http', `${JSON.stringify(t.url)} is not an http(s) URL`, 'write e.g. http://127.0.0.1:8080/health');
  if (t.kind === 'exec' && (t.argv.length === 0 || t.argv[0] === '')) throw new ProcessSpecError('process.probe.exec', 'no command', 'write the check command, e.g. "pgrep -x logger"');
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
