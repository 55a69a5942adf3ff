/**
 * The run summary of `ftc sim` (pure): compares the plant's own record (ground truth) with the
 * reference outputs of the same workload and seed, and counts what went wrong.
 *
 *   {"event":"summary","cycles":…,"lostCycles":…,"wrongOutputs":…,"dualDriven":…,"failovers":…,"maxGapMs":…}
 *
 * Definitions:
 * - cycles: cycles the run should have driven (those in the reference).
 * - lostCycles: reference cycles for which no board's outputs reached the plant.
 * - wrongOutputs: reference cycles for which outputs that differ from the reference reached the
 *   plant (compared as canonical JSON: key order does not matter). A cycle counts once.
 * - dualDriven: cycles for which outputs from two or more different boards reached the plant
 *   (two masters). The same board sending a cycle twice is not dual-driven.
 * - failovers: distinct `failover` events. Every board may log the same failover; events with
 *   the same membership epoch (or, without one, the same cycle and new active board) count once.
 * - maxGapMs: the longest time the plant went without a new cycle's outputs. If every trace record
 *   has the plant's receive time (`tMs`), measured; otherwise (cycle distance) x periodMs. Both
 *   count the edges of the run: outputs stopping before the end (or starting late) are a gap.
 *   Cycles outside the reference (the run's ragged edges) are ignored throughout.
 */

export interface TraceRecord {
  cycle: number;
  board: string;
  outputs: unknown;
  /** The plant's monotonic receive time, ms (optional). */
  tMs?: number;
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
}

export interface SummaryInput {
  trace: Iterable<TraceRecord>;
  reference: Iterable<ReferenceCycle>;
  events: Iterable<SummaryEvent>;
  /** Cycle period (1000 / rate in Hz). */
  periodMs: number;
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
    if (canonicalJson(rec.outputs) !== want) s.wrong = true;
    if (typeof rec.tMs !== 'number') allTimed = false;
    else if (s.firstTMs === undefined || rec.tMs < s.firstTMs) s.firstTMs = rec.tMs;
  }

  let wrongOutputs = 0;
  let dualDriven = 0;
  for (const s of seen.values()) {
    if (s.wrong) wrongOutputs++;
    if (s.boards.size > 1) dualDriven++;
  }

  return {
    event: 'summary',
    cycles,
    lostCycles: cycles - seen.size,
    wrongOutputs,
    dualDriven,
    failovers: countFailovers(input.events),
    maxGapMs: round3(maxGap(expected, seen, allTimed && seen.size > 0, input.periodMs)),
  };
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
