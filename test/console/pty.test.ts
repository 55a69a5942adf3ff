import test from 'ava';
import { PassThrough } from 'node:stream';
import { attachConsole } from '../../src/console/client.ts';
import { serveConsole } from '../../src/console/server.ts';
import { verifyPassword } from '../../src/console/password.ts';
import { monotonicClock } from '../../src/ports/clock.ts';
import { fakeBackend } from './fake-backend.ts';
import { openPtyPair } from './pty-link.ts';

test('a client attached to the console pty runs status over a real pseudo-terminal and quits on Ctrl-]', async (t) => {
  const pair = await openPtyPair();
  t.teardown(() => pair.close());
  serveConsole({
    link: pair.link, clock: monotonicClock, backend: fakeBackend(), board: 'b1', boards: ['b1', 'b2', 'b3'],
    passwordHash: null, verifyPassword, injectEnabled: false,
  });
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = attachConsole({ path: pair.path, stdin, stdout, stderr });
  const until = async (re: RegExp) => {
    for (let i = 0; i < 500 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 10));
    return out;
  };
  t.regex(await until(/ftc b1> /), /ftc b1> /, 'the attach line end brings up the prompt');
  (stdin as unknown as PassThrough).write('status\r');
  t.regex(await until(/cycle 123456 at 100 Hz/), /board b1 +boot 3/);
  (stdin as unknown as PassThrough).write('\x01garbage\r');
  t.regex(await until(/error: unexpected byte 0x01/), /error: unexpected byte 0x01/);
  (stdin as unknown as PassThrough).write(Buffer.from([0x1d]));
  t.is(await done, 0);
  t.regex(err, /attached to \/dev\/pts\/\d+; Ctrl-\] to quit/);
  t.regex(err, /detached/);
});

test('attaching to a path that does not exist fails with a message naming it', async (t) => {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await attachConsole({ path: '/dev/pts/no-such', stdin: new PassThrough() as unknown as NodeJS.ReadStream, stderr });
  t.is(code, 1);
  t.regex(err, /cannot open console \/dev\/pts\/no-such: .*is the board running\?/);
});
