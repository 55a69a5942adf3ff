/**
 * The fault scenarios shared by the simulator's end-to-end suite (test/e2e/sim-faults.e2e.ts) and
 * the hardware-in-the-loop suite (test/hil, src/scenarios/hil.ts). Pure: data plus one checker,
 * no I/O, no timers, no `node:` imports.
 *
 * A scenario is a story (its title is a test title), one or more fault specs in the syntax of
 * `ftc sim --fault` (src/rig/faultspec.ts), the checks that say it went well, and a time budget.
 * Whoever runs it (the simulator, or real boards driven over their consoles) turns what it saw
 * into an `Observed` and asks `checkOutcome` for a verdict. A check the runner could not observe
 * (e.g. wrong outputs without the plant's record, on real boards) is "unverified", never passed.
 */
import { parseFaultSpec, type FaultKind, type FaultSpec } from '../rig/faultspec.ts';

/**
 * A physical or process action for the HIL runner: run FTC_HIL_ACTION_CMD if set, else tell the
 * operator. `instruction` may use {board} {address} {forMs} {forS} {supply} {iface} {a} {b}.
 */
export interface HilAction {
  action: 'kill' | 'restart' | 'hang' | 'psu' | 'nic' | 'cut';
  instruction: string;
}

/** How a runner without the simulator's process control applies the fault on real boards. */
export type HilMethod =
  /**
   * `inject <spec>` on a board's console (the board config must set console.allowInject). If the
   * board answers that it cannot make this fault itself, `otherwise` is done instead (if given).
   */
  | { via: 'inject'; otherwise?: HilAction }
  /**
   * A power/process action a console cannot do on itself. For kill the runner first asks a peer
   * to `fence` the target (its reset line).
   */
  | { via: 'action'; action: HilAction };

export type Check =
  /** Every cycle had an output (sim: the plant's trace; HIL: no cycle without a majority vote). */
  | { kind: 'noLostCycle' }
  /** No output differed from the fault-free reference run of the same seed. */
  | { kind: 'noWrongOutput' }
  /** No cycle was driven by two boards (sim: the plant saw two; HIL: two boards said "active"). */
  | { kind: 'noDualDrive' }
  /** The target board rebooted (boot count went up) within withinMs of the fault; if `reason` is given, the reported reason starts with it. */
  | { kind: 'reset'; reason?: string; withinMs: number }
  /** The active role left the target board within withinMs (failover or handover). */
  | { kind: 'activeMoves'; withinMs: number }
  /** The target left the voting set (or reset), then was back in it within withinMs of the fault. */
  | { kind: 'rejoin'; withinMs: number }
  /** The target's wrong state was outvoted: a vote with it dissenting, or it left the set, within withinMs. */
  | { kind: 'outvoted'; withinMs: number }
  /** The voting set never changed after the fault: a redundant path absorbed it. */
  | { kind: 'membersStable' }
  /** All boards of the rig were in the voting set at the end of the observation. */
  | { kind: 'allMembersAtEnd' };

export type CheckKind = Check['kind'];

export interface Scenario {
  /** Short stable name: `npm run test:hil -- --match '*psu*'`, FTC_HIL_ONLY=psu. */
  id: string;
  /** The story, a sentence: used as the test title. */
  title: string;
  /** Fault specs, times from the start of the run (sim) or from the end of the settle time (HIL). */
  faults: readonly string[];
  checks: readonly Check[];
  /** How long after the fault the runner observes before judging; every `withinMs` fits in it. */
  budgetMs: number;
  hil: HilMethod;
}

const SAFE: readonly Check[] = [{ kind: 'noLostCycle' }, { kind: 'noWrongOutput' }, { kind: 'noDualDrive' }];

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'kill-active',
    title: 'the active board is killed (kill -9) and the next board drives the same cycle',
    faults: ['kill:active@4s'],
    checks: [...SAFE, { kind: 'activeMoves', withinMs: 1000 }, { kind: 'rejoin', withinMs: 15_000 }],
    budgetMs: 20_000,
    hil: { via: 'action', action: { action: 'kill', instruction: 'kill the ftc process of {board} with SIGKILL (ssh {address} sudo systemctl kill -s KILL ftc), or pull its power and plug it back after 2 s' } },
  },
  {
    id: 'hang',
    title: 'a board is frozen with SIGSTOP for half a second and the others carry on',
    faults: ['hang:b2@4s+500ms'],
    checks: [...SAFE, { kind: 'allMembersAtEnd' }],
    budgetMs: 15_000,
    hil: { via: 'action', action: { action: 'hang', instruction: 'freeze the ftc process of {board} for {forMs} ms (ssh {address} "sudo systemctl kill -s STOP ftc; sleep {forS}; sudo systemctl kill -s CONT ftc")' } },
  },
  {
    id: 'stall',
    title: "a board's event loop stalls for 2 s: its watchdog resets it and the others carry on",
    faults: ['stall:b3@4s+2s'],
    checks: [...SAFE, { kind: 'reset', reason: 'watchdog', withinMs: 5000 }, { kind: 'allMembersAtEnd' }],
    budgetMs: 20_000,
    hil: { via: 'inject' },
  },
  {
    id: 'flip',
    title: "one bit of a board's workload state flips and is outvoted",
    faults: ['flip:b3@4s'],
    checks: [...SAFE, { kind: 'outvoted', withinMs: 2000 }],
    budgetMs: 10_000,
    hil: { via: 'inject' },
  },
  {
    id: 'cut-serial',
    title: 'the serial cable between b1 and b2 is cut for 3 s and nothing changes',
    faults: ['cut:b1-b2/serial@3s+3s'],
    checks: [...SAFE, { kind: 'membersStable' }],
    budgetMs: 8000,
    hil: { via: 'inject', otherwise: { action: 'cut', instruction: 'unplug the serial cable between {a} and {b} for {forS} s, then plug it back' } },
  },
  {
    id: 'corrupt-serial',
    title: 'the serial line between b1 and b3 corrupts one bit in a thousand',
    faults: ['corrupt:b1-b3/serial:1e-3@3s+4s'],
    checks: [...SAFE, { kind: 'membersStable' }],
    budgetMs: 8000,
    hil: { via: 'inject' },
  },
  {
    id: 'psu',
    title: 'the active board loses one PSU and hands its role away',
    faults: ['psu:active:a@4s'],
    checks: [...SAFE, { kind: 'activeMoves', withinMs: 3000 }],
    budgetMs: 15_000,
    hil: { via: 'inject', otherwise: { action: 'psu', instruction: 'switch off supply {supply} of {board} (the board must stay up on the other one), switch it back on after the run' } },
  },
  {
    id: 'nic',
    title: 'a NIC slave of b3 goes down',
    faults: ['nic:b3:eth0@4s'],
    checks: [...SAFE, { kind: 'membersStable' }],
    budgetMs: 10_000,
    hil: { via: 'inject', otherwise: { action: 'nic', instruction: 'unplug the Ethernet cable of {iface} on {board}, plug it back after the run' } },
  },
  {
    id: 'restart',
    title: 'b2 is restarted and reintegrated',
    faults: ['restart:b2@4s'],
    checks: [...SAFE, { kind: 'reset', withinMs: 5000 }, { kind: 'rejoin', withinMs: 15_000 }],
    budgetMs: 20_000,
    hil: { via: 'action', action: { action: 'restart', instruction: 'restart ftc on {board} (ssh {address} sudo systemctl restart ftc)' } },
  },
];

export function scenarioById(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new RangeError(`no scenario "${id}"; scenarios are ${SCENARIOS.map((x) => x.id).join(', ')}`);
  return s;
}

/** The scenario's first fault, parsed (every scenario has one; several only for combined stories). */
export function scenarioFaults(s: Scenario, boards?: readonly string[]): FaultSpec[] {
  return s.faults.map((f) => parseFaultSpec(f, boards ? { boards } : {}));
}

/** The board a one-board fault targets (`active` stays `active`: the runner resolves it), or for a link its first end. */
export function faultTarget(f: FaultSpec): string | null {
  if ('board' in f) return f.board;
  if ('a' in f) return f.a;
  return null;
}

export const FAULT_KINDS_NEEDING_ACTION: ReadonlySet<FaultKind> = new Set(['kill', 'restart', 'hang']);

// ---------------------------------------------------------------------------------------------
// Observations and the verdict

export type ObservedEvent =
  /** The board rebooted (its boot count went up); reason as the board reports it. */
  | { kind: 'reset'; board: string; reason: string | null; atMs: number }
  /** The active board as seen from then on (emitted on change). */
  | { kind: 'active'; board: string | null; atMs: number }
  /** The voting set as seen from then on (emitted on change). */
  | { kind: 'members'; members: readonly string[]; atMs: number }
  /** A vote; `dissent` names boards outvoted in it. */
  | { kind: 'vote'; cycle: number; dissent: readonly string[]; atMs: number };

export interface Observed {
  /** Boards of the rig. */
  boards: readonly string[];
  /** The board the fault hit, `active` resolved; null if unknown. */
  target: string | null;
  /** When the fault fired, on the clock of `atMs` and `endMs`. */
  faultAtMs: number;
  /** When observation ended. */
  endMs: number;
  /** Counts from the plant's record or the runner's proxy; null = not measurable by this runner. */
  lostCycles: number | null;
  wrongOutputs: number | null;
  dualDriven: number | null;
  events: readonly ObservedEvent[];
}

export type CheckStatus = 'pass' | 'fail' | 'unverified';

export interface CheckResult {
  check: CheckKind;
  status: CheckStatus;
  /** One sentence: what was seen. */
  reason: string;
}

export interface Outcome {
  /** No check failed. Unverified checks do not fail a run, but are listed. */
  pass: boolean;
  results: CheckResult[];
  /** The reasons of the failed checks. */
  failures: string[];
  unverified: string[];
}

const secs = (ms: number) => `${Math.round(ms) / 1000} s`;

/** Judge one run. Pure: the same observations always give the same verdict. */
export function checkOutcome(scenario: Scenario, o: Observed): Outcome {
  const results = scenario.checks.map((c) => judge(c, o));
  return {
    pass: results.every((r) => r.status !== 'fail'),
    results,
    failures: results.filter((r) => r.status === 'fail').map((r) => `${r.check}: ${r.reason}`),
    unverified: results.filter((r) => r.status === 'unverified').map((r) => `${r.check}: ${r.reason}`),
  };
}

function judge(c: Check, o: Observed): CheckResult {
  const r = (status: CheckStatus, reason: string): CheckResult => ({ check: c.kind, status, reason });
  const after = o.events.filter((e) => e.atMs >= o.faultAtMs);
  const since = (e: { atMs: number }) => secs(e.atMs - o.faultAtMs);
  const count = (n: number | null, what: string) =>
    n === null ? r('unverified', `${what} cannot be measured by this runner`) : n === 0 ? r('pass', `no ${what}`) : r('fail', `${n} ${what}`);
  const needTarget = (): string | null => o.target;
  const membersEvents = o.events.filter((e): e is Extract<ObservedEvent, { kind: 'members' }> => e.kind === 'members');

  switch (c.kind) {
    case 'noLostCycle':
      return count(o.lostCycles, 'lost cycle(s)');
    case 'noWrongOutput':
      return count(o.wrongOutputs, 'wrong output(s)');
    case 'noDualDrive':
      return count(o.dualDriven, 'dual-driven cycle(s)');
    case 'reset': {
      const t = needTarget();
      if (t === null) return r('unverified', 'the target board is unknown');
      const resets = after.filter((e): e is Extract<ObservedEvent, { kind: 'reset' }> => e.kind === 'reset' && e.board === t);
      const inTime = resets.filter((e) => e.atMs - o.faultAtMs <= c.withinMs);
      const good = inTime.find((e) => c.reason === undefined || (e.reason ?? '').startsWith(c.reason));
      if (good) return r('pass', `${t} reset (${good.reason ?? 'reason unknown'}) ${since(good)} after the fault`);
      if (inTime.length > 0) return r('fail', `${t} reset for "${inTime[0]!.reason ?? 'unknown'}", expected "${c.reason}"`);
      if (resets.length > 0) return r('fail', `${t} reset only ${since(resets[0]!)} after the fault, later than ${secs(c.withinMs)}`);
      return r('fail', `${t} did not reset within ${secs(c.withinMs)}`);
    }
    case 'activeMoves': {
      const t = needTarget();
      if (t === null) return r('unverified', 'the target board is unknown');
      const actives = o.events.filter((e): e is Extract<ObservedEvent, { kind: 'active' }> => e.kind === 'active');
      if (actives.length === 0) return r('unverified', 'the active board was never observed');
      const before = actives.filter((e) => e.atMs < o.faultAtMs).at(-1);
      if (before && before.board !== t) return r('fail', `${t} was not active when the fault fired (${before.board ?? 'none'} was)`);
      const moved = actives.find((e) => e.atMs >= o.faultAtMs && e.board !== null && e.board !== t);
      if (moved && moved.atMs - o.faultAtMs <= c.withinMs) return r('pass', `${moved.board} took over ${since(moved)} after the fault`);
      if (moved) return r('fail', `${moved.board} took over only ${since(moved)} after the fault, later than ${secs(c.withinMs)}`);
      return r('fail', `the active role did not leave ${t} within ${secs(c.withinMs)}`);
    }
    case 'rejoin': {
      const t = needTarget();
      if (t === null) return r('unverified', 'the target board is unknown');
      // Left: a voting set without it, or a reset of it, after the fault.
      const left = after.find((e) => (e.kind === 'members' && !e.members.includes(t)) || (e.kind === 'reset' && e.board === t));
      if (!left) {
        return membersEvents.length === 0 && !after.some((e) => e.kind === 'reset')
          ? r('unverified', 'neither the voting set nor resets were observed')
          : r('fail', `${t} never left the voting set: did the fault take effect?`);
      }
      const back = after.find((e) => e.atMs >= left.atMs && e.kind === 'members' && e.members.includes(t));
      if (back && back.atMs - o.faultAtMs <= c.withinMs) return r('pass', `${t} left ${since(left)} and was back ${since(back)} after the fault`);
      if (back) return r('fail', `${t} was back only ${since(back)} after the fault, later than ${secs(c.withinMs)}`);
      return r('fail', `${t} left ${since(left)} after the fault and was not back within ${secs(c.withinMs)}`);
    }
    case 'outvoted': {
      const t = needTarget();
      if (t === null) return r('unverified', 'the target board is unknown');
      const inTime = after.filter((e) => e.atMs - o.faultAtMs <= c.withinMs);
      const vote = inTime.find((e) => e.kind === 'vote' && e.dissent.includes(t));
      if (vote) return r('pass', `${t} was outvoted ${since(vote)} after the fault`);
      const out = inTime.find((e) => e.kind === 'members' && !e.members.includes(t));
      if (out) return r('pass', `${t} was voted out of the set ${since(out)} after the fault`);
      if (!o.events.some((e) => e.kind === 'vote' || e.kind === 'members')) return r('unverified', 'no votes nor voting sets were observed');
      return r('fail', `no vote outvoted ${t} within ${secs(c.withinMs)}`);
    }
    case 'membersStable': {
      const before = membersEvents.filter((e) => e.atMs < o.faultAtMs).at(-1);
      if (!before) return r('unverified', 'the voting set was not observed before the fault');
      const key = (m: readonly string[]) => [...m].sort().join(',');
      const change = membersEvents.find((e) => e.atMs >= o.faultAtMs && key(e.members) !== key(before.members));
      if (change) return r('fail', `the voting set changed from ${key(before.members) || 'none'} to ${key(change.members) || 'none'} ${since(change)} after the fault`);
      return r('pass', `the voting set stayed ${key(before.members)}`);
    }
    case 'allMembersAtEnd': {
      const last = membersEvents.at(-1);
      if (!last) return r('unverified', 'the voting set was never observed');
      const missing = o.boards.filter((b) => !last.members.includes(b));
      if (missing.length > 0) return r('fail', `${missing.join(', ')} not in the voting set at the end (${secs(o.endMs - o.faultAtMs)} after the fault)`);
      return r('pass', `all of ${o.boards.join(', ')} in the voting set at the end`);
    }
  }
}

/** One line per check, for logs: "pass  reset: b3 reset (watchdog) 2.1 s after the fault". */
export function formatOutcome(outcome: Outcome): string[] {
  return outcome.results.map((x) => `${x.status.padEnd(10)} ${x.check}: ${x.reason}`);
}
