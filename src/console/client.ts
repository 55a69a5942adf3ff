/**
 * `ftc console <path|board>`: a raw terminal <-> serial port bridge, like picocom/screen
 * (ring 3). The user's terminal goes to raw mode (the board's console echoes and edits lines);
 * Ctrl-] quits (telnet's escape, rarely needed by anything on the console); the terminal is
 * restored on every way out: Ctrl-], port gone, signals, uncaught errors.
 *
 * A board name is resolved through `<runDir>/<board>.console`, a one-line file holding the
 * console's pty path, written by the simulator (writeConsolePath) when it starts each board.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SerialPort } from 'serialport';

/** Ctrl-] (GS, 0x1D). */
export const QUIT_BYTE = 0x1d;
export const RUN_DIR_DEFAULT = '.ftc/run';
const BAUD_DEFAULT = 115_200;
/** After stdin ends (scripted use: `echo status | ftc console b1`), wait this long for the answer. */
const LINGER_MS_DEFAULT = 500;

export class ConsoleTargetError extends Error {
  override name = 'ConsoleTargetError';
}

export function consolePathFile(runDir: string, board: string): string {
  return path.join(runDir, `${board}.console`);
}

/** Called by the simulator for each board it starts. */
export function writeConsolePath(runDir: string, board: string, ptyPath: string): void {
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(consolePathFile(runDir, board), ptyPath + '\n');
}

/** A path is used as is; a board name (b1) is looked up in the run directory. */
export function resolveConsoleTarget(target: string, runDir = RUN_DIR_DEFAULT): string {
  if (target.includes('/')) return target;
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(target)) {
    throw new ConsoleTargetError(`"${target}" is neither a device path (/dev/ttyS0, /dev/pts/5) nor a board name (b1)`);
  }
  const file = consolePathFile(runDir, target);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConsoleTargetError(
      `no console known for board "${target}" (no ${file}): start \`ftc sim\` first, or give the pty path it printed`,
    );
  }
  const p = text.trim();
  if (!p.startsWith('/')) throw new ConsoleTargetError(`${file} does not hold a device path (got "${p.slice(0, 40)}")`);
  return p;
}

export interface AttachOptions {
  path: string;
  baudRate?: number;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  lingerMs?: number;
}

/** Attach until Ctrl-], the port closes, or stdin ends; resolves with the exit code. */
export function attachConsole(options: AttachOptions): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const lingerMs = options.lingerMs ?? LINGER_MS_DEFAULT;
  const raw = stdin.isTTY === true;

  return new Promise((resolve) => {
    let done = false;
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? BAUD_DEFAULT, autoOpen: false });
    const restore = () => {
      if (raw) {
        try {
          stdin.setRawMode(false);
        } catch {
          /* the terminal is gone: nothing left to restore */
        }
      }
    };
    const onSignal = (sig: NodeJS.Signals) => finish(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGHUP' ? 1 : 15), `\r\n${sig}: detached`);
    const onUncaught = (e: Error) => finish(1, `\r\nconsole client error: ${e.message}`);
    const finish = (code: number, message?: string) => {
      if (done) return;
      done = true;
      restore();
      stdin.off('data', onStdin);
      stdin.off('end', onEnd);
      stdin.pause();
      process.off('exit', restore);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      process.off('uncaughtException', onUncaught);
      if (message) stderr.write(message + '\n');
      if (port.isOpen) port.close(() => resolve(code));
      else resolve(code);
    };
    const onStdin = (chunk: Buffer) => {
      const q = chunk.indexOf(QUIT_BYTE);
      const data = q < 0 ? chunk : chunk.subarray(0, q);
      if (data.length > 0) port.write(data);
      if (q >= 0) finish(0, '\r\ndetached');
    };
    const onEnd = () => setTimeout(() => finish(0), lingerMs);

    port.open((err) => {
      if (err) {
        finish(1, `cannot open console ${options.path}: ${err.message}; is the board running? (ftc sim prints each console's path)`);
        return;
      }
      process.on('exit', restore);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('SIGHUP', onSignal);
      process.on('uncaughtException', onUncaught);
      if (raw) stdin.setRawMode(true);
      stderr.write(`attached to ${options.path}; Ctrl-] to quit\n`);
      port.on('data', (d: Buffer) => stdout.write(d));
      port.on('error', (e: Error) => finish(1, `\r\nconsole ${options.path}: ${e.message}`));
      port.on('close', () => finish(1, `\r\nconsole ${options.path} closed (board gone?)`));
      stdin.on('data', onStdin);
      stdin.on('end', onEnd);
      stdin.resume();
      // A line end makes the console print its prompt, so the user sees it is alive.
      port.write('\r');
    });
  });
}

export interface ConsoleCommandOptions {
  path: string;
  /** One console command line, e.g. `handover b2`. */
  line: string;
  /** The console password, for a mutating command on a board whose config sets one. */
  password?: string;
  baudRate?: number;
  /** The whole exchange (prompt, command, reply) must finish within this. */
  timeoutMs?: number;
}

/** How long a scripted console command may take by default (a handover answers at once). */
export const CONSOLE_COMMAND_TIMEOUT_MS = 5000;
/** Reply text kept at most: a console answer is a few lines. */
const REPLY_CHARS_MAX = 64 * 1024;

/**
 * Runs one command on a board's console, as a script would (`ftc migrate`): waits for the prompt,
 * sends the line, answers a password prompt when asked, and resolves with what the console
 * printed before its next prompt. Rejects, naming the console, on a timeout, a port that does not
 * open, or a password prompt without a password.
 */
export function runConsoleCommand(o: ConsoleCommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: o.path, baudRate: o.baudRate ?? BAUD_DEFAULT, autoOpen: false });
    let text = '';
    let stage: 'prompt' | 'reply' = 'prompt';
    let replyFrom = 0;
    let settled = false;
    const end = (err: Error | null, value = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const done = () => (err ? reject(err) : resolve(value));
      if (port.isOpen) port.close(() => done());
      else done();
    };
    const timer = setTimeout(() => end(new Error(`console ${o.path}: no answer to "${o.line}" within ${o.timeoutMs ?? CONSOLE_COMMAND_TIMEOUT_MS} ms (is the board running?)`)), o.timeoutMs ?? CONSOLE_COMMAND_TIMEOUT_MS);
    const promptRe = /ftc [\w-]+> $/;
    port.on('data', (d: Buffer) => {
      text = (text + d.toString('utf8')).slice(-REPLY_CHARS_MAX);
      if (stage === 'prompt' && promptRe.test(text)) {
        stage = 'reply';
        replyFrom = text.length;
        port.write(`${o.line}\r`);
        return;
      }
      if (stage !== 'reply') return;
      const reply = text.slice(replyFrom);
      if (/password: ?$/i.test(reply)) {
        if (o.password === undefined) return end(new Error(`console ${o.path}: "${o.line}" asks for the console password; give it (--password-file)`));
        replyFrom = text.length;
        port.write(`${o.password}\r`);
        return;
      }
      if (promptRe.test(reply)) end(null, reply.replace(promptRe, '').replace(/\r/g, '').trim().split('\n').filter((l) => l.trim() !== o.line).join('\n').trim());
    });
    port.on('error', (e: Error) => end(new Error(`console ${o.path}: ${e.message}`)));
    port.open((err) => {
      if (err) return end(new Error(`cannot open console ${o.path}: ${err.message}; is the board running? (ftc sim prints each console's path)`));
      port.write('\r');
    });
  });
}
