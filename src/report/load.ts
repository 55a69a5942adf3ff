/**
 * Reading a run for `ftc report` (shell: files). A run directory of `ftc sim` or `ftc demo` holds
 * run.json (the run's settings and summary) and events.jsonl (every event, `tRunMs` since cycle
 * 0). Event logs copied off boards (`<board>.events.jsonl`, each line with `mono`, the board's
 * CLOCK_MONOTONIC) are read too: their times are taken from the earliest event.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportEvent } from './model.ts';

export interface RunInfo {
  boards: string[];
  periodMs: number;
  durationMs: number;
  title: string;
  summary: Record<string, unknown> | null;
}

export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

/** Lines of one file at most: a week of events at a few per second; more is cut, and said. */
const LINES_MAX = 2_000_000;

function readJsonLines(file: string): ReportEvent[] {
  const out: ReportEvent[] = [];
  const text = readFileSync(file, 'utf8');
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (++n > LINES_MAX) break;
    try {
      out.push(JSON.parse(line) as ReportEvent);
    } catch {
      // A line cut by a crash (the last one of a board's log): skipped, the rest stands.
    }
  }
  return out;
}

export function loadRun(dir: string): { info: RunInfo; events: ReportEvent[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReportInputError(`${dir}: not a directory; fix: give the run directory of ftc sim or ftc demo (--run-dir, default .ftc/run), or a directory of <board>.events.jsonl files`);
  const runJson = join(dir, 'run.json');
  if (existsSync(runJson) && existsSync(join(dir, 'events.jsonl'))) {
    const r = JSON.parse(readFileSync(runJson, 'utf8')) as Partial<RunInfo>;
    return {
      info: { boards: r.boards ?? ['b1', 'b2', 'b3'], periodMs: r.periodMs ?? 50, durationMs: r.durationMs ?? 0, title: r.title ?? `ftc run ${dir}`, summary: r.summary ?? null },
      events: readJsonLines(join(dir, 'events.jsonl')),
    };
  }
  const logs = [dir, join(dir, 'logs')].filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => /^[\w-]+\.events\.jsonl$/.test(f)).map((f) => join(d, f)));
  if (logs.length === 0) throw new ReportInputError(`${dir}: no run.json + events.jsonl, and no <board>.events.jsonl; fix: give the run directory of ftc sim or ftc demo, or copy the boards' event logs (eventLog.dir) into one directory`);
  const events = logs.flatMap(readJsonLines).filter((e) => typeof e.mono === 'number');
  const t0 = Math.min(...events.map((e) => e.mono as number));
  for (const e of events) e.tRunMs = (e.mono as number) - t0;
  const boards = [...new Set(events.map((e) => e.board).filter((b): b is string => typeof b === 'string'))].sort();
  const durationMs = Math.max(0, ...events.map((e) => e.tRunMs!));
  return { info: { boards, periodMs: 50, durationMs, title: `ftc event logs ${dir}`, summary: null }, events };
}
