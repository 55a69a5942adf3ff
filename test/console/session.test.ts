import test from 'ava';
import fc from 'fast-check';
import { ConsoleSession, PASSWORD_POLICY_DEFAULT } from '../../src/console/session.ts';
import type { ConsoleSessionOptions } from '../../src/console/session.ts';
import { verifyPassword } from '../../src/console/password.ts';
import { hashConsolePassword } from '../../src/config/password.ts';
import { fakeBackend } from './fake-backend.ts';

const enc = new TextEncoder();

function harness(options: Partial<ConsoleSessionOptions> = {}) {
  let out = '';
  const backend = fakeBackend();
  const session = new ConsoleSession({
    backend,
    board: 'b1',
    boards: ['b1', 'b2', 'b3'],
    passwordHash: null,
    verifyPassword,
    injectEnabled: false,
    write: (s) => (out += s),
    ...options,
  });
  session.start();
  let nowMs = 0;
  return {
    session,
    backend,
    /** Type a line (CR end, as screen/picocom send Enter) and return what the console printed. */
    async type(text: string, atMs = nowMs): Promise<string> {
      nowMs = atMs;
      out = '';
      await session.feed(enc.encode(text + '\r'), nowMs);
      return out;
    },
    async raw(bytes: Uint8Array): Promise<string> {
      out = '';
      await session.feed(bytes, nowMs);
      return out;
    },
    get out() {
      return out;
    },
  };
}

/** The command's output lines, without the echo line and the trailing prompt. */
function body(out: string): string[] {
  const lines = out.split('\r\n');
  return lines.slice(1, -1);
}

test('status answers with the board, role, cycle and last vote, in lines that end CRLF and fit 80 columns', async (t) => {
  const h = harness();
  const out = await h.type('status');
  t.true(out.startsWith('status\r\n'), 'echoes what was typed');
  t.true(out.endsWith('\r\nftc b1> '), 'prompts again');
  t.false(/[^\r]\n/.test(out), 'every line end is CRLF');
  const lines = body(out);
  t.regex(lines[0]!, /^board b1 +boot 3 +up /);
  t.true(lines.includes('last start: watchdog'), 'the reason of the last start has a line of its own');
  t.regex(lines.join('\n'), /cycle 123456 at 100 Hz/);
  for (const l of lines) t.true(l.length <= 80, l);
});

const readCommands: Array<[string, RegExp]> = [
  ['members', /^b3 +fenced +fenced/m],
  ['votes', /^ *123456 +unanimous/m],
  ['votes 3', /^ *123454 /m],
  ['links', /^b3 +serial +degraded/m],
  ['wdt', /gate: feeding/],
  ['psu', /^b +FAIL/m],
  ['nic', /bond bond0 +mode active-backup/],
  ['log 4', /#3 vote /],
  ['faults', /injected +pending +kill:b3@8s/],
  ['help', /handover <board>[^]*service leave\|return +out of the voting set for service/],
  ['help votes', /usage: votes \[n\] \[--json\]/],
  ['help service', /usage: service leave\|return/],
];

for (const [line, expected] of readCommands) {
  test(`"${line}" prints a readable table no wider than 80 columns`, async (t) => {
    const h = harness();
    const lines = body(await h.type(line));
    t.regex(lines.join('\n'), expected);
    for (const l of lines) t.true(l.length <= 80, `${l.length}: ${l}`);
    t.is(h.session.stats.errors, 0);
  });
}

for (const name of ['status', 'members', 'votes', 'links', 'wdt', 'psu', 'nic', 'log', 'faults']) {
  test(`"${name} --json" prints the backend's answer as one JSON line`, async (t) => {
    const h = harness();
    const lines = body(await h.type(`${name} --json`));
    t.is(lines.length, 1);
    const v: unknown = JSON.parse(lines[0]!);
    const n = name === 'votes' ? 10 : 20;
    const fromBackend = await (h.backend as unknown as Record<string, (n: number) => unknown>)[name]!(n);
    t.deepEqual(v, JSON.parse(JSON.stringify(fromBackend)));
  });
}

test('"votes 2 --json" passes the count to the backend', async (t) => {
  const h = harness();
  const v = JSON.parse(body(await h.type('votes 2 --json'))[0]!) as unknown[];
  t.is(v.length, 2);
});

const badLines: Array<[string, RegExp]> = [
  ['frobnicate', /^error: unknown command "frobnicate"; type help$/],
  ['process.exit(1)', /^error: unknown command "process.exit\(1\)"; type help$/],
  ['require("fs")', /^error: unknown command/],
  ['votes 0', /^error: usage: votes \[n\] \[--json\] with n from 1 to 100$/],
  ['votes many', /^error: usage: votes/],
  ['log 9999', /^error: usage: log/],
  ['status now', /^error: status takes no arguments/],
  ['status --yaml', /^error: unknown option "--yaml"/],
  ['handover --json', /^error: handover does not take --json/],
  ['handover', /^error: usage: handover <board>$/],
  ['fence b7', /^error: unknown board "b7" \(boards: b1, b2, b3\)$/],
  ['service', /^error: usage: service leave\|return$/],
  ['service b2', /^error: usage: service leave\|return$/],
  ['service leave now', /^error: usage: service leave\|return$/],
  ['inject kill:b2@0s', /^error: inject is disabled: it is for the lab only/],
  ['help nope', /^error: no command "nope"/],
];

for (const [line, expected] of badLines) {
  test(`"${line}" gets one error line and the console keeps serving`, async (t) => {
    const h = harness();
    const out = await h.type(line);
    const errors = out.split('\r\n').filter((l) => l.startsWith('error:'));
    t.is(errors.length, 1, out);
    t.regex(errors[0]!, expected);
    t.true(out.endsWith('ftc b1> '));
    t.regex(body(await h.type('status')).join('\n'), /board b1/);
    t.deepEqual(h.backend.calls, []);
  });
}

test('mutating commands run without a password when none is configured (the default)', async (t) => {
  const h = harness({ injectEnabled: true });
  t.regex(await h.type('handover b2'), /ok: handing over to b2/);
  t.regex(await h.type('fence b3'), /ok: b3 fenced/);
  t.regex(await h.type('service leave'), /ok: leaving for service/);
  t.regex(await h.type('service return'), /ok: back from service/);
  t.regex(await h.type('inject hang:b2@0s+500ms'), /ok: scheduled hang/);
  t.regex(await h.type('inject hang:b9@0s'), /error: bad fault spec "hang:b9@0s": unknown board "b9".*Example: hang:b1@3s\+500ms/);
  t.deepEqual(h.backend.calls, ['handover b2', 'fence b3', 'service leave', 'service return', 'inject hang']);
});

test('a backend that throws gets one error line, and the console keeps serving', async (t) => {
  const h = harness();
  h.backend.links = () => {
    throw new Error('link table busy');
  };
  h.backend.wdt = () => Promise.reject(new Error('watchdog sysfs gone'));
  t.regex(await h.type('links'), /\r\nerror: link table busy\r\n/);
  t.regex(await h.type('wdt'), /\r\nerror: watchdog sysfs gone\r\n/);
  t.regex(await h.type('psu'), /^a +ok/m);
});

test('line editing: CR, LF and CRLF all end a line; backspace and DEL erase; ^C cancels; arrows are ignored', async (t) => {
  const h = harness();
  t.regex(await h.raw(enc.encode('psu\n')), /SUPPLY/);
  t.regex(await h.raw(enc.encode('psu\r\n')), /SUPPLY/);
  t.is(h.session.stats.lines, 2, 'CRLF is one line end, not two');
  const out = await h.raw(enc.encode('stax\x7fus\x08\x08tus\r'));
  t.true(out.includes('\b \b'), 'erases on screen');
  t.regex(out, /board b1/);
  t.is(await h.raw(enc.encode('fence b2\x03')), 'fence b2^C\r\nftc b1> ');
  t.regex(await h.raw(enc.encode('\x1b[A\x1bOBnic\x1b[1;5C\r')), /bond bond0/);
  t.regex(await h.raw(enc.encode('\tpsu\t\r')), /SUPPLY/);
  t.deepEqual(h.backend.calls, []);
});

test('garbage bytes get one error for the line; the next line works', async (t) => {
  const h = harness();
  const out = await h.raw(new Uint8Array([0x73, 0x00, 0xff, 0x01, 0x02, 0x80, 0x0d]));
  t.is(out.split('error:').length - 1, 1, out);
  t.regex(out, /error: unexpected byte 0x00 \(not printable ASCII\); line ignored/);
  t.regex(await h.type('status'), /board b1/);
});

test('a line longer than the limit is refused with one error', async (t) => {
  const h = harness({ lineCharsMax: 64 });
  const out = await h.type('x'.repeat(500));
  t.is(out.split('error:').length - 1, 1);
  t.regex(out, /line longer than 64 characters/);
});

test('a flood while a command runs is bounded: input is dropped and counted, said once', async (t) => {
  let release!: () => void;
  let called!: () => void;
  const statusCalled = new Promise<void>((resolve) => (called = resolve));
  const h = harness({ pendingBytesMax: 100 });
  h.backend.status = () => new Promise((resolve) => {
    release = () => resolve(fakeBackend().status() as never);
    called();
  });
  const first = h.session.feed(enc.encode('status\r'), 0);
  await statusCalled;
  for (let i = 0; i < 50; i++) void h.session.feed(enc.encode('psu\r'), 0);
  release();
  await first;
  t.true(h.session.stats.droppedBytes > 0);
  t.is(h.out.split('input overrun').length - 1, 1);
});

test('random bytes never crash the console, and it still answers afterwards (fast-check, fixed seed)', async (t) => {
  const seed = 5_2026;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), async (chunks) => {
      const h = harness({ injectEnabled: true });
      for (const c of chunks) await h.raw(c);
      // Whatever state the garbage left (half a line, an escape), a fresh line end + command works.
      const out = await h.raw(enc.encode('\x03\rstatus\r'));
      const calls = h.backend.calls.filter((c) => !c.startsWith('inject'));
      return /board b1/.test(out) && calls.length <= chunks.length;
    }),
    { seed, numRuns: 400 },
  );
  t.log(`seed ${seed}`);
  t.is(PASSWORD_POLICY_DEFAULT.attemptsMax, 5);
});

// A cheap scrypt cost for tests; the format and the check are the production ones.
const fastParams = { N: 1024, r: 8, p: 1 };

test('with a password set, a mutating command asks for it without echo, and runs only when it is right', async (t) => {
  const passwordHash = hashConsolePassword('correct horse', fastParams);
  const h = harness({ passwordHash });
  t.regex(await h.type('status'), /board b1/, 'reads need no password');
  const ask = await h.type('fence b3');
  t.true(ask.endsWith('password: '), ask);
  const reply = await h.type('correct horse');
  t.false(reply.includes('correct horse'), 'the password is not echoed');
  t.regex(reply, /ok: b3 fenced/);
  t.regex(await h.type('service nope'), /error: usage: service leave\|return/, 'a typo fails before the password prompt');
  t.true((await h.type('service leave')).endsWith('password: '), 'service is a mutating command');
  t.regex(await h.type('correct horse'), /ok: leaving for service/);
  t.deepEqual(h.backend.calls, ['fence b3', 'service leave']);
});

test('wrong passwords back off exponentially and then lock the console out', async (t) => {
  const passwordHash = hashConsolePassword('s3cret', fastParams);
  const h = harness({ passwordHash });
  await h.type('handover b2', 0);
  t.regex(await h.type('guess1', 100), /error: wrong password; 4 attempts left, next one in 1 s/);
  t.regex(await h.type('handover b2', 500), /error: too many wrong passwords; try again in 1 s/);
  await h.type('handover b2', 1200);
  t.regex(await h.type('guess2', 1300), /next one in 2 s/);
  await h.type('handover b2', 3400);
  t.regex(await h.type('guess3', 3500), /next one in 4 s/);
  await h.type('handover b2', 7600);
  t.regex(await h.type('guess4', 7700), /1 attempts left, next one in 8 s/);
  await h.type('handover b2', 15_800);
  t.regex(await h.type('guess5', 15_900), /locked for 300 s/);
  t.regex(await h.type('handover b2', 200_000), /try again in 116 s/);
  // Even the right password is refused during the lockout; after it, it works.
  t.deepEqual(h.backend.calls, []);
  t.true((await h.type('handover b2', 316_000)).endsWith('password: '));
  t.regex(await h.type('s3cret', 316_100), /ok: handing over to b2/);
  t.is(h.session.stats.passwordFailures, 5);
});

test('a password prompt left alone times out instead of eating the next command, and ^C cancels it', async (t) => {
  const passwordHash = hashConsolePassword('pw', fastParams);
  const h = harness({ passwordHash });
  await h.type('fence b2', 0);
  t.regex(await h.type('status', 120_000), /error: password prompt timed out/);
  t.regex(await h.type('status', 120_001), /board b1/);
  await h.type('fence b2', 130_000);
  t.regex(await h.raw(enc.encode('p\x03')), /cancelled\r\nftc b1> $/);
  t.regex(await h.type('status'), /board b1/, 'echo is back on');
  t.deepEqual(h.backend.calls, []);
});

test('arguments are checked before the password is asked', async (t) => {
  const passwordHash = hashConsolePassword('pw', fastParams);
  const h = harness({ passwordHash, injectEnabled: true });
  t.regex(await h.type('fence b9'), /error: unknown board "b9"/);
  t.regex(await h.type('inject nope'), /error: bad fault spec "nope"/);
  t.false(h.out.includes('password:'));
});

test('the console accepts hashes made by the config helper, and rejects malformed ones with the fix', async (t) => {
  const hash = hashConsolePassword('pässwörd', fastParams);
  t.true(await verifyPassword('pässwörd', hash));
  t.false(await verifyPassword('passwort', hash));
  await t.throwsAsync(() => verifyPassword('x', 'md5$abc'), { message: /must look like scrypt\$N\$r\$p\$salt\$hash; make one with `ftc console-passwd`/ });
  await t.throwsAsync(() => verifyPassword('x', hash.replace('$1024$', '$1000$')), { message: /power of two/ });
});

test('backend text with line feeds or escape sequences cannot break the CRLF discipline or drive the terminal', async (t) => {
  const h = harness();
  h.backend.faults = () => [{ atMs: 1, source: 'detected', what: 'evil\x1b[2J\nsecond line\x07', state: 'active' }];
  h.backend.links = () => {
    throw new Error('bad\x1b]0;title\x07 things');
  };
  const out = (await h.type('faults')) + (await h.type('links'));
  t.false(out.includes('\x1b['), 'no escape sequence reaches the terminal');
  t.false(out.includes('\x07'));
  t.false(/[^\r]\n/.test(out), 'CRLF everywhere');
  t.regex(out, /evil\?\[2J/);
});
