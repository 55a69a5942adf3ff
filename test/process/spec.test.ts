/**
 * The process class's configuration (src/process/spec.ts): makeProcessSpec fills the defaults and
 * refuses values that would not work, naming the field and a fix; splitCommand turns the
 * `--process "..."` text into argv without a shell.
 */
import test, { type ExecutionContext } from 'ava';
import { makeProcessSpec, PROCESS_DEFAULTS, ProcessSpecError, splitCommand } from '../../src/process/spec.ts';

/** Runs `f`, which must throw a ProcessSpecError; returns it. */
function specError(t: ExecutionContext, f: () => unknown): ProcessSpecError {
  const e = t.throws(f, { instanceOf: ProcessSpecError });
  if (!e) throw new Error('expected a ProcessSpecError');
  return e;
}

test('a command alone gets every default filled in', (t) => {
  const s = makeProcessSpec({ argv: ['python3', 'logger.py'] }, 50);
  t.deepEqual(s, {
    argv: ['python3', 'logger.py'],
    env: {},
    syncPeriodMs: 200,
    syncOn: 'period',
    stateBytesMax: 48 * 1024,
    stateFilesMax: 64,
    restartsMax: 3,
    restartWindowMs: 60_000,
    stopGraceMs: 2000,
  });
  t.deepEqual({ ...s, argv: undefined, env: undefined }, { argv: undefined, env: undefined, ...PROCESS_DEFAULTS });
  t.is(s.cwd, undefined);
});

test('given values win over the defaults and are kept as given', (t) => {
  const given = { argv: ['./drv'], env: { A: '1' }, cwd: '/srv', syncPeriodMs: 50, syncOn: 'mark' as const, stateBytesMax: 60 * 1024, stateFilesMax: 1, restartsMax: 0, restartWindowMs: 1000, stopGraceMs: 0, user: 'nobody', netns: 'ftc-{board}', address: { cidr: '10.0.0.5/24', dev: 'eth0' } };
  t.deepEqual(makeProcessSpec(given, 50), given);
});

test('no command: ProcessSpecError naming process.argv, with a fix', (t) => {
  for (const argv of [[], [''], ['   ']]) {
    const e = specError(t, () => makeProcessSpec({ argv }, 50));
    t.is(e.field, 'process.argv', JSON.stringify(argv));
    t.regex(e.message, /^process\.argv: no command; fix: /);
    t.true(e.fix.length > 0);
    t.true(e.message.includes(e.fix));
  }
});

test('a command line over 64 arguments is refused naming process.argv', (t) => {
  t.notThrows(() => makeProcessSpec({ argv: Array.from({ length: 64 }, (_, i) => `a${i}`) }, 50));
  const e = specError(t, () => makeProcessSpec({ argv: Array.from({ length: 65 }, (_, i) => `a${i}`) }, 50));
  t.is(e.field, 'process.argv');
  t.true(e.message.includes('fix:'));
});

test('syncPeriodMs shorter than one period is refused naming the field (50 ms period, 10 ms sync)', (t) => {
  const e = specError(t, () => makeProcessSpec({ argv: ['prog'], syncPeriodMs: 10 }, 50));
  t.is(e.field, 'process.syncPeriodMs');
  t.true(e.message.startsWith('process.syncPeriodMs: 10 '), e.message);
  t.true(e.message.includes('[50, 60000]'), e.message);
  t.true(e.message.includes('fix:'));
  // One period exactly is fine; a fractional period rounds up (1000/3 Hz → 334 ms).
  t.is(makeProcessSpec({ argv: ['prog'], syncPeriodMs: 50 }, 50).syncPeriodMs, 50);
  t.is(specError(t, () => makeProcessSpec({ argv: ['prog'], syncPeriodMs: 333 }, 1000 / 3)).field, 'process.syncPeriodMs');
  t.is(makeProcessSpec({ argv: ['prog'], syncPeriodMs: 334 }, 1000 / 3).syncPeriodMs, 334);
});

// The default sync period follows the rate (at least one cycle): `ftc sim --process ... --rate-hz N`
// has no option for it, so its default must be valid at every rate the sim accepts.
test('the defaults are valid at every rate the sim accepts (4 Hz and 1 Hz)', (t) => {
  t.notThrows(() => makeProcessSpec({ argv: ['prog'] }, 1000 / 4));
  t.notThrows(() => makeProcessSpec({ argv: ['prog'] }, 1000 / 1));
});

test('stateBytesMax over 60 KiB is refused naming the field, 60 KiB itself is allowed', (t) => {
  t.is(makeProcessSpec({ argv: ['prog'], stateBytesMax: 60 * 1024 }, 50).stateBytesMax, 61_440);
  const e = specError(t, () => makeProcessSpec({ argv: ['prog'], stateBytesMax: 60 * 1024 + 1 }, 50));
  t.is(e.field, 'process.stateBytesMax');
  t.true(e.message.startsWith('process.stateBytesMax: 61441 '), e.message);
  t.true(e.message.includes('60 KiB'));
  t.true(e.message.includes('fix:'));
});

test('every out-of-range or non-integer field is refused with its name and a fix', (t) => {
  const bad: [string, Record<string, unknown>][] = [
    ['process.syncPeriodMs', { syncPeriodMs: 60_001 }],
    ['process.syncPeriodMs', { syncPeriodMs: 100.5 }],
    ['process.stateBytesMax', { stateBytesMax: 0 }],
    ['process.stateFilesMax', { stateFilesMax: 0 }],
    ['process.stateFilesMax', { stateFilesMax: 1025 }],
    ['process.restartsMax', { restartsMax: -1 }],
    ['process.restartsMax', { restartsMax: 101 }],
    ['process.restartWindowMs', { restartWindowMs: 999 }],
    ['process.stopGraceMs', { stopGraceMs: 60_001 }],
    ['process.stopGraceMs', { stopGraceMs: Number.NaN }],
  ];
  for (const [field, p] of bad) {
    const e = specError(t, () => makeProcessSpec({ argv: ['prog'], ...p }, 50));
    t.is(e.field, field, JSON.stringify(p));
    t.true(e.message.startsWith(`${field}: `), e.message);
    t.true(e.message.includes('; fix: '), e.message);
    t.is(e.name, 'ProcessSpecError');
  }
});

test('splitCommand: a double-quoted argument with a space stays one argument', (t) => {
  t.deepEqual(splitCommand('python3 "my script.py" -v'), ['python3', 'my script.py', '-v']);
});

test('splitCommand: single quotes, and each quote kind holds the other', (t) => {
  t.deepEqual(splitCommand("python3 'my script.py' -v"), ['python3', 'my script.py', '-v']);
  t.deepEqual(splitCommand(`echo 'say "hi"' "it's"`), ['echo', 'say "hi"', "it's"]);
});

test('splitCommand: an empty quoted argument is kept as an empty string', (t) => {
  t.deepEqual(splitCommand('a "" b'), ['a', '', 'b']);
  t.deepEqual(splitCommand("a '' b"), ['a', '', 'b']);
  t.deepEqual(splitCommand('""'), ['']);
});

test('splitCommand: runs of whitespace separate once; quotes join adjacent text', (t) => {
  t.deepEqual(splitCommand('  prog   -a\t-b  '), ['prog', '-a', '-b']);
  t.deepEqual(splitCommand('--name="a b"c'), ['--name=a bc']);
  t.deepEqual(splitCommand(''), []);
});

test('splitCommand: an unclosed quote is a ProcessSpecError with a fix', (t) => {
  for (const text of ['python3 "my script.py -v', "python3 'oops"]) {
    const e = specError(t, () => splitCommand(text));
    t.is(e.field, '--process');
    t.true(e.message.includes('unclosed'), e.message);
    t.true(e.message.includes('fix:'), e.message);
  }
});

test('splitCommand output feeds makeProcessSpec: an all-blank command is refused as no command', (t) => {
  t.deepEqual(makeProcessSpec({ argv: splitCommand('python3 "my script.py" -v') }, 50).argv, ['python3', 'my script.py', '-v']);
  t.is(specError(t, () => makeProcessSpec({ argv: splitCommand('   ') }, 50)).field, 'process.argv');
  t.is(specError(t, () => makeProcessSpec({ argv: splitCommand('"" x') }, 50)).field, 'process.argv');
});
