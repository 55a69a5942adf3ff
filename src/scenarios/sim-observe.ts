/**
 * What a `ftc sim --json` run showed, as scenario observations (pure): the events the simulator
 * printed (each stamped by the reader with the time it arrived) plus its summary.
 *
 * - fault time: the simulator's `{"kind":"fault"}` line; a `kill` line names the board it hit.
 * - `active` and the voting set: the boards' periodic `status` lines, from boards that are members.
 * - resets: a board's `boot` log line with boot > 1 (reason as the board reports it).
 * - votes: `lastVote` of the status lines (only the votes that happened to be last when sampled).
 */
import type { Summary } from '../rig/summary.ts';
import type { Observed, ObservedEvent, Scenario } from './index.ts';
import { faultTarget, scenarioFaults } from './index.ts';

export interface StampedEvent {
  /** When the line arrived, ms on any monotonic clock. */
  tMs: number;
  event: Record<string, unknown>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function observeSimRun(scenario: Scenario, boards: readonly string[], stamped: readonly StampedEvent[], summary: Summary): Observed {
  const events: ObservedEvent[] = [];
  let faultAtMs = Number.POSITIVE_INFINITY;
  let target = faultTarget(scenarioFaults(scenario, boards)[0]!);
  let lastActive: string | null | undefined;
  let lastMembers: string | undefined;
  const votesSeen = new Set<number>();
  let activeAtFault: string | null = null;

  for (const { tMs, event: e } of stamped) {
    const kind = str(e.kind);
    if (kind === 'fault' && !Number.isFinite(faultAtMs)) {
      faultAtMs = tMs;
      activeAtFault = lastActive ?? null;
      const m = /^kill:(\w+)$/.exec(str(e.spec) ?? '');
      if (m) target = m[1]!;
    } else if (kind === 'boot' && typeof e.boot === 'number' && e.boot > 1 && str(e.board)) {
      events.push({ kind: 'reset', board: str(e.board)!, reason: str(e.reason), atMs: tMs });
    } else if (kind === 'status' && e.role === 'member') {
      const active = str(e.active);
      if (active !== lastActive) {
        lastActive = active;
        events.push({ kind: 'active', board: active, atMs: tMs });
      }
      const members = strList(e.members);
      const key = [...members].sort().join(',');
      if (key !== lastMembers) {
        lastMembers = key;
        events.push({ kind: 'members', members, atMs: tMs });
      }
      const v = e.lastVote as { cycle?: unknown; dissent?: unknown } | null | undefined;
      if (v && typeof v.cycle === 'number' && !votesSeen.has(v.cycle)) {
        votesSeen.add(v.cycle);
        events.push({ kind: 'vote', cycle: v.cycle, dissent: strList(v.dissent), atMs: tMs });
      }
    }
  }
  if (target === 'active') target = activeAtFault;
  const endMs = stamped.length > 0 ? stamped[stamped.length - 1]!.tMs : 0;
  return {
    boards,
    target,
    faultAtMs: Number.isFinite(faultAtMs) ? faultAtMs : endMs,
    endMs,
    lostCycles: summary.lostCycles,
    wrongOutputs: summary.wrongOutputs,
    dualDriven: summary.dualDriven,
    events,
  };
}
