/**
 * What a run report shows, from a run's events (pure): each board's role over time, the faults
 * injected, divergences and fences, output gaps (cycles the plant lost) and how long each board
 * was out before it was voted back in. Times are ms since cycle 0 of the run (`tRunMs`).
 */
import type { EventKind } from '../eventlog/events.ts';

/** What a report reads: the boards' declared events (src/eventlog/events.ts) and the simulator's own. */
type Kind = EventKind | 'role' | 'status' | 'process-exit' | 'process-spawn' | 'lost-cycle';
const is = (e: ReportEvent, k: Kind): boolean => e.kind === k;

export type LaneState = 'active' | 'standby' | 'out' | 'down';

export interface ReportEvent {
  kind?: string;
  board?: string;
  child?: string;
  target?: string;
  detail?: string;
  spec?: string;
  role?: string;
  active?: string | null;
  cycle?: number;
  tRunMs?: number;
  [k: string]: unknown;
}

export interface ReportModel {
  boards: string[];
  durationMs: number;
  periodMs: number;
  lanes: Array<{ board: string; segments: Array<{ fromMs: number; toMs: number; state: LaneState }> }>;
  faults: Array<{ atMs: number; spec: string }>;
  marks: Array<{ atMs: number; board: string; kind: 'outvoted' | 'fence' | 'failover' | 'handover' | 'watchdog'; text: string }>;
  gaps: Array<{ fromMs: number; toMs: number; cycles: number }>;
  rejoins: Array<{ board: string; outMs: number; backMs: number | null }>;
  summary: Record<string, unknown> | null;
}

/** Lost cycles closer together than this many periods are one gap. */
const GAP_JOIN_PERIODS = 2;
/** Segments kept per lane at most (a flapping board over a week-long run). */
const SEGMENTS_MAX = 5000;

export function buildReportModel(events: readonly ReportEvent[], o: { boards: readonly string[]; periodMs: number; durationMs: number; summary?: Record<string, unknown> | null }): ReportModel {
  const timed = events.filter((e) => typeof e.tRunMs === 'number').sort((a, b) => a.tRunMs! - b.tRunMs!);
  const end = o.durationMs;
  // Without role events (event logs copied off boards, not a simulator run) roles are inferred.
  const infer = !events.some((e) => is(e, 'role') || is(e, 'status'));
  const lanes = o.boards.map((board) => {
    const segs: Array<{ fromMs: number; toMs: number; state: LaneState }> = [];
    let state: LaneState | null = null;
    let since = 0;
    const go = (t: number, s: LaneState) => {
      const at = Math.max(0, Math.min(end, t));
      if (s === state) return;
      if (state !== null && at > since && segs.length < SEGMENTS_MAX) segs.push({ fromMs: since, toMs: at, state });
      state = s;
      since = at;
    };
    let dead = false;
    // The peers' word counts too: a frozen board reports nothing, its last status would say active.
    let outByPeers = false;
    let own: LaneState = 'out';
    const show = (t: number) => go(t, dead ? 'down' : outByPeers && own !== 'out' ? 'out' : own);
    for (const e of timed) {
      if ((is(e, 'votedOut') || is(e, 'votedIn')) && e.target === board) {
        outByPeers = is(e, 'votedOut');
        if (infer && !outByPeers && own === 'out') own = 'standby';
        show(e.tRunMs!);
        continue;
      }
      // Logs copied off boards have no role events: the active role follows failovers and handovers.
      if (infer && (is(e, 'failover') || is(e, 'handover-done')) && (e.to === board || e.from === board)) {
        own = e.to === board ? 'active' : own === 'active' ? 'standby' : own;
        show(e.tRunMs!);
        continue;
      }
      const who = e.board ?? e.child;
      if (who !== board) continue;
      if (infer && is(e, 'boot')) {
        // Power-on: a member of the rig as it forms; a later boot rejoins.
        own = e.boot === 1 || e.reason === 'power-on' ? (own === 'out' ? 'standby' : own) : 'out';
        dead = false;
      } else if (is(e, 'process-exit')) dead = true;
      else if (is(e, 'boot') || is(e, 'process-spawn')) { if (!dead) continue; dead = false; own = 'out'; }
      else if (is(e, 'role') || is(e, 'status')) own = e.role !== 'member' ? 'out' : e.active === board ? 'active' : 'standby';
      else continue;
      show(e.tRunMs!);
    }
    if (state !== null && end > since) segs.push({ fromMs: since, toMs: end, state });
    return { board, segments: segs };
  });

  const faults = timed.filter((e) => is(e, 'fault') && typeof e.spec === 'string').map((e) => ({ atMs: e.tRunMs!, spec: e.spec! }));
  const marks: ReportModel['marks'] = [];
  for (const e of timed) {
    if (is(e, 'demoted') && (e.detail === 'outvoted' || e.detail === 'catchUpMismatch')) marks.push({ atMs: e.tRunMs!, board: e.board ?? '?', kind: 'outvoted', text: `${e.board} ${e.detail} at cycle ${e.cycle}` });
    else if (is(e, 'fence')) marks.push({ atMs: e.tRunMs!, board: e.target ?? '?', kind: 'fence', text: `${e.board} fenced ${e.target}` });
    else if (is(e, 'failover')) marks.push({ atMs: e.tRunMs!, board: String(e.to ?? e.board), kind: 'failover', text: `failover ${String(e.from)} -> ${String(e.to)}` });
    else if (is(e, 'handover-done')) marks.push({ atMs: e.tRunMs!, board: String(e.to ?? e.board), kind: 'handover', text: `handover ${String(e.from)} -> ${String(e.to)}` });
    else if (is(e, 'watchdog-reset') || (is(e, 'process-exit') && e.code === 86)) {
      // The board logs its reset and the simulator sees its process exit 86: one mark.
      const who = e.board ?? e.child ?? '?';
      if (!marks.some((k) => k.kind === 'watchdog' && k.board === who && Math.abs(k.atMs - e.tRunMs!) < 1000)) marks.push({ atMs: e.tRunMs!, board: who, kind: 'watchdog', text: `${who} reset by its watchdog` });
    }
  }

  // Output gaps: the plant's lost cycles, placed on the cycle grid and joined when close.
  const lost = [...new Set(events.filter((e) => is(e, 'lost-cycle') && typeof e.cycle === 'number').map((e) => e.cycle!))].sort((a, b) => a - b);
  const gaps: ReportModel['gaps'] = [];
  for (const c of lost) {
    const from = c * o.periodMs;
    const last = gaps.at(-1);
    if (last && from - last.toMs <= GAP_JOIN_PERIODS * o.periodMs) { last.toMs = from + o.periodMs; last.cycles++; }
    else gaps.push({ fromMs: from, toMs: from + o.periodMs, cycles: 1 });
  }

  // Out of the voting set: from votedOut (or a demotion) to the next votedIn of that board.
  const rejoins: ReportModel['rejoins'] = [];
  const outSince = new Map<string, number>();
  for (const e of timed) {
    const b = is(e, 'demoted') ? e.board : e.target;
    if (!b) continue;
    if ((is(e, 'votedOut') || is(e, 'demoted')) && !outSince.has(b)) outSince.set(b, e.tRunMs!);
    else if (is(e, 'votedIn') && outSince.has(b)) {
      rejoins.push({ board: b, outMs: outSince.get(b)!, backMs: e.tRunMs! });
      outSince.delete(b);
    }
  }
  for (const [board, outMs] of outSince) rejoins.push({ board, outMs, backMs: null });
  rejoins.sort((a, b) => a.outMs - b.outMs);
  return { boards: [...o.boards], durationMs: end, periodMs: o.periodMs, lanes, faults, marks, gaps, rejoins, summary: o.summary ?? null };
}
