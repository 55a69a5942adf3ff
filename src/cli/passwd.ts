/**
 * `ftc console-passwd`: make a console password hash for the board config. On a terminal the
 * password is asked twice without echo; otherwise (a pipe, --stdin) the first line of stdin is it.
 */
import { hashConsolePassword } from '../config/password.ts';
import { UsageError } from '../rig/actions.ts';

/** Longest password line read from a pipe; the console's line limit is 256 anyway. */
const LINE_CHARS_MAX = 1024;

export interface PasswdOptions {
  /** log2 of scrypt's N; default 14 (16 MiB, ~50 ms on a Pi 4). */
  cost: number;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Read from stdin even on a terminal (no prompt, no confirmation). */
  fromStdin?: boolean;
}

export async function consolePasswd(o: PasswdOptions): Promise<number> {
  const stdin = o.stdin ?? process.stdin;
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  if (!(Number.isInteger(o.cost) && o.cost >= 10 && o.cost <= 20)) {
    throw new UsageError(`--cost must be an integer from 10 to 20 (log2 of scrypt N), got ${o.cost}`);
  }
  let password: string;
  if (stdin.isTTY && !o.fromStdin) {
    password = await readHidden('console password: ', stdin, stderr);
    const again = await readHidden('again: ', stdin, stderr);
    if (password !== again) throw new UsageError('the two passwords differ; nothing written');
  } else {
    password = await readLine(stdin);
  }
  if (password.length === 0) throw new UsageError('the password is empty; nothing written');
  const hash = hashConsolePassword(password, { N: 2 ** o.cost });
  stdout.write(hash + '\n');
  if (stdin.isTTY) stderr.write('put it in the board config as console.passwordHash\n');
  return 0;
}

/** First line of a non-terminal stdin (without its line end). */
function readLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (s: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(s);
    };
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      const nl = buf.search(/\r?\n/);
      if (nl >= 0) done(buf.slice(0, nl));
      else if (buf.length > LINE_CHARS_MAX) {
        stdin.off('data', onData);
        reject(new UsageError(`the password line is longer than ${LINE_CHARS_MAX} characters`));
      }
    };
    const onEnd = () => done(buf.replace(/\r?\n$/, ''));
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/** Read a line on a terminal in raw mode without echo; ^C aborts; the terminal is restored. */
function readHidden(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream): Promise<string> {
  stderr.write(prompt);
  stdin.setRawMode(true);
  return new Promise((resolve, reject) => {
    const bytes: number[] = []; // UTF-8, decoded at the end
    const finish = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.off('data', onData);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(bytes).toString('utf8'));
    };
    const onData = (d: Buffer) => {
      for (const b of d) {
        if (b === 0x03) return finish(new UsageError('cancelled'));
        if (b === 0x0d || b === 0x0a) return finish(null);
        if (b === 0x7f || b === 0x08) {
          // Erase one character: its UTF-8 continuation bytes (10xxxxxx), then its lead byte.
          while (bytes.length > 0 && (bytes[bytes.length - 1]! & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
        } else if (b >= 0x20 && bytes.length < LINE_CHARS_MAX * 4) bytes.push(b);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
