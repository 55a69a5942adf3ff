/**
 * Drives a board's serial console as a program (ring 3): sends one command line, reads up to the
 * next prompt, returns the output lines. Used by the hardware-in-the-loop runner (hil.ts).
 *
 * The console (src/console/session.ts) echoes what it is sent, ends lines with CRLF, prints
 * `ftc <board>> ` as its prompt, `password: ` before a mutating command when the config sets a
 * password, `error: ...` for anything it refuses, and `ok: ...` / `refused: ...` for actions.
 *
 * Robustness:
 * - every read has a timeout (ConsoleError 'timeout', naming the board, the command and what did
 *   arrive);
 * - before the first command and after any timeout or garbled answer the driver resynchronises:
 *   ^C and CR (cancels a half-typed line, a password prompt, or a line the console is discarding
 *   after line noise), then `help <nonce>`, whose unique error line followed by a prompt proves
 *   that everything older has been read (it costs one error in the console's counters);
 * - read commands are retried (`retriesMax`) when their JSON is garbled; actions never are (an
 *   inject must not happen twice);
 * - the received text is capped (`responseCharsMax`): a console that never stops talking fails the
 *   read instead of growing memory.
 */
import type { SerialLink } from '../ports/serial.ts';

export const CONSOLE_READ_TIMEOUT_MS_DEFAULT = 3000;
export const CONSOLE_RETRIES_MAX_DEFAULT = 2;
export const CONSOLE_RESPONSE_CHARS_MAX_DEFAULT = 256 * 1024;

const PROMPT_AT_END = /(?:^|\n)[^\n]*?ftc ([A-Za-z0-9_-]{1,32})> $/;
const PASSWORD_AT_END = /password: $/;

export type ConsoleErrorCode = 'timeout' | 'closed' | 'garbled' | 'password' | 'wrong-board' | 'error';

export class ConsoleError extends Error {
  override name = 'ConsoleError';
  constructor(
    readonly code: ConsoleErrorCode,
    readonly board: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConsoleDriverOptions {
  link: SerialLink;
  /** The board this console should belong to (checked against its prompt); null = accept any. */
  board: string | null;
  /** Console password for mutating commands (inject, fence), when the board config sets one. */
  password: string | null;
  readTimeoutMs?: number;
  retriesMax?: number;
  responseCharsMax?: number;
}

export type ActionStatus = 'ok' | 'refused' | 'error';

export interface ActionAnswer {
  /** ok / refused: the board's answer to the action; error: the console refused the command. */
  status: ActionStatus;
  message: string;
}

/** Printable form of received text for messages: control bytes shown as escapes, clipped. */
export function showReceived(text: string, charsMax = 120): string {
  const t = JSON.stringify(text.length > charsMax ? '…' + text.slice(-charsMax) : text);
  return t.slice(1, -1);
}

export class ConsoleDriver {
  readonly link: SerialLink;
  readonly readTimeoutMs: number;
  readonly retriesMax: number;
  readonly responseCharsMax: number;
  #board: string | null;
  readonly #password: string | null;
  #rx = '';
  #waiter: (() => void) | null = null;
  #closedReason: string | null = null;
  #synced = false;
  #nonce = 0;
  /** Commands run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: ConsoleDriverOptions) {
    this.link = o.link;
    this.#board = o.board;
    this.#password = o.password;
    this.readTimeoutMs = o.readTimeoutMs ?? CONSOLE_READ_TIMEOUT_MS_DEFAULT;
    this.retriesMax = o.retriesMax ?? CONSOLE_RETRIES_MAX_DEFAULT;
    this.responseCharsMax = o.responseCharsMax ?? CONSOLE_RESPONSE_CHARS_MAX_DEFAULT;
    // latin1: every byte maps to one char, so line noise never throws and never merges with a prompt.
    o.link.onData((chunk) => {
      this.#rx += Buffer.from(chunk).toString('latin1');
      if (this.#rx.length > this.responseCharsMax) this.#rx = this.#rx.slice(-this.responseCharsMax);
      this.#waiter?.();
    });
    o.link.onClose((reason) => {
      this.#closedReason = reason ? reason.message : 'closed';
      this.#waiter?.();
    });
  }

  /** The board named by the console's prompt (once synced), else the one expected. */
  get board(): string {
    return this.#board ?? '?';
  }

  /** Resynchronise now (also done lazily before the first command). Returns the board name. */
  sync(timeoutMs = this.readTimeoutMs): Promise<string> {
    return this.#serial(() => this.#sync(timeoutMs));
  }

  /** Run one command line; returns its output lines (no echo, no prompt, no blank lines). */
  run(line: string, timeoutMs = this.readTimeoutMs): Promise<string[]> {
    return this.#serial(() => this.#run(line, timeoutMs));
  }

  /** A read command with --json; retried on garbled answers. Throws ConsoleError('error') if the console refuses it. */
  json<T>(command: string, timeoutMs = this.readTimeoutMs): Promise<T> {
    return this.#serial(async () => {
      let lastProblem = '';
      for (let attempt = 0; attempt <= this.retriesMax; attempt++) {
        let lines: string[];
        try {
          lines = await this.#run(`${command} --json`, timeoutMs);
        } catch (e) {
          if (e instanceof ConsoleError && (e.code === 'timeout' || e.code === 'garbled')) {
            lastProblem = e.message;
            continue;
          }
          throw e;
        }
        const err = lines.find((l) => l.startsWith('error: '));
        const doc = lines.find((l) => l.startsWith('{') || l.startsWith('['));
        if (doc !== undefined) {
          try {
            return JSON.parse(doc) as T;
          } catch {
            lastProblem = `garbled JSON from ${this.board} for "${command} --json": ${showReceived(doc, 60)}`;
            this.#synced = false;
            continue;
          }
        }
        if (err !== undefined && !/unexpected byte|escape sequence|line longer/.test(err)) {
          throw new ConsoleError('error', this.board, `${this.board} refused "${command} --json": ${err.slice(7)}`);
        }
        lastProblem = `no JSON from ${this.board} for "${command} --json" (got ${showReceived(lines.join(' | '), 80)})`;
        this.#synced = false;
      }
      throw new ConsoleError('garbled', this.board, `${lastProblem} (after ${this.retriesMax + 1} attempts: line noise on the console cable?)`);
    });
  }

  /** A mutating command (inject, fence, handover): never retried. */
  act(line: string, timeoutMs = this.readTimeoutMs): Promise<ActionAnswer> {
    return this.#serial(async () => {
      const lines = await this.#run(line, timeoutMs);
      for (const l of lines) {
        const m = /^(ok|refused): (.*)$/.exec(l);
        if (m) return { status: m[1] as 'ok' | 'refused', message: m[2]! };
        if (l.startsWith('error: ')) return { status: 'error', message: l.slice(7) };
      }
      return { status: 'error', message: `no answer to "${line}" (got ${showReceived(lines.join(' | '), 80)})` };
    });
  }

  close(): Promise<void> {
    return this.link.close();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves with the received text once `done` holds for it; rejects after timeoutMs. */
  #waitFor(done: (rx: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.#waiter = null;
        if (err) reject(err);
        else resolve(this.#rx);
      };
      const check = () => {
        if (done(this.#rx)) finish(null);
        else if (this.#closedReason !== null) {
          finish(new ConsoleError('closed', this.board, `console of ${this.board} (${this.link.path}) closed while waiting for ${what}: ${this.#closedReason}`));
        }
      };
      const timer = setTimeout(() => {
        this.#synced = false;
        finish(new ConsoleError('timeout', this.board, `${this.board} (${this.link.path}) did not answer ${what} within ${timeoutMs} ms; received "${showReceived(this.#rx)}"`));
      }, timeoutMs);
      this.#waiter = check;
      check();
    });
  }

  #write(text: string): void {
    if (!this.link.write(Buffer.from(text, 'latin1'))) {
      throw new ConsoleError('closed', this.board, `cannot write to the console of ${this.board} (${this.link.path}): port closed or its queue is full`);
    }
  }

  async #sync(timeoutMs: number): Promise<string> {
    const marker = `zz${process.pid % 1000}n${++this.#nonce}`;
    this.#rx = '';
    this.#write(`\x03\r help ${marker}\r`);
    // The console answers `error: no command "<marker>"; type help`, then its prompt.
    const re = new RegExp(`no command "${marker}"[^\\n]*\\n(?:[^\\n]*\\n)*?[^\\n]*ftc ([A-Za-z0-9_-]{1,32})> $`);
    const rx = await this.#waitFor((t) => re.test(t), timeoutMs, 'the resync (^C, CR, help)');
    const name = re.exec(rx)![1]!;
    if (this.#board !== null && name !== this.#board) {
      throw new ConsoleError('wrong-board', this.#board, `the console at ${this.link.path} answers as ${name}, not ${this.#board}: fix the console mapping (FTC_HIL_CONSOLES)`);
    }
    this.#board = name;
    this.#rx = '';
    this.#synced = true;
    return name;
  }

  async #run(line: string, timeoutMs: number): Promise<string[]> {
    if (/[\r\n\x00-\x1f]/.test(line)) throw new TypeError(`ConsoleDriver: a command is one printable line, got ${JSON.stringify(line)}`);
    if (!this.#synced) await this.#sync(timeoutMs);
    this.#rx = '';
    this.#write(`${line}\r`);
    let rx = await this.#waitFor((t) => PROMPT_AT_END.test(t) || PASSWORD_AT_END.test(t), timeoutMs, `"${line}"`);
    let out = rx;
    if (PASSWORD_AT_END.test(rx) && !PROMPT_AT_END.test(rx)) {
      if (this.#password === null) {
        this.#synced = false;
        this.#write('\x03');
        throw new ConsoleError('password', this.board, `${this.board} asks for the console password for "${line.split(' ')[0]}": set FTC_HIL_PASSWORD (hw/HIL.md)`);
      }
      this.#rx = '';
      this.#write(`${this.#password}\r`);
      rx = await this.#waitFor((t) => PROMPT_AT_END.test(t), timeoutMs, `"${line}" after the password`);
      out = out + rx;
    }
    const lines = out
      .replace(PROMPT_AT_END, '\n')
      .split(/\r?\n|\r/)
      .map((l) => l.trimEnd())
      .filter((l) => l.length > 0 && l !== line && !l.startsWith('password:'));
    if (lines.some((l) => /^error: wrong password/.test(l) || /^error: too many wrong passwords/.test(l))) {
      throw new ConsoleError('password', this.board, `${this.board} refused the console password: ${lines.find((l) => l.startsWith('error: '))!.slice(7)} (check FTC_HIL_PASSWORD)`);
    }
    return lines;
  }
}
