/**
 * Hardware-in-the-loop runner (ring 3): runs the shared scenarios (index.ts) on a real rig
 * through each board's serial console, and judges them with the same `checkOutcome`.
 *
 * Setup (hw/HIL.md): FTC_HIL_RIG names the rig file (hw/rigs/lab.yaml); FTC_HIL_CONSOLES maps
 * each board to the host device its console is cabled to (b1=/dev/ttyUSB0,b2=...); the console
 * password, if the board configs set one, comes from FTC_HIL_PASSWORD.
 *
 * One scenario:
 * 1. preflight: `status --json` on every board; all must answer, one board active;
 * 2. a first observation round (the state before the fault);
 * 3. the fault, now (the spec's @time is the simulator's and is ignored here):
 *    - `inject <spec>` on the target board's console (a link fault: on its first board). A board
 *      whose config does not set console.allowInject refuses: the result says so ('refused');
 *    - faults the board answers it cannot make itself (psu, nic, cut: a real board injects only
 *      flip and stall) and kill / restart / hang are physical actions: for kill, a peer is first
 *      asked to `fence` the target (its reset line); then FTC_HIL_ACTION_CMD is run if set (with
 *      FTC_HIL_ACTION, FTC_HIL_BOARD, FTC_HIL_ADDRESS, FTC_HIL_FOR_MS, FTC_HIL_SPEC in its
 *      environment), else the operator is told what to do and the runner watches for the effect;
 * 4. observation rounds every pollMs for the scenario's budget: `status --json` from every board,
 *    `votes --json` from one member (enough votes to cover the time since the last read), and
 *    `log --json` from every board at the end;
 * 5. the verdict (checkOutcome) and the boards' last log lines, for the report.
 *
 * What real boards cannot show is measured by proxy or left unverified, never assumed:
 * - lost cycles: cycles missing from, or without a majority in, the union of the boards' vote
 *   histories over the window (null if the histories do not cover it: poll faster);
 * - dual drive: observation rounds, two in a row, in which two boards both say they are active;
 * - wrong outputs: not observable from the consoles (the plant's record exists only in `ftc sim`).
 */
import { execFile } from 'node:child_process';
import { loadRig } from '../config/rig.ts';
import type { LogEvent, StatusInfo, VoteInfo } from '../console/backend.ts';
import { openSerialLink } from '../adapters/real/serial.ts';
import { formatFaultSpec, type FaultSpec } from '../rig/faultspec.ts';
import { ConsoleDriver, ConsoleError, type ActionAnswer } from './console-driver.ts';
import { checkOutcome, faultTarget, scenarioFaults, type HilAction, type Observed, type ObservedEvent, type Outcome, type Scenario } from './index.ts';

export const HIL_POLL_MS_DEFAULT = 500;
export const HIL_BAUD_DEFAULT = 115_200;
/** Most votes asked in one round (the console's own limit is 100). */
const VOTES_PER_POLL_MAX = 100;
const LOG_LINES_AT_END = 20;
const ACTION_CMD_TIMEOUT_MS = 30_000;
const ACTION_OUTPUT_CHARS_MAX = 2000;

export class HilSetupError extends Error {
  override name = 'HilSetupError';
}

export interface HilBoard {
  id: string;
  /** Host device of the board's console (a USB serial adapter to its console UART). */
  console: string;
  address: string | null;
}

export interface HilSetup {
  rigPath: string;
  rigName: string;
  boards: HilBoard[];
  baudRate: number;
  password: string | null;
  /** Shell command for power/process actions; null = ask the operator. */
  actionCmd: string | null;
  pollMs: number;
}

/** "b1=/dev/ttyUSB0,b2=/dev/ttyUSB1" -> map; every board once, paths absolute. */
export function parseConsoleMap(text: string, boards: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const m = /^([A-Za-z0-9_-]+)=(\/\S+)$/.exec(part);
    if (!m) throw new HilSetupError(`FTC_HIL_CONSOLES: "${part}" is not <board>=<device path>; write e.g. b1=/dev/ttyUSB0,b2=/dev/ttyUSB1,b3=/dev/ttyUSB2`);
    const [, board, path] = m as unknown as [string, string, string];
    if (!boards.includes(board)) throw new HilSetupError(`FTC_HIL_CONSOLES: unknown board "${board}" (the rig has ${boards.join(', ')})`);
    if (map.has(board)) throw new HilSetupError(`FTC_HIL_CONSOLES: ${board} is listed twice`);
    map.set(board, path);
  }
  const missing = boards.filter((b) => !map.has(b));
  if (missing.length > 0) throw new HilSetupError(`FTC_HIL_CONSOLES: no console for ${missing.join(', ')}; write e.g. ${boards.map((b, i) => `${b}=/dev/ttyUSB${i}`).join(',')}`);
  return map;
}

/** The HIL setup from the environment; throws HilSetupError naming the variable and the fix. */
export function hilSetupFromEnv(env: NodeJS.ProcessEnv = process.env): HilSetup {
  const rigPath = env.FTC_HIL_RIG;
  if (!rigPath) throw new HilSetupError('FTC_HIL_RIG is not set: the hardware-in-the-loop suite needs a rig file, see hw/HIL.md');
  const rig = loadRig(rigPath);
  if (!rig.ok) throw new HilSetupError(`FTC_HIL_RIG=${rigPath}: the rig file is not valid:\n  ${rig.errors.join('\n  ')}`);
  const ids = rig.rig.boards.map((b) => b.id);
  if (!env.FTC_HIL_CONSOLES) {
    throw new HilSetupError(`FTC_HIL_CONSOLES is not set: name each board's console device, e.g. FTC_HIL_CONSOLES=${ids.map((b, i) => `${b}=/dev/ttyUSB${i}`).join(',')} (hw/HIL.md)`);
  }
  const consoles = parseConsoleMap(env.FTC_HIL_CONSOLES, ids);
  const baudRate = env.FTC_HIL_BAUD === undefined ? HIL_BAUD_DEFAULT : Number(env.FTC_HIL_BAUD);
  if (!Number.isInteger(baudRate) || baudRate < 1200 || baudRate > 4_000_000) throw new HilSetupError(`FTC_HIL_BAUD=${env.FTC_HIL_BAUD}: not a baud rate; use e.g. 115200`);
  const pollMs = env.FTC_HIL_POLL_MS === undefined ? HIL_POLL_MS_DEFAULT : Number(env.FTC_HIL_POLL_MS);
  if (!Number.isInteger(pollMs) || pollMs < 100 || pollMs > 10_000) throw new HilSetupError(`FTC_HIL_POLL_MS=${env.FTC_HIL_POLL_MS}: use 100 to 10000 (ms between observation rounds)`);
  return {
    rigPath,
    rigName: rig.rig.name,
    boards: rig.rig.boards.map((b) => ({ id: b.id, console: consoles.get(b.id)!, address: b.address })),
    baudRate,
    password: env.FTC_HIL_PASSWORD ?? null,
    actionCmd: env.FTC_HIL_ACTION_CMD ?? null,
    pollMs,
  };
}

/** Opens every board's console and checks (by its prompt) that each is the board it should be. */
export async function openHilConsoles(setup: HilSetup): Promise<Map<string, ConsoleDriver>> {
  const out = new Map<string, ConsoleDriver>();
  try {
    for (const b of setup.boards) {
      const link = await openSerialLink({ path: b.console, baudRate: setup.baudRate });
      const d = new ConsoleDriver({ link, board: b.id, password: setup.password });
      out.set(b.id, d);
      await d.sync();
    }
  } catch (e) {
    await Promise.all([...out.values()].map((d) => d.close()));
    throw e;
  }
  return out;
}

/** The console operations the runner needs (ConsoleDriver has them). */
export interface HilConsole {
  json<T>(command: string): Promise<T>;
  act(line: string): Promise<ActionAnswer>;
}

export interface ActionRequest {
  action: HilAction['action'];
  /** The board acted on (a link: its first end). */
  board: string;
  address: string | null;
  forMs: number | null;
  /** The fault, as text (times from now). */
  spec: string;
  /** What the operator must do, filled in. */
  instruction: string;
}

export interface HilRunOptions {
  scenario: Scenario;
  boards: readonly string[];
  consoles: ReadonlyMap<string, HilConsole>;
  addresses?: ReadonlyMap<string, string>;
  /** Power/process action; default: run FTC_HIL_ACTION_CMD if `actionCmd`, else tell the operator via `log`. */
  performAction?: (r: ActionRequest) => Promise<void>;
  actionCmd?: string | null;
  log?: (line: string) => void;
  pollMs?: number;
  /** Observation time after the fault; default the scenario's budget. */
  budgetMs?: number;
  nowMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type HilStatus = 'pass' | 'fail' | 'refused' | 'setup';

export interface HilResult {
  scenario: string;
  status: HilStatus;
  /** null when the fault was never applied (refused, setup). */
  outcome: Outcome | null;
  observed: Observed | null;
  /** What happened, in order, for the test log. */
  messages: string[];
  /** The last events of each board's log at the end. */
  logs: Record<string, LogEvent[]>;
}

/** The instruction with {board} {address} {forMs} {forS} and the spec's own fields filled in. */
export function fillInstruction(text: string, spec: FaultSpec, board: string, address: string | null): string {
  const forMs = 'forMs' in spec && spec.forMs !== null ? spec.forMs : null;
  const fields: Record<string, string> = {
    board, address: address ?? board, forMs: forMs === null ? 'the rest of the run' : String(forMs), forS: forMs === null ? 'the rest of the run' : String(forMs / 1000),
    supply: 'supply' in spec ? spec.supply.toUpperCase() : '', iface: 'iface' in spec ? spec.iface : '', a: 'a' in spec ? spec.a : '', b: 'b' in spec ? spec.b : '',
  };
  return text.replace(/\{(\w+)\}/g, (m, k: string) => fields[k] ?? m);
}

/** Runs `cmd` with the request in its environment; rejects with its output on a non-zero exit. */
export function runActionCommand(cmd: string, r: ActionRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', cmd], {
      timeout: ACTION_CMD_TIMEOUT_MS,
      env: { ...process.env, FTC_HIL_ACTION: r.action, FTC_HIL_BOARD: r.board, FTC_HIL_ADDRESS: r.address ?? '', FTC_HIL_FOR_MS: String(r.forMs ?? ''), FTC_HIL_SPEC: r.spec },
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`FTC_HIL_ACTION_CMD failed for ${r.action} ${r.board}: ${err.message}; output: ${(stdout + stderr).slice(-ACTION_OUTPUT_CHARS_MAX)}`));
      else resolve();
    });
  });
}

interface Round {
  atMs: number;
  status: Map<string, StatusInfo>;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function runHilScenario(o: HilRunOptions): Promise<HilResult> {
  const { scenario, boards } = o;
  const now = o.nowMs ?? (() => performance.now());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = o.pollMs ?? HIL_POLL_MS_DEFAULT;
  const budgetMs = o.budgetMs ?? scenario.budgetMs;
  const messages: string[] = [];
  const say = (m: string) => {
    messages.push(m);
    o.log?.(m);
  };
  const result = (status: HilStatus, outcome: Outcome | null, observed: Observed | null, logs: Record<string, LogEvent[]> = {}): HilResult =>
    ({ scenario: scenario.id, status, outcome, observed, messages, logs });
  const consoleOf = (b: string): HilConsole => {
    const c = o.consoles.get(b);
    if (!c) throw new HilSetupError(`no console for ${b}`);
    return c;
  };

  // ---- observation state
  const events: ObservedEvent[] = [];
  const lastBoot = new Map<string, number>();
  let lastActive: string | null | undefined;
  let lastMembersKey: string | undefined;
  let dualRounds = 0;
  let dualDriven = 0;
  const votes = new Map<number, VoteInfo>();
  const dissentSeen = new Set<number>();

  let votesReadAtMs: number | null = null;
  const round = async (): Promise<Round> => {
    const atMs = now();
    const status = new Map<string, StatusInfo>();
    for (const b of boards) {
      try {
        status.set(b, await consoleOf(b).json<StatusInfo>('status'));
      } catch {
        // A board that does not answer is down, rebooting or hung: that is what we observe.
      }
    }
    // Votes from one member board per round (the active one first), enough to cover the time
    // since the last read: a serial console at 115200 Bd moves ~11 kB/s and a vote is ~150 B.
    const rateHz = Math.max(...[...status.values()].map((s) => s.rateHz), 1);
    const wanted = votesReadAtMs === null ? VOTES_PER_POLL_MAX : Math.ceil(((atMs - votesReadAtMs) * rateHz) / 1000 * 1.5) + 10;
    const n = Math.min(VOTES_PER_POLL_MAX, wanted);
    const sources = [...status.entries()].sort(([, a], [, b]) => (a.role === 'active' ? 0 : 1) - (b.role === 'active' ? 0 : 1)).map(([b]) => b);
    for (const b of sources) {
      try {
        for (const v of await consoleOf(b).json<VoteInfo[]>(`votes ${n}`)) {
          if (!votes.has(v.cycle) || votes.get(v.cycle)!.outcome === 'none') votes.set(v.cycle, v);
          if (v.dissent.length > 0 && !dissentSeen.has(v.cycle)) {
            dissentSeen.add(v.cycle);
            events.push({ kind: 'vote', cycle: v.cycle, dissent: v.dissent, atMs });
          }
        }
        votesReadAtMs = atMs;
        break;
      } catch {
        /* try the next board */
      }
    }
    for (const [b, s] of status) {
      const before = lastBoot.get(b);
      if (before !== undefined && s.boot > before) events.push({ kind: 'reset', board: b, reason: s.bootReason, atMs });
      lastBoot.set(b, s.boot);
    }
    const members = [...status.values()].filter((s) => s.role !== 'down' && s.role !== 'joining' && s.role !== 'service' && s.role !== 'fenced');
    const majority = <T>(xs: T[]): T | undefined => {
      const counts = new Map<string, { v: T; n: number }>();
      for (const x of xs) {
        const k = JSON.stringify(x);
        counts.set(k, { v: x, n: (counts.get(k)?.n ?? 0) + 1 });
      }
      return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.v;
    };
    const active = majority(members.map((s) => s.activeBoard));
    if (active !== undefined && active !== lastActive) {
      lastActive = active;
      events.push({ kind: 'active', board: active, atMs });
    }
    const set = majority(members.map((s) => [...s.members].sort()));
    if (set !== undefined && set.join(',') !== lastMembersKey) {
      lastMembersKey = set.join(',');
      events.push({ kind: 'members', members: set, atMs });
    }
    const claiming = [...status.values()].filter((s) => s.role === 'active').length;
    dualRounds = claiming > 1 ? dualRounds + 1 : 0;
    if (dualRounds === 2) dualDriven++;
    return { atMs, status };
  };

  // ---- 1. preflight
  const first = await round();
  const silent = boards.filter((b) => !first.status.has(b));
  if (silent.length > 0) {
    say(`preflight: ${silent.join(', ')} did not answer "status --json" on the console: check the cable, the mapping (FTC_HIL_CONSOLES) and that ftc runs there`);
    return result('setup', null, null);
  }
  const actives = boards.filter((b) => first.status.get(b)!.role === 'active');
  if (actives.length !== 1) {
    say(`preflight: expected one active board, found ${actives.length === 0 ? 'none' : actives.join(', ')}: let the rig settle (ftc status on each console)`);
    return result('setup', null, null);
  }
  say(`preflight: ${boards.map((b) => `${b} ${first.status.get(b)!.role} boot ${first.status.get(b)!.boot}`).join(', ')}`);

  // ---- 2. the state before the fault
  await sleep(pollMs);
  const before = await round();
  const cyclesBefore = [...before.status.values()].map((s) => s.cycle);
  const cycleAtFault = cyclesBefore.length > 0 ? Math.max(...cyclesBefore) : null;

  // ---- 3. the fault
  const spec0 = scenarioFaults(scenario, boards)[0]!;
  const targetRef = faultTarget(spec0);
  const target = targetRef === 'active' ? (lastActive ?? actives[0]!) : targetRef;
  const spec: FaultSpec = { ...spec0, atMs: 0, ...('board' in spec0 && target !== null ? { board: target } : {}) } as FaultSpec;
  const specText = formatFaultSpec(spec);
  const faultAtMs = now();
  const addressOf = (b: string) => o.addresses?.get(b) ?? null;
  /** FTC_HIL_ACTION_CMD, a test's performAction, or the operator. False: the run cannot go on. */
  const perform = async (a: HilAction, board: string): Promise<boolean> => {
    const request: ActionRequest = {
      action: a.action, board, address: addressOf(board), forMs: 'forMs' in spec ? spec.forMs : null, spec: specText,
      instruction: fillInstruction(a.instruction, spec, board, addressOf(board)),
    };
    if (o.performAction) await o.performAction(request);
    else if (o.actionCmd) {
      try {
        await runActionCommand(o.actionCmd, request);
        say(`FTC_HIL_ACTION_CMD ran: ${a.action} ${board}`);
      } catch (e) {
        say(errText(e));
        return false;
      }
    } else say(`OPERATOR, now: ${request.instruction}; watching for ${budgetMs / 1000} s`);
    return true;
  };
  const on = target ?? boards[0]!;
  if (scenario.hil.via === 'inject') {
    let answer: ActionAnswer;
    try {
      answer = await consoleOf(on).act(`inject ${specText}`);
    } catch (e) {
      say(`inject ${specText} on ${on}: ${errText(e)}`);
      return result(e instanceof ConsoleError && e.code === 'password' ? 'refused' : 'setup', null, null);
    }
    if (answer.status === 'ok') say(`${on}: inject ${specText}: ${answer.message}`);
    else if (answer.status === 'refused' && scenario.hil.otherwise) {
      // The board cannot make this fault itself (a supply, a cable): a person or a script can.
      say(`${on} cannot inject ${specText} itself (${answer.message}); doing it physically`);
      if (!(await perform(scenario.hil.otherwise, on))) return result('setup', null, null);
    } else {
      const hint = /disabled|allowInject/.test(answer.message)
        ? `; the lab rig needs console.allowInject: true in ${on}'s board config (hw/HIL.md)`
        : '';
      say(`${on} refused "inject ${specText}": ${answer.message}${hint}`);
      return result('refused', null, null);
    }
  } else {
    const a = scenario.hil.action;
    let done = false;
    if (a.action === 'kill') {
      // A crash seen from outside is a board that stops: its reset line, pulled by a peer, is that.
      const peer = boards.find((b) => b !== on && first.status.has(b));
      if (peer) {
        try {
          const answer = await consoleOf(peer).act(`fence ${on}`);
          say(`${peer}: fence ${on}: ${answer.status}: ${answer.message}`);
          done = answer.status === 'ok';
        } catch (e) {
          say(`${peer}: fence ${on}: ${errText(e)}`);
        }
      }
    }
    if (!done && !(await perform(a, on))) return result('setup', null, null);
  }

  // ---- 4. observe
  while (now() - faultAtMs < budgetMs) {
    await sleep(Math.min(pollMs, Math.max(0, budgetMs - (now() - faultAtMs))));
    await round();
  }
  const endMs = now();

  // Lost cycles: from the cycle reached before the fault to the last voted one, cycles with no
  // majority vote in any board's history. Votes before the window only tell where coverage starts.
  let lostCycles: number | null = null;
  const cycles = [...votes.keys()].filter((c) => cycleAtFault !== null && c >= cycleAtFault).sort((a, b) => a - b);
  if (cycles.length > 0) {
    const minKnown = Math.min(...votes.keys());
    if (cycleAtFault !== null && minKnown <= cycleAtFault) {
      let lost = 0;
      for (let c = cycles[0]!; c <= cycles.at(-1)!; c++) {
        const v = votes.get(c);
        if (!v || v.outcome === 'none' || v.outcome === 'split') lost++;
      }
      lostCycles = lost;
    } else say(`lost cycles not measured: the vote histories start after the fault (poll faster than ${pollMs} ms)`);
  } else say('lost cycles not measured: no board reported votes after the fault');

  // ---- 5. logs and verdict
  const logs: Record<string, LogEvent[]> = {};
  for (const b of boards) {
    try {
      logs[b] = await consoleOf(b).json<LogEvent[]>(`log ${LOG_LINES_AT_END}`);
    } catch (e) {
      say(`${b}: log not read: ${errText(e)}`);
    }
  }
  const observed: Observed = { boards, target, faultAtMs, endMs, lostCycles, wrongOutputs: null, dualDriven, events };
  const outcome = checkOutcome(scenario, observed);
  return result(outcome.pass ? 'pass' : 'fail', outcome, observed, logs);
}
