/**
 * Fault specifications for `ftc sim --fault SPEC` and the console's `inject SPEC` (pure: no I/O).
 *
 * Grammar (times from the start of the run, or from "now" for `inject`; `+D` = for how long):
 *
 *   kill:<board>@<t>                     SIGKILL the board's process (a real crash)
 *   hang:<board>@<t>[+<d>]               SIGSTOP, then SIGCONT after d (whole process frozen)
 *   stall:<board>@<t>[+<d>]              event loop kept busy inside the process for d
 *   flip:<board>@<t>                     flip one bit of the board's workload state
 *   restart:<board>@<t>                  orderly restart of the board's process
 *   cut:<a>-<b>/<medium>@<t>[+<d>]       drop everything on one link (medium: serial | udp)
 *   corrupt:<a>-<b>/<medium>:<ber>@<t>[+<d>]   flip bits at bit-error rate ber (0 < ber <= 1)
 *   partition:<g1>|<g2>[|...]@<t>[+<d>]  groups of boards (comma separated) that cannot talk
 *   psu:<board>:<supply>@<t>[+<d>]       one power supply input fails (supply: a | b)
 *   nic:<board>:<iface>@<t>[+<d>]        one network interface goes down
 *   sensor:<board>:<signal>[:nack|stuck]@<t>[+<d>]  one field sensor fails on that board (ftc sim --io):
 *                                        nack = the device stops answering (an I²C NACK, a GPIO
 *                                        line that reads low), stuck = it keeps its last reading
 *
 * <board> is b1..bN or `active` (or `primary`, the same board; resolved by the simulator when the fault fires) for faults on one
 * board; links and partitions name concrete boards. A missing `+d` means "until the end of the run".
 * Durations: 500ms, 2s, 1.5s, 1m, 1h (a unit is required: a bare "5" is ambiguous).
 */

export type BoardId = string;
/** A board, or the placeholder for whichever board is active when the fault fires. */
export type BoardRef = BoardId | 'active';
export type LinkMedium = 'serial' | 'udp';
export type PsuSupply = 'a' | 'b';

interface Timed {
  /** When the fault fires, ms from the start of the run (or from now, for console `inject`). */
  atMs: number;
}
interface Lasting extends Timed {
  /** How long the fault lasts, ms; null = until the end of the run. */
  forMs: number | null;
}

export type FaultSpec =
  | ({ kind: 'kill'; board: BoardRef } & Timed)
  | ({ kind: 'flip'; board: BoardRef } & Timed)
  | ({ kind: 'restart'; board: BoardRef } & Timed)
  | ({ kind: 'hang'; board: BoardRef } & Lasting)
  | ({ kind: 'stall'; board: BoardRef } & Lasting)
  | ({ kind: 'button'; board: BoardRef } & Lasting)
  | ({ kind: 'cut'; a: BoardId; b: BoardId; medium: LinkMedium } & Lasting)
  | ({ kind: 'corrupt'; a: BoardId; b: BoardId; medium: LinkMedium; bitErrorRate: number } & Lasting)
  | ({ kind: 'partition'; groups: BoardId[][] } & Lasting)
  | ({ kind: 'psu'; board: BoardRef; supply: PsuSupply } & Lasting)
  | ({ kind: 'nic'; board: BoardRef; iface: string } & Lasting)
  | ({ kind: 'temp'; board: BoardRef; celsius: number } & Lasting)
  | ({ kind: 'sensor'; board: BoardRef; signal: string; mode: SensorFaultMode } & Lasting);

export type SensorFaultMode = 'nack' | 'stuck';

export type FaultKind = FaultSpec['kind'];

export const FAULT_EXAMPLES: Readonly<Record<FaultKind, string>> = {
  kill: 'kill:b2@5s',
  hang: 'hang:b1@3s+500ms',
  stall: 'stall:b1@3s+2s',
  flip: 'flip:b3@4s',
  restart: 'restart:b2@8s',
  cut: 'cut:b1-b2/serial@2s+3s',
  corrupt: 'corrupt:b1-b2/serial:1e-3@2s+5s',
  partition: 'partition:b1|b2,b3@6s+2s',
  psu: 'psu:b2:a@3s',
  nic: 'nic:b3:eth0@3s',
  temp: 'temp:active:85@3s+5s',
  button: 'button:active@5s+200ms',
  sensor: 'sensor:b2:tempC:nack@3s+2s',
};

/** One line per kind, for --help. */
export const FAULT_DESCRIPTIONS: Readonly<Record<FaultKind, string>> = {
  kill: 'SIGKILL the board process (a real crash)',
  hang: 'freeze the whole process (SIGSTOP, SIGCONT after D)',
  stall: 'keep the event loop busy inside the process for D',
  flip: 'flip one bit of the workload state',
  restart: 'orderly restart of the board process',
  cut: 'drop everything on one link (serial or udp)',
  corrupt: 'flip bits on one link at a bit-error rate',
  partition: 'groups of boards that cannot talk to each other',
  psu: 'one power supply input (a or b) fails',
  nic: 'one network interface goes down',
  temp: 'the board\'s SoC reads this temperature in °C (80 or more: hot, it hands its work over)',
  button: 'hold the maintenance button for D (short press: hand the active role away; 3 s: out for service, or back)',
  sensor: 'one field sensor of a board fails (nack: stops answering; stuck: keeps its reading); needs --io',
};

const FAULT_KINDS = Object.keys(FAULT_EXAMPLES) as FaultKind[];
/** Faults that happen at an instant: a `+duration` makes no sense for them. */
const INSTANT_KINDS: ReadonlySet<FaultKind> = new Set(['kill', 'flip', 'restart']);

/** Longest accepted time or duration: a day. A bigger number is a typo, not a test plan. */
export const FAULT_TIME_MS_MAX = 24 * 3600 * 1000;
/** Longest accepted spec; the console line limit is larger, this keeps messages readable. */
export const FAULT_SPEC_CHARS_MAX = 200;
/** Linux IFNAMSIZ is 16 including the NUL (include/uapi/linux/if.h). */
const IFACE_CHARS_MAX = 15;

export class FaultSpecError extends Error {
  constructor(
    readonly spec: string,
    readonly problem: string,
    readonly example: string,
  ) {
    super(`bad fault spec "${spec}": ${problem}. Example: ${example}`);
    this.name = 'FaultSpecError';
  }
}

export interface FaultSpecOptions {
  /** Board names of the rig; default b1, b2, b3. */
  boards?: readonly BoardId[];
}

export const DEFAULT_BOARDS: readonly BoardId[] = ['b1', 'b2', 'b3'];

/** Error thrown by parseDurationMs; callers wrap it with their own context. */
export class DurationError extends Error {
  override name = 'DurationError';
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "500ms" | "2s" | "1.5s" | "1m" | "1h" -> milliseconds. Throws DurationError naming the text.
 * Results are rounded to the microsecond so "1.1s" is 1100, not 1100.0000000000002.
 */
export function parseDurationMs(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (!m) {
    const hint = /^\d+(\.\d+)?$/.test(text.trim()) ? ' (a unit is required)' : '';
    throw new DurationError(`"${text}" is not a duration${hint}; use e.g. 500ms, 2s, 1.5s or 1m`);
  }
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]!]! * 1000) / 1000;
  if (ms > FAULT_TIME_MS_MAX) throw new DurationError(`"${text}" is longer than the 24 h limit`);
  return ms;
}

/** Milliseconds -> the shortest of "500ms" / "2s" / "1.5s" / "2m" that parses back to the same value. */
export function formatDurationMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && Number.isInteger(ms / 100)) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Parse one spec; throws FaultSpecError (spec, what is wrong, an example of the right form). */
export function parseFaultSpec(spec: string, options: FaultSpecOptions = {}): FaultSpec {
  const boards = options.boards ?? DEFAULT_BOARDS;
  const text = spec.trim();
  const colon = text.indexOf(':');
  const kindText = colon < 0 ? text : text.slice(0, colon);
  const kind = FAULT_KINDS.find((k) => k === kindText);
  const fail = (problem: string, k: FaultKind | undefined = kind): never => {
    throw new FaultSpecError(spec, problem, k ? FAULT_EXAMPLES[k] : FAULT_EXAMPLES.kill);
  };
  if (text.length === 0) fail('it is empty; kinds are ' + FAULT_KINDS.join(', '));
  if (text.length > FAULT_SPEC_CHARS_MAX) fail(`it is longer than ${FAULT_SPEC_CHARS_MAX} characters`);
  if (!kind) {
    fail(`unknown fault kind "${kindText}"; kinds are ${FAULT_KINDS.join(', ')}`);
    throw new Error('unreachable');
  }
  if (colon < 0) fail(`"${kind}" needs a target after a colon`);

  const rest = text.slice(colon + 1);
  const at = rest.lastIndexOf('@');
  if (at < 0) fail('it has no "@time" (when the fault fires, from the start)');
  const target = rest.slice(0, at);
  const when = rest.slice(at + 1);
  const plus = when.indexOf('+');
  const atText = plus < 0 ? when : when.slice(0, plus);
  const forText = plus < 0 ? null : when.slice(plus + 1);

  const duration = (t: string, what: string): number => {
    try {
      return parseDurationMs(t);
    } catch (e) {
      return fail(`${what}: ${(e as Error).message}`);
    }
  };
  const atMs = duration(atText, 'time after "@"');
  let forMs: number | null = null;
  if (forText !== null) {
    if (INSTANT_KINDS.has(kind)) fail(`"${kind}" happens at an instant and takes no "+duration"`);
    forMs = duration(forText, 'duration after "+"');
    if (forMs <= 0) fail('the duration after "+" must be more than 0');
  }

  const board = (name: string, allowActive: boolean): BoardRef => {
    // `primary` and `holder`: the checkpoint and process classes' words for the active board.
    if (allowActive && (name === 'active' || name === 'primary' || name === 'holder')) return 'active';
    if (boards.includes(name)) return name;
    const choices = boards.join(', ') + (allowActive ? ' or active' : '');
    return fail(name === '' ? `a board is missing (${choices})` : `unknown board "${name}" (boards: ${choices})`);
  };
  const concrete = (name: string): BoardId => {
    if (name === 'active') fail('"active" is only allowed for faults on one board; name the boards of a link');
    return board(name, false);
  };
  const link = (linkText: string): { a: BoardId; b: BoardId; medium: LinkMedium } => {
    const m = /^([^-/]*)-([^/]*)\/(.*)$/.exec(linkText);
    if (!m) return fail(`"${linkText}" is not a link; write <board>-<board>/<serial|udp>`);
    const a = concrete(m[1]!);
    const b = concrete(m[2]!);
    if (a === b) fail(`a link joins two different boards, got "${a}-${b}"`);
    const medium = m[3];
    if (medium !== 'serial' && medium !== 'udp') return fail(`unknown link medium "${medium}" (serial or udp)`);
    // Canonical order so "b2-b1" and "b1-b2" name the same link.
    return boards.indexOf(a) < boards.indexOf(b) ? { a, b, medium } : { a: b, b: a, medium };
  };

  switch (kind) {
    case 'kill':
    case 'flip':
    case 'restart':
      return { kind, board: board(target, true), atMs };
    case 'hang':
    case 'stall':
    case 'button':
      return { kind, board: board(target, true), atMs, forMs };
    case 'cut':
      return { kind, ...link(target), atMs, forMs };
    case 'corrupt': {
      const c = target.lastIndexOf(':');
      if (c < 0) fail('it needs a bit-error rate after the link, e.g. ":1e-3"');
      const berText = target.slice(c + 1);
      const ber = Number(berText);
      if (berText === '' || !Number.isFinite(ber) || !(ber > 0 && ber <= 1)) {
        fail(`bit-error rate "${berText}" must be a number in (0, 1], e.g. 1e-3`);
      }
      return { kind, ...link(target.slice(0, c)), bitErrorRate: ber, atMs, forMs };
    }
    case 'partition': {
      const groups = target.split('|').map((g) => g.split(',').map((b) => concrete(b)));
      if (groups.length < 2) fail('a partition needs at least two groups separated by "|"');
      const seen = new Set<BoardId>();
      for (const b of groups.flat()) {
        if (seen.has(b)) fail(`board "${b}" is in more than one group`);
        seen.add(b);
      }
      const missing = boards.filter((b) => !seen.has(b));
      if (missing.length > 0) fail(`every board must be in a group; missing ${missing.join(', ')}`);
      return { kind, groups, atMs, forMs };
    }
    case 'psu': {
      const m = /^([^:]*):(.*)$/.exec(target);
      if (!m) return fail('write psu:<board>:<supply a|b>');
      const supply = m[2];
      if (supply !== 'a' && supply !== 'b') return fail(`unknown supply "${supply}" (a or b)`);
      return { kind, board: board(m[1]!, true), supply, atMs, forMs };
    }
    case 'nic': {
      const m = /^([^:]*):(.*)$/.exec(target);
      if (!m) return fail('write nic:<board>:<interface>');
      const iface = m[2]!;
      if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(iface) || iface.length > IFACE_CHARS_MAX) {
        fail(`"${iface}" is not an interface name (letters, digits, _ . -; at most ${IFACE_CHARS_MAX})`);
      }
      return { kind, board: board(m[1]!, true), iface, atMs, forMs };
    }
    case 'temp': {
      const m = /^([^:]*):(-?\d+(?:\.\d+)?)$/.exec(target);
      if (!m) return fail('write temp:<board>:<°C>, e.g. temp:b1:85');
      const celsius = Number(m[2]);
      if (celsius <= -40 || celsius >= 150) fail(`${celsius} °C is not a temperature a board's sensor reads (-40 to 150)`);
      return { kind, board: board(m[1]!, true), celsius, atMs, forMs };
    }
    case 'sensor': {
      const m = /^([^:]*):([^:]*)(?::(.*))?$/.exec(target);
      if (!m) return fail('write sensor:<board>:<signal>[:nack|stuck]');
      const signal = m[2]!;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(signal)) fail(`"${signal}" is not a signal name (the workload's input, e.g. tempC)`);
      const mode = m[3] ?? 'nack';
      if (mode !== 'nack' && mode !== 'stuck') return fail(`unknown sensor fault "${mode}" (nack or stuck)`);
      return { kind, board: board(m[1]!, true), signal, mode, atMs, forMs };
    }
  }
}

/** Parse several specs; throws the first FaultSpecError. */
export function parseFaultSpecs(specs: readonly string[], options: FaultSpecOptions = {}): FaultSpec[] {
  return specs.map((s) => parseFaultSpec(s, options));
}

/** Canonical text of a spec; parseFaultSpec(formatFaultSpec(f)) deep-equals f. */
export function formatFaultSpec(f: FaultSpec): string {
  const when = `@${formatDurationMs(f.atMs)}` + ('forMs' in f && f.forMs !== null ? `+${formatDurationMs(f.forMs)}` : '');
  switch (f.kind) {
    case 'kill':
    case 'flip':
    case 'restart':
    case 'hang':
    case 'stall':
    case 'button':
      return `${f.kind}:${f.board}${when}`;
    case 'cut':
      return `cut:${f.a}-${f.b}/${f.medium}${when}`;
    case 'corrupt':
      return `corrupt:${f.a}-${f.b}/${f.medium}:${f.bitErrorRate}${when}`;
    case 'partition':
      return `partition:${f.groups.map((g) => g.join(',')).join('|')}${when}`;
    case 'psu':
      return `psu:${f.board}:${f.supply}${when}`;
    case 'nic':
      return `nic:${f.board}:${f.iface}${when}`;
    case 'temp':
      return `temp:${f.board}:${f.celsius}${when}`;
    case 'sensor':
      return `sensor:${f.board}:${f.signal}:${f.mode}${when}`;
  }
}

/** When the fault ends, ms from start; null if it is instantaneous or lasts to the end. */
export function faultEndMs(f: FaultSpec): number | null {
  return 'forMs' in f && f.forMs !== null ? f.atMs + f.forMs : null;
}
