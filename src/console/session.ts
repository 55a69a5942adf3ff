/**
 * The serial console's command interpreter (pure: no I/O, no timers; the caller passes the time
 * with each chunk of input and supplies `write` and the password check).
 *
 * It is a fixed command table, never a JavaScript REPL: a line is split into words and looked up.
 * A bad command or garbage gets one `error:` line and the console keeps serving. Read commands
 * accept `--json` (one JSON document on one line). Mutating commands (handover, service, fence, inject)
 * ask for the console password when the config sets one; wrong passwords back off exponentially
 * and lock the console's mutating commands out after `attemptsMax` in a row.
 */
import { SERVICE_ACTIONS, type ActionResult, type ConsoleBackend, type ServiceAction } from './backend.ts';
import {
  formatFaults,
  formatLinks,
  formatLog,
  formatMembers,
  formatNic,
  formatPsu,
  formatStatus,
  formatVotes,
  formatWdt,
} from './format.ts';
import { LineDiscipline } from './line.ts';
import type { LineInput } from './line.ts';
import { FaultSpecError, parseFaultSpec } from '../rig/faultspec.ts';
import type { FaultSpec } from '../rig/faultspec.ts';

export const CRLF = '\r\n';

export interface PasswordPolicy {
  /** Wait after the first wrong password; doubles with each further one. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Wrong passwords in a row before the lockout. */
  attemptsMax: number;
  lockoutMs: number;
  /** A password typed this long after the prompt is refused (a forgotten prompt must not eat a command). */
  promptTimeoutMs: number;
}

export const PASSWORD_POLICY_DEFAULT: PasswordPolicy = {
  backoffBaseMs: 1000,
  backoffMaxMs: 30_000,
  attemptsMax: 5,
  lockoutMs: 5 * 60_000,
  promptTimeoutMs: 60_000,
};

export interface ConsoleSessionOptions {
  backend: ConsoleBackend;
  /** This board's name (prompt, banner). */
  board: string;
  /** Boards of the rig, for checking `handover`/`fence` targets and fault specs. */
  boards: readonly string[];
  /** scrypt hash from the config; null = no password (the default). */
  passwordHash: string | null;
  verifyPassword: (password: string, hash: string) => Promise<boolean>;
  /** `inject` is for the lab only: refused unless the config enables it. */
  injectEnabled: boolean;
  write: (text: string) => void;
  lineCharsMax?: number;
  /** Input waiting while a command runs; beyond it bytes are dropped and counted. */
  pendingBytesMax?: number;
  passwordPolicy?: PasswordPolicy;
}

export interface ConsoleStats {
  lines: number;
  commands: number;
  errors: number;
  droppedBytes: number;
  passwordFailures: number;
}

interface Command {
  name: string;
  usage: string;
  summary: string;
  mutating: boolean;
  /** Accepts --json. */
  json: boolean;
  run(args: string[], json: boolean): Promise<string[]>;
}

const VOTES_DEFAULT = 10;
const VOTES_MAX = 100;
const LOG_DEFAULT = 20;
const LOG_MAX = 200;
const PENDING_BYTES_MAX_DEFAULT = 4096;

class UsageError extends Error {}

export class ConsoleSession {
  readonly stats: ConsoleStats = { lines: 0, commands: 0, errors: 0, droppedBytes: 0, passwordFailures: 0 };
  readonly #o: ConsoleSessionOptions;
  readonly #policy: PasswordPolicy;
  readonly #line: LineDiscipline;
  readonly #commands: Map<string, Command>;
  readonly #pendingBytesMax: number;
  #queue: Array<{ bytes: Uint8Array; nowMs: number }> = [];
  #queuedBytes = 0;
  #pump: Promise<void> = Promise.resolve();
  #pumping = false;
  #overrunReported = false;
  /** A mutating command waiting for its password, and when the prompt was shown. */
  #awaiting: { command: Command; args: string[]; promptAtMs: number } | null = null;
  #failures = 0;
  #nextAttemptAtMs = 0;

  constructor(options: ConsoleSessionOptions) {
    this.#o = options;
    this.#policy = options.passwordPolicy ?? PASSWORD_POLICY_DEFAULT;
    this.#line = new LineDiscipline(options.lineCharsMax);
    this.#pendingBytesMax = options.pendingBytesMax ?? PENDING_BYTES_MAX_DEFAULT;
    this.#commands = new Map(this.#table().map((c) => [c.name, c]));
  }

  get prompt(): string {
    return `ftc ${this.#o.board}> `;
  }

  /** Banner and first prompt. */
  start(): void {
    this.#o.write(`${CRLF}ftc console on ${this.#o.board}; type help${CRLF}${this.prompt}`);
  }

  /**
   * Feed input bytes. Returns a promise that settles when they (and everything queued before
   * them) have been processed. Never rejects.
   */
  feed(bytes: Uint8Array, nowMs: number): Promise<void> {
    if (this.#queuedBytes + bytes.length > this.#pendingBytesMax) {
      // A paste or a flood while a command runs: keep memory bounded, say so once per overrun.
      this.stats.droppedBytes += bytes.length;
      if (!this.#overrunReported) {
        this.#overrunReported = true;
        this.#error('input overrun while a command was running; some input was dropped');
      }
      return this.#pump;
    }
    this.#queue.push({ bytes, nowMs });
    this.#queuedBytes += bytes.length;
    if (!this.#pumping) {
      this.#pumping = true;
      this.#pump = this.#drain();
    }
    return this.#pump;
  }

  async #drain(): Promise<void> {
    try {
      for (let chunk = this.#queue.shift(); chunk; chunk = this.#queue.shift()) {
        this.#queuedBytes -= chunk.bytes.length;
        for (const byte of chunk.bytes) {
          for (const input of this.#line.push(byte)) await this.#handle(input, chunk.nowMs);
        }
      }
    } finally {
      this.#pumping = false;
      this.#overrunReported = false;
    }
  }

  async #handle(input: LineInput, nowMs: number): Promise<void> {
    const w = this.#o.write;
    switch (input.kind) {
      case 'echo':
        w(input.text);
        return;
      case 'error':
        this.#error(input.message);
        return;
      case 'reprompt':
        if (this.#awaiting) {
          this.#awaiting = null;
          this.#line.echo = true;
          w(`cancelled${CRLF}`);
        }
        w(this.prompt);
        return;
      case 'line':
        this.stats.lines++;
        w(CRLF);
        if (this.#awaiting) await this.#password(input.text, nowMs);
        else await this.#command(input.text, nowMs);
        if (!this.#awaiting) w(this.prompt);
        return;
    }
  }

  async #command(text: string, nowMs: number): Promise<void> {
    const words = text.trim().split(/\s+/).filter((x) => x.length > 0);
    if (words.length === 0) return;
    const name = words[0]!.toLowerCase();
    const command = this.#commands.get(name);
    if (!command) {
      this.#error(`unknown command "${clipWord(words[0]!)}"; type help`);
      return;
    }
    let args = words.slice(1);
    const json = args.includes('--json');
    if (json) {
      if (!command.json) {
        this.#error(`${name} does not take --json; usage: ${command.usage}`);
        return;
      }
      args = args.filter((a) => a !== '--json');
    }
    const bad = args.find((a) => a.startsWith('--'));
    if (bad) {
      this.#error(`unknown option "${clipWord(bad)}"; usage: ${command.usage}`);
      return;
    }
    if (command.mutating && this.#o.passwordHash !== null) {
      // Check the arguments before asking for the password: fail fast on typos.
      try {
        checkArgs(command, args, this.#o);
      } catch (e) {
        this.#error(e instanceof Error ? e.message : String(e));
        return;
      }
      if (nowMs < this.#nextAttemptAtMs) {
        this.#error(`too many wrong passwords; try again in ${Math.ceil((this.#nextAttemptAtMs - nowMs) / 1000)} s`);
        return;
      }
      this.#awaiting = { command, args, promptAtMs: nowMs };
      this.#line.echo = false;
      this.#o.write('password: ');
      return;
    }
    await this.#run(command, args, json);
  }

  async #password(password: string, nowMs: number): Promise<void> {
    const { command, args, promptAtMs } = this.#awaiting!;
    this.#awaiting = null;
    this.#line.echo = true;
    if (nowMs - promptAtMs > this.#policy.promptTimeoutMs) {
      this.#error('password prompt timed out; run the command again');
      return;
    }
    if (nowMs < this.#nextAttemptAtMs) {
      this.#error(`too many wrong passwords; try again in ${Math.ceil((this.#nextAttemptAtMs - nowMs) / 1000)} s`);
      return;
    }
    let ok = false;
    try {
      ok = await this.#o.verifyPassword(password, this.#o.passwordHash!);
    } catch (e) {
      this.#error(`cannot check the password: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!ok) {
      this.stats.passwordFailures++;
      this.#failures++;
      const p = this.#policy;
      if (this.#failures >= p.attemptsMax) {
        this.#failures = 0;
        this.#nextAttemptAtMs = nowMs + p.lockoutMs;
        this.#error(`wrong password; locked for ${Math.round(p.lockoutMs / 1000)} s`);
      } else {
        const waitMs = Math.min(p.backoffMaxMs, p.backoffBaseMs * 2 ** (this.#failures - 1));
        this.#nextAttemptAtMs = nowMs + waitMs;
        this.#error(`wrong password; ${p.attemptsMax - this.#failures} attempts left, next one in ${Math.ceil(waitMs / 1000)} s`);
      }
      return;
    }
    this.#failures = 0;
    await this.#run(command, args, false);
  }

  async #run(command: Command, args: string[], json: boolean): Promise<void> {
    this.stats.commands++;
    try {
      const lines = await command.run(args, json);
      // Backend strings could hold line feeds or escape sequences: keep CRLF discipline and the
      // user's terminal safe.
      this.#o.write(lines.flatMap((l) => l.split(/\r?\n/)).map((l) => sanitize(l) + CRLF).join(''));
    } catch (e) {
      this.#error(e instanceof Error ? e.message : String(e));
    }
  }

  #error(message: string): void {
    this.stats.errors++;
    // Always on a line of its own, whatever the cursor was doing. Messages are single-line.
    this.#o.write(`${CRLF}error: ${sanitize(message.replace(/[\r\n]+/g, ' '))}${CRLF}`);
  }

  #table(): Command[] {
    const b = this.#o.backend;
    const o = this.#o;
    const read = <T>(
      name: string,
      summary: string,
      get: () => T | Promise<T>,
      format: (v: T) => string[],
    ): Command => ({
      name,
      usage: `${name} [--json]`,
      summary,
      mutating: false,
      json: true,
      run: async (args, json) => {
        if (args.length > 0) throw new UsageError(`${name} takes no arguments; usage: ${name} [--json]`);
        const v = await get();
        return json ? [JSON.stringify(v)] : format(v);
      },
    });
    const counted = <T>(
      name: string,
      summary: string,
      dflt: number,
      max: number,
      get: (n: number) => T | Promise<T>,
      format: (v: T) => string[],
    ): Command => ({
      name,
      usage: `${name} [n] [--json]`,
      summary: `${summary} (n: 1-${max}, default ${dflt})`,
      mutating: false,
      json: true,
      run: async (args, json) => {
        const n = countArg(name, args, dflt, max);
        const v = await get(n);
        return json ? [JSON.stringify(v)] : format(v);
      },
    });
    const action = (
      name: string,
      usage: string,
      summary: string,
      act: (args: string[]) => ActionResult | Promise<ActionResult>,
    ): Command => {
      const c: Command = {
        name,
        usage,
        summary,
        mutating: true,
        json: false,
        run: async (args) => {
          checkArgs(c, args, o);
          const r = await act(args);
          return [`${r.ok ? 'ok' : 'refused'}: ${r.message}`];
        },
      };
      return c;
    };
    const commands: Command[] = [
      {
        name: 'help',
        usage: 'help [command]',
        summary: 'list commands, or describe one',
        mutating: false,
        json: false,
        run: async (args) => {
          if (args.length > 1) throw new UsageError('usage: help [command]');
          if (args.length === 1) {
            const c = this.#commands.get(args[0]!.toLowerCase());
            if (!c) throw new UsageError(`no command "${clipWord(args[0]!)}"; type help`);
            return [`usage: ${c.usage}`, `  ${c.summary}` + (c.mutating ? mutatingNote(o) : '')];
          }
          return [
            ...commands.map((c) => `  ${c.usage.padEnd(22)} ${c.summary}`.slice(0, 80)),
            'read commands take --json; line ends CR, LF or CRLF; ^C cancels a line.',
          ];
        },
      },
      read('status', 'role, cycle, mode, membership, last vote', () => b.status(), formatStatus),
      read('members', 'each board: state, role, boot, last seen', () => b.members(), formatMembers),
      counted('votes', 'the last n votes', VOTES_DEFAULT, VOTES_MAX, (n) => b.votes(n), formatVotes),
      read('links', 'serial and UDP links: state, RTT, loss, errors', () => b.links(), formatLinks),
      read('wdt', 'hardware watchdog and its supervision gate', () => b.wdt(), formatWdt),
      read('psu', 'power supplies', () => b.psu(), formatPsu),
      read('nic', 'network interfaces and bond', () => b.nic(), formatNic),
      counted('log', "the last n events of this board's log", LOG_DEFAULT, LOG_MAX, (n) => b.log(n), formatLog),
      read('faults', 'faults injected and detected', () => b.faults(), formatFaults),
      action('handover', 'handover <board>', 'hand the active role to <board>', (a) => b.handover(a[0]!)),
      action('service', 'service leave|return', 'out of the voting set for service (no fence), or back', (a) =>
        b.service(a[0] as ServiceAction),
      ),
      action('fence', 'fence <board>', 'fence <board> out of the voting set', (a) => b.fence(a[0]!)),
      action('inject', 'inject <spec>', 'inject a fault now (lab only), e.g. inject hang:b2@0s+500ms', (a) =>
        b.inject(parseFaultSpec(a[0]!, { boards: o.boards })),
      ),
    ];
    return commands;
  }
}

function mutatingNote(o: ConsoleSessionOptions): string {
  return o.passwordHash !== null ? ' (asks for the console password)' : '';
}

/** Validate a mutating command's arguments; throws with a one-line message. */
function checkArgs(c: Command, args: string[], o: ConsoleSessionOptions): FaultSpec | string {
  if (args.length !== 1) throw new UsageError(`usage: ${c.usage}`);
  const arg = args[0]!;
  if (c.name === 'inject') {
    if (!o.injectEnabled) throw new UsageError('inject is disabled: it is for the lab only; enable it in the board config (console.allowInject: true)');
    try {
      return parseFaultSpec(arg, { boards: o.boards });
    } catch (e) {
      if (e instanceof FaultSpecError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (c.name === 'service') {
    if (!(SERVICE_ACTIONS as readonly string[]).includes(arg)) throw new UsageError(`usage: ${c.usage}`);
    return arg;
  }
  if (!o.boards.includes(arg)) throw new UsageError(`unknown board "${clipWord(arg)}" (boards: ${o.boards.join(', ')})`);
  return arg;
}

function countArg(name: string, args: string[], dflt: number, max: number): number {
  if (args.length === 0) return dflt;
  const n = Number(args[0]);
  if (args.length > 1 || !/^\d+$/.test(args[0]!) || n < 1 || n > max) {
    throw new UsageError(`usage: ${name} [n] [--json] with n from 1 to ${max}`);
  }
  return n;
}

/** Control characters (ESC, BEL, NUL...) shown as "?" so output cannot drive the terminal. */
function sanitize(line: string): string {
  return line.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** Echo user words back in messages, but never a whole flood of them. */
function clipWord(w: string): string {
  return w.length > 24 ? w.slice(0, 23) + '~' : w;
}
