/**
 * The live dashboard of `ftc sim`: a pure renderer (state -> lines, each at most `cols` wide, at
 * most `rows` of them, ASCII only so every terminal counts the columns the same) and a small
 * terminal driver (alternate screen, hidden cursor, redraw a few times a second, restore on exit).
 *
 * Layout for 80x24:
 *   1      header: cycle, active board, mode, members
 *   2      rule with time, seed, rate
 *   3-6    boards (role, state, boot, PSU, NIC)  |  links (serial, udp per pair)
 *   7-13   last votes                            |  faults injected
 *   14     totals: lost, wrong, dual-driven, failovers, max gap
 *   15-23  output gap histogram
 *   24     footer
 */
import { clip, fit } from '../console/text.ts';

export type LinkState = 'up' | 'degraded' | 'down' | 'cut';

export interface DashboardLinkHealth {
  state: LinkState;
  /** Recent loss, percent; null when unknown. */
  lossPct: number | null;
}

export interface DashboardBoard {
  board: string;
  role: 'active' | 'standby' | 'fenced' | 'joining' | 'service' | 'down';
  state: string;
  boot: number;
  psu: Array<{ name: string; ok: boolean }>;
  nics: Array<{ name: string; up: boolean }>;
}

export interface DashboardVote {
  cycle: number;
  outcome: string;
  dissent: string[];
  missing: string[];
}

export interface DashboardFault {
  atMs: number;
  spec: string;
  state: 'pending' | 'active' | 'cleared';
}

export interface GapBucket {
  /** Upper bound of the bucket, ms; null = everything above the previous bound. */
  leMs: number | null;
  count: number;
}

export interface DashboardState {
  elapsedMs: number;
  /** Planned run length; null = until stopped. */
  durationMs: number | null;
  seed: number;
  rateHz: number;
  cycle: number;
  activeBoard: string | null;
  /** Redundancy mode: TMR, duplex, simplex, safe... */
  mode: string;
  /** Current voting set. */
  members: string[];
  boards: DashboardBoard[];
  links: Array<{ a: string; b: string; serial: DashboardLinkHealth; udp: DashboardLinkHealth }>;
  /** Most recent last. */
  votes: DashboardVote[];
  faults: DashboardFault[];
  gapHistogram: GapBucket[];
  totals: { lostCycles: number; wrongOutputs: number; dualDriven: number; failovers: number; maxGapMs: number };
}

export interface ScreenSize {
  cols: number;
  rows: number;
}

/** Default gap buckets (ms): around a 10 ms period, then the failover range. */
export const GAP_BUCKETS_MS: readonly number[] = [10, 12, 15, 20, 50, 100, 500, 1000];

export function emptyGapHistogram(boundsMs: readonly number[] = GAP_BUCKETS_MS): GapBucket[] {
  return [...boundsMs.map((leMs) => ({ leMs, count: 0 })), { leMs: null, count: 0 }];
}

/** Count one gap between consecutive outputs at the plant (mutates the histogram). */
export function addGap(histogram: GapBucket[], gapMs: number): void {
  const bucket = histogram.find((b) => b.leMs === null || gapMs <= b.leMs);
  if (bucket) bucket.count++;
}

const HALF = 39; // two panes of 39 columns and a 2-column separator in 80

export function renderDashboard(s: DashboardState, size: ScreenSize = { cols: 80, rows: 24 }): string[] {
  const cols = Math.max(1, size.cols);
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  const lines: string[] = [];

  const time = s.durationMs === null ? `${secs(s.elapsedMs)}s` : `${secs(s.elapsedMs)}/${secs(s.durationMs)}s`;
  lines.push(`ftc sim  cycle ${s.cycle}  active ${s.activeBoard ?? 'NONE'}  ${s.mode} [${s.members.join(',')}]`);
  lines.push(`-- t ${time}  seed ${s.seed}  ${s.rateHz} Hz `.padEnd(80, '-'));

  // Boards | links
  // "+" = ok/up, "-" = failed/down, e.g. "a+b- eth0+ eth1-".
  const left: string[] = [`${fit('', 4)}${fit('ROLE', 8)}${fit('STATE', 7)}${fit('BOOT', 4, 'right')} PSU NIC`];
  for (const b of s.boards.slice(0, 3)) {
    const psu = b.psu.map((p) => p.name + (p.ok ? '+' : '-')).join('');
    const nic = b.nics.map((n) => n.name + (n.up ? '+' : '-')).join(' ');
    left.push(`${fit(b.board, 4)}${fit(b.role, 8)}${fit(b.state, 7)}${fit(String(b.boot), 3, 'right')} ${psu} ${nic}`);
  }
  const right: string[] = [`${fit('LINK', 8)}${fit('SERIAL', 15)}UDP`];
  const health = (h: DashboardLinkHealth) => (h.lossPct === null || h.state === 'down' || h.state === 'cut' ? h.state : `${h.state} ${h.lossPct.toFixed(1)}%`);
  for (const l of s.links.slice(0, 3)) right.push(`${fit(`${l.a}-${l.b}`, 8)}${fit(health(l.serial), 15)}${health(l.udp)}`);
  lines.push(...columns(left, right, 4));

  // Votes | faults
  const voteRows = 6;
  const vl: string[] = ['LAST VOTES'];
  for (const v of s.votes.slice(-voteRows)) {
    const extra = (v.dissent.length ? ` dissent ${v.dissent.join(',')}` : '') + (v.missing.length ? ` missing ${v.missing.join(',')}` : '');
    vl.push(`${fit(String(v.cycle), 10, 'right')} ${v.outcome}${extra}`);
  }
  const fl: string[] = [`FAULTS INJECTED (${s.faults.length})`];
  const shownFaults = s.faults.length > voteRows ? s.faults.slice(-(voteRows - 1)) : s.faults;
  if (s.faults.length > voteRows) fl.push(`  ... ${s.faults.length - shownFaults.length} earlier`);
  for (const f of shownFaults) fl.push(`${fit(secs(f.atMs) + 's', 7, 'right')} ${fit(f.state, 8)}${f.spec}`);
  lines.push(...columns(vl, fl, voteRows + 1));

  const t = s.totals;
  lines.push(
    `lost ${t.lostCycles}  wrong ${t.wrongOutputs}  dual-driven ${t.dualDriven}  failovers ${t.failovers}` +
      `  max gap ${t.maxGapMs.toFixed(1)} ms`,
  );

  // Histogram: log-scaled bars, so the one 300 ms failover gap shows next to 2000 normal ones.
  lines.push('OUTPUT GAP HISTOGRAM (ms between outputs at the plant)');
  const histRows = 8;
  const buckets = mergeTail(s.gapHistogram, histRows);
  const maxCount = Math.max(1, ...buckets.map((b) => b.count));
  const barMax = 80 - 20;
  let prev = 0;
  for (const b of buckets) {
    const label = b.leMs === null ? `>${prev}` : `<=${b.leMs}`;
    if (b.leMs !== null) prev = b.leMs;
    const w = b.count === 0 ? 0 : Math.max(1, Math.round((barMax * Math.log10(1 + b.count)) / Math.log10(1 + maxCount)));
    lines.push(`${fit(label, 8, 'right')} ${fit(String(b.count), 9, 'right')} ${'#'.repeat(w)}`.trimEnd());
  }
  while (lines.length < 23) lines.push('');
  lines.push('Ctrl-C stops the run');

  return lines.slice(0, Math.max(0, size.rows)).map((l) => clip(l, cols));
}

/** Two panes side by side, each HALF wide, `height` rows. */
function columns(left: string[], right: string[], height: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < height; i++) out.push((fit(left[i] ?? '', HALF) + ' |' + (right[i] !== undefined ? ' ' + right[i] : '')).trimEnd());
  return out;
}

/** At most n buckets: the extra high ones are summed into the last row. */
function mergeTail(h: GapBucket[], n: number): GapBucket[] {
  if (h.length <= n) return h;
  const head = h.slice(0, n - 1);
  const tail = h.slice(n - 1);
  return [...head, { leMs: null, count: tail.reduce((a, b) => a + b.count, 0) }];
}

// ---------------------------------------------------------------------------------------------
// Terminal driver (ring 3)

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME = '\x1b[H';
const CLEAR_EOL = '\x1b[K';
const CLEAR_EOS = '\x1b[J';

export interface DashboardDriverOptions {
  stream?: NodeJS.WriteStream;
  /** Redraw period; default 250 ms (4 redraws a second). */
  intervalMs?: number;
}

export interface DashboardDriver {
  /** Redraw now (also done on a timer). */
  redraw(): void;
  /** Restore the terminal; idempotent. */
  stop(): void;
}

/** Use the dashboard only on a terminal and when not turned off (--no-dashboard, --json). */
export function dashboardWanted(stream: NodeJS.WriteStream, enabled: boolean): boolean {
  return enabled && stream.isTTY === true;
}

/**
 * Take over the terminal until stop(). The terminal is restored on stop(), on process exit, on
 * SIGINT/SIGTERM (then the process exits with 128+signal unless someone else handles the
 * signal) and on an uncaught exception (printed after the restore, exit code 1).
 */
export function startDashboard(getState: () => DashboardState, options: DashboardDriverOptions = {}): DashboardDriver {
  const stream = options.stream ?? process.stdout;
  const intervalMs = options.intervalMs ?? 250;
  let stopped = false;
  let lastFrame = '';
  const size = (): ScreenSize => ({ cols: stream.columns || 80, rows: stream.rows || 24 });
  const redraw = () => {
    if (stopped) return;
    let lines: string[];
    try {
      lines = renderDashboard(getState(), size());
    } catch (e) {
      lines = [`dashboard: cannot render: ${e instanceof Error ? e.message : String(e)}`];
    }
    const frame = HOME + lines.map((l) => l + CLEAR_EOL).join('\r\n') + CLEAR_EOS;
    if (frame !== lastFrame) stream.write(frame);
    lastFrame = frame;
  };
  const restore = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    stream.off('resize', onResize);
    process.off('exit', restore);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onUncaught);
    stream.write(CURSOR_SHOW + ALT_SCREEN_OFF);
  };
  const onResize = () => {
    lastFrame = '';
    redraw();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    // We were the only handler: do what Node would have done without us.
    if (process.listenerCount(sig) === 0) process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  const onUncaught = (e: Error) => {
    restore();
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  };
  stream.write(ALT_SCREEN_ON + CURSOR_HIDE);
  process.on('exit', restore);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onUncaught);
  stream.on('resize', onResize);
  const timer = setInterval(redraw, intervalMs);
  redraw();
  return { redraw, stop: restore };
}
