/**
 * The run summary of `ftc sim` (pure): reads the plant's own record (ground truth) of which
 * outputs reached the actuators, and what every board presented, and counts what went wrong.
 *
 *   {"event":"summary","cycles":…,"lostCycles":…,"wrongOutputs":…,"dualDriven":…,"failovers":…,"maxGapMs":…}
 *
 * Definitions:
 * - cycles: cycles the run should have driven (those in the reference).
 * - lostCycles: reference cycles for which no board's outputs reached the plant (no trace record).
 *   A lost cycle counts here only, never also as a wrong output.
 * - wrongOutputs: reference cycles for which outputs reached the plant that are not what the
 *   healthy boards computed for that cycle. A cycle counts once (also when dual-driven). Judged
 *   per cycle, not against the fault-free reference run: after one lost cycle the plant applied
 *   safe outputs, so its trajectory (and every later reading and output) rightly differs from the
 *   fault-free run. A trace record carries `presented`, what every board presented for the cycle
 *   (boards whose outputs had arrived when the plant closed it):
 *   - when two or more boards presented the same outputs (the majority; with three boards and at
 *     most one faulty, what the healthy boards computed from the agreed inputs), the accepted
 *     outputs are wrong if they differ from it (a lying driver that got through);
 *   - otherwise (no two boards presented the same outputs; with more than three boards, also a
 *     tie between two sets of equal outputs) the accepted outputs are wrong unless they are the
 *     only outputs presented: the driver's own, with nothing to judge them by (the output stage
 *     passed them because two boards selected their board). With two or more presentations and
 *     no two equal, the accepted outputs match no other board's, so they are wrong; outputs that
 *     no board presented are wrong too.
 *   A record without `presented` (a trace written before it existed) is compared with the
 *   reference outputs of the same cycle instead, as it used to be. Outputs compare as canonical
 *   JSON: key order does not matter.
 * - dualDriven: cycles for which outputs from two or more different boards reached the plant
 *   (two masters). The same board sending a cycle twice is not dual-driven.
 * - failovers: distinct `failover` events. Every board may log the same failover; events with
 *   the same membership epoch (or, without one, the same cycle and new active board) count once.
 * - maxGapMs: the longest time the plant went without a new cycle's outputs. If every trace record
 *   has the plant's receive time (`tMs`), measured; otherwise (cycle distance) x periodMs. Both
 *   count the edges of the run: outputs stopping before the end (or starting late) are a gap.
 *   Cycles outside the reference (the run's ragged edges) are ignored throughout.
 * For a checkpoint workload (`checkpoint: true`; its outputs are not reproducible, so the
 * reference has none and only the presented outputs judge a cycle), two more:
 * - lostCommitted: epochs a new primary resumed from (`resumed` events: a backup held that
 *   checkpoint, so it was committed) whose outputs never reached the plant, neither at their own
 *   cycle from the primary that made it nor at a later one, re-released (`epoch` in the trace
 *   record) by the primary that resumed from it.
 * - duplicatedOutputs: cycles for which two boards presented different outputs (two primaries
 *   computed one epoch). The output stage applies a cycle once whatever comes, so this is what
 *   "an output applied twice" would be.
 */

export interface TraceRecord {
  cycle: number;
  board: string;
  outputs: unknown;
  /**
   * Every board's presented (non-safe) outputs for the cycle, by board, as far as they had reached
   * the plant when it closed the cycle. Absent in traces written before it existed.
   */
  presented?: Record<string, unknown>;
  /** The plant's monotonic receive time, ms (optional). */
  tMs?: number;
  /** A checkpoint workload's committed epoch re-released at this later cycle (after a failover). */
  epoch?: number;
}

export interface ReferenceCycle {
  cycle: number;
  outputs: unknown;
}

/** An event as logged (`kind`) or as printed by `ftc sim --json` (`event`). */
export interface SummaryEvent {
  kind?: string;
  event?: string;
  [field: string]: unknown;
}

export interface Summary {
  event: 'summary';
  cycles: number;
  lostCycles: number;
  wrongOutputs: number;
  dualDriven: number;
  failovers: number;
  maxGapMs: number;
  lostCommitted?: number;
  duplicatedOutputs?: number;
  /** The process class (programSummary). */
  dualActive?: number;
  restarts?: number;
  outageMsMax?: number;
}

export interface SummaryInput {
  trace: Iterable<TraceRecord>;
  reference: Iterable<ReferenceCycle>;
  events: Iterable<SummaryEvent>;
  /** Cycle period (1000 / rate in Hz). */
  periodMs: number;
  /** A checkpoint workload: count lostCommitted and duplicatedOutputs too. */
  checkpoint?: boolean;
}

export function summarize(input: SummaryInput): Summary {
  if (!(input.periodMs > 0)) throw new RangeError(`summarize: periodMs must be > 0, got ${input.periodMs}`);
  const expected = new Map<number, string>();
  for (const r of input.reference) expected.set(r.cycle, canonicalJson(r.outputs));
  const cycles = expected.size;

  // Per cycle: boards seen, whether any output was wrong, first receive time.
  const seen = new Map<number, { boards: Set<string>; wrong: boolean; firstTMs: number | undefined }>();
  let allTimed = true;
  for (const rec of input.trace) {
    const want = expected.get(rec.cycle);
    if (want === undefined) continue;
    let s = seen.get(rec.cycle);
    if (!s) {
      s = { boards: new Set(), wrong: false, firstTMs: rec.tMs };
      seen.set(rec.cycle, s);
    }
    s.boards.add(rec.board);
    if (isWrong(rec, want)) s.wrong = true;
    if (typeof rec.tMs !== 'number') allTimed = false;
    else if (s.firstTMs === undefined || rec.tMs < s.firstTMs) s.firstTMs = rec.tMs;
  }

  let wrongOutputs = 0;
  let dualDriven = 0;
  for (const s of seen.values()) {
    if (s.wrong) wrongOutputs++;
    if (s.boards.size > 1) dualDriven++;
  }

  const summary: Summary = {
    event: 'summary',
    cycles,
    lostCycles: cycles - seen.size,
    wrongOutputs,
    dualDriven,
    failovers: countFailovers(input.events),
    maxGapMs: round3(maxGap(expected, seen, allTimed && seen.size > 0, input.periodMs)),
  };
  if (input.checkpoint) {
    const resumed = new Set<number>();
    for (const e of input.events) if ((e.kind ?? e.event) === 'resumed' && typeof e.epoch === 'number' && e.epoch >= 0 && expected.has(e.epoch)) resumed.add(e.epoch);
    const reReleased = new Set<number>();
    for (const rec of input.trace) if (typeof rec.epoch === 'number') reReleased.add(rec.epoch);
    summary.lostCommitted = [...resumed].filter((c) => !seen.has(c) && !reReleased.has(c)).length;
    let duplicated = 0;
    for (const rec of input.trace) {
      const p = rec.presented;
      if (!expected.has(rec.cycle) || !p || typeof p !== 'object' || Array.isArray(p)) continue;
      if (new Set(Object.values(p).map((v) => canonicalJson(v))).size > 1) duplicated++;
    }
    summary.duplicatedOutputs = duplicated;
  }
  return summary;
}

/** Whether a record's accepted outputs are wrong (see wrongOutputs above); `want`: the reference's, canonical. */
function isWrong(rec: TraceRecord, want: string): boolean {
  const got = canonicalJson(rec.outputs);
  const p = rec.presented;
  if (p === undefined || p === null || typeof p !== 'object' || Array.isArray(p)) return got !== want;
  const votes = new Map<string, number>();
  for (const o of Object.values(p)) {
    const k = canonicalJson(o);
    votes.set(k, (votes.get(k) ?? 0) + 1);
  }
  const ranked = [...votes].sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  // A majority: at least two boards presented it, and no other outputs as often (a tie is none).
  if (top !== undefined && top[1] >= 2 && !(ranked[1] !== undefined && ranked[1][1] === top[1])) return got !== top[0];
  // No two boards agree: right only as the single presentation there is.
  return !(ranked.length === 1 && top![0] === got);
}

function maxGap(
  expected: Map<number, string>,
  seen: Map<number, { firstTMs: number | undefined }>,
  timed: boolean,
  periodMs: number,
): number {
  if (expected.size === 0) return 0;
  const refCycles = [...expected.keys()].sort((a, b) => a - b);
  const firstRef = refCycles[0]!;
  const lastRef = refCycles.at(-1)!;
  const got = [...seen.keys()].sort((a, b) => a - b);
  if (got.length === 0) return (lastRef - firstRef + 2) * periodMs;
  // Edges: as if a delivery happened just before the first and just after the last cycle.
  let gap = Math.max((got[0]! - (firstRef - 1)) * periodMs, (lastRef + 1 - got.at(-1)!) * periodMs);
  if (timed) {
    const times = got.map((c) => seen.get(c)!.firstTMs!).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  } else {
    for (let i = 1; i < got.length; i++) gap = Math.max(gap, (got[i]! - got[i - 1]!) * periodMs);
  }
  return gap;
}

function countFailovers(events: Iterable<SummaryEvent>): number {
  const keys = new Set<string>();
  for (const e of events) {
    if ((e.kind ?? e.event) !== 'failover') continue;
    keys.add(e.epoch !== undefined ? `epoch ${String(e.epoch)}` : `cycle ${String(e.cycle)} to ${String(e.to)}`);
  }
  return keys.size;
}

/** JSON with object keys sorted at every level, so equal values compare equal as strings. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  ) ?? 'undefined';
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Parse the plant's JSON Lines trace; lines that are not records are skipped and counted. */
export function parseTrace(text: string): { records: TraceRecord[]; skippedLines: number } {
  const records: TraceRecord[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as Partial<TraceRecord>;
      if (typeof v === 'object' && v !== null && Number.isInteger(v.cycle) && typeof v.board === 'string' && 'outputs' in v) {
        records.push(v as TraceRecord);
        continue;
      }
    } catch {
      /* counted below */
    }
    skippedLines++;
  }
  return { records, skippedLines };
}

/**
 * The process class's figures (`ftc sim --process`), from the boards' program-start,
 * program-stopped and program-exit events and the supervisor's process-exit of a board (its program
 * dies with it), all stamped with the machine's monotonic clock (`mono`, ms):
 * - dualActive: pairs of instances on two boards that ran at the same time (must be 0);
 * - restarts: program starts after the first (in place or on another board);
 * - outageMsMax: the longest time, after the first start and before `endMono`, with no instance running.
 */
export function programSummary(events: Iterable<SummaryEvent>, boards: readonly string[], endMono: number): { dualActive: number; restarts: number; outageMsMax: number } {
  const spans: { board: string; from: number; to: number }[] = [];
  const open = new Map<string, number>();
  const close = (board: string, at: number) => {
    const from = open.get(board);
    if (from === undefined) return;
    open.delete(board);
    spans.push({ board, from, to: at });
  };
  for (const e of events) {
    const kind = e.kind ?? e.event;
    const at = typeof e.mono === 'number' ? e.mono : undefined;
    if (at === undefined) continue;
    if (kind === 'program-start' && typeof e.board === 'string') { close(e.board, at); open.set(e.board, at); }
    else if ((kind === 'program-stopped' || kind === 'program-exit') && typeof e.board === 'string') close(e.board, at);
    else if (kind === 'process-exit' && typeof e.child === 'string' && boards.includes(e.child)) close(e.child, at);
  }
  for (const b of [...open.keys()]) close(b, endMono);
  spans.sort((a, b) => a.from - b.from);
  let dualActive = 0;
  for (let i = 0; i < spans.length; i++) for (let j = i + 1; j < spans.length; j++) if (spans[i]!.board !== spans[j]!.board && spans[j]!.from < spans[i]!.to) dualActive++;
  let outageMsMax = 0;
  let coveredTo = spans[0]?.from ?? endMono;
  for (const s of spans) {
    if (s.from > coveredTo) outageMsMax = Math.max(outageMsMax, s.from - coveredTo);
    coveredTo = Math.max(coveredTo, s.to);
  }
  if (spans.length && endMono > coveredTo) outageMsMax = Math.max(outageMsMax, endMono - coveredTo);
  return { dualActive, restarts: Math.max(0, spans.length - 1), outageMsMax: Math.round(outageMsMax) };
}
