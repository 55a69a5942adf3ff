import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { writeConsolePath } from '../../src/console/client.ts';
import { serveConsole } from '../../src/console/server.ts';
import { verifyPassword } from '../../src/console/password.ts';
import { monotonicClock } from '../../src/ports/clock.ts';
import { fakeBackend } from '../console/fake-backend.ts';
import { openPtyPair } from '../console/pty-link.ts';

const bin = new URL('../../bin/ftc.js', import.meta.url).pathname;

/** Run `ftc …` as a user would (node bin/ftc.js), from another working directory. */
function ftc(args: string[], input?: string, cwd = os.tmpdir()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) p.stdin.end(input);
  });
}

/** Run the CLI in this process (fast), capturing what it prints. */
async function ftcIn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'ftc', ...args], { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

test('ftc --help lists every command and exits 0, from any working directory', async (t) => {
  const r = await ftc(['--help']);
  t.is(r.code, 0, r.stderr);
  for (const c of ['run', 'sim', 'console', 'doctor', 'demo', 'console-passwd']) t.regex(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

const helps: Array<[string, string[]]> = [
  ['sim', ['--seed', '--rate-hz', '--duration', '--fault', '--trace', '--json', '--no-dashboard', '--log-dir', '--run-dir',
    'kill:b2@5s', 'kill:active@5s', 'hang:b1@3s+500ms', 'stall:b1@3s+2s', 'flip:b3@4s', 'cut:b1-b2/serial@2s+3s',
    'corrupt:b1-b2/serial:1e-3@2s+5s', 'partition:b1|b2,b3@6s+2s', 'psu:b2:a@3s', 'nic:b3:eth0@3s', 'restart:b2@8s']],
  ['run', ['--config']],
  ['console', ['<target>', '--baud', '--run-dir', 'Ctrl-]', 'votes [n]', 'inject <spec>']],
  ['doctor', ['--config', 'board config', 'hardware definition', 'hw/boards/rpi4.yaml']],
  ['demo', ['--no-dashboard', '--log-dir']],
  ['console-passwd', ['--cost', '--stdin']],
];
for (const [command, words] of helps) {
  test(`ftc ${command} --help describes every option`, async (t) => {
    const r = await ftcIn([command, '--help']);
    t.is(r.code, 0);
    for (const w of words) t.true(r.stdout.includes(w), `${w} in:\n${r.stdout}`);
  });
}

const bad: Array<[string[], RegExp]> = [
  [['sim', '--fault', 'kill:b9@5s'], /bad fault spec "kill:b9@5s": unknown board "b9".*Example: kill:b2@5s/],
  [['sim', '--fault', 'teleport:b1@1s'], /unknown fault kind "teleport"/],
  [['sim', '--duration', '5'], /"5" is not a duration \(a unit is required\)/],
  [['sim', '--seed', 'banana'], /--seed must be an integer from 0 to 4294967295/],
  [['sim', '--rate-hz', '0'], /--rate-hz must be an integer from 1 to 1000/],
  [['sim', '--bogus'], /unknown option '--bogus'/],
  [['frobnicate'], /unknown command 'frobnicate'/],
  [['run'], /required option '-c, --config <file>' not specified/],
  [['console'], /missing required argument 'target'/],
  [['console', 'b1', '--run-dir', '/nonexistent-ftc'], /no console known for board "b1".*start `ftc sim` first/],
  [['console', 'b1;rm'], /neither a device path .* nor a board name/],
  [['console-passwd', '--cost', '99'], /--cost must be an integer from 10 to 20/],
];
for (const [args, message] of bad) {
  test(`"ftc ${args.join(' ')}" gets a clear message and exit code 2`, async (t) => {
    const r = await ftcIn(args);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, message);
    t.false(r.stderr.includes('    at '), 'no stack trace');
  });
}

test('through bin/ftc.js too, a bad fault spec exits 2 with the message', async (t) => {
  const r = await ftc(['sim', '--fault', 'kill:b9@5s']);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad fault spec "kill:b9@5s"/);
});

test('ftc run with a config that names an unknown board exits 2 and names the field and the fix', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftc-cli-'));
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'board: b9\n');
  const r = await ftc(['run', '--config', bad]);
  t.is(r.code, 2);
  t.regex(r.stderr, /board: "b9" is not allowed; fix: /);
  t.false(r.stderr.includes('    at '), 'no stack trace');
});

test('ftc run with a process section whose probe cannot work exits 2 naming process.probe.timeoutMs, before touching any hardware', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftc-cli-'));
  const cfg = path.join(dir, 'b1.yaml');
  const example = fs.readFileSync(fileURLToPath(new URL('../../hw/examples/b1.yaml', import.meta.url)), 'utf8');
  fs.writeFileSync(cfg, `${example}\nprocess:\n  command: python3 /opt/logger.py\n  probe: { http: "http://127.0.0.1:8080/health", intervalMs: 500, timeoutMs: 800 }\n`);
  const r = await ftc(['run', '--config', cfg]);
  t.is(r.code, 2);
  t.regex(r.stderr, /process\.probe\.timeoutMs: 800 is not less than probe\.intervalMs \(500 ms\).*fix: make timeoutMs smaller than intervalMs/);
  t.false(r.stderr.includes('    at '), 'no stack trace');
});

test('ftc doctor on this machine (no GPIO, no I2C, no watchdog) reports each problem with its fix and exits 1', async (t) => {
  const r = await ftc(['doctor', '--config', fileURLToPath(new URL('../../hw/examples/b1.yaml', import.meta.url))]);
  t.is(r.code, 1);
  t.regex(r.stdout, /ERROR sysfs GPIO: \/sys\/class\/gpio does not exist/);
  t.regex(r.stdout, /fix: /);
});

// The command, as typed on a fresh board from the repository. This machine has none of a
// Pi's devices; on a real board the premise is false, so the test registers only here.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
if (!['/sys/class/gpio', '/dev/i2c-1', '/dev/watchdog'].some((p) => fs.existsSync(p))) {
  test('ftc doctor --config hw/boards/rpi4.yaml checks this machine for that hardware and exits 1 on what is missing', async (t) => {
    const r = await ftc(['doctor', '--config', 'hw/boards/rpi4.yaml'], undefined, repoRoot);
    t.log(r.stdout);
    t.is(r.code, 1, r.stderr);
    t.is(r.stderr, '');
    const [first, ...report] = r.stdout.split('\n');
    t.regex(first!, /^ftc doctor: hw\/boards\/rpi4\.yaml is a hardware definition \(Raspberry Pi 4 Model B.*\): checking this machine for that hardware only; pass a board config \(hw\/examples\/b1\.yaml\)/);
    const rest = report.join('\n');
    t.regex(rest, /^ftc doctor: \d+ errors, \d+ warnings\n/);
    t.regex(rest, /ERROR sysfs GPIO: \/sys\/class\/gpio does not exist\n +fix: boot a kernel with CONFIG_GPIO_SYSFS/);
    t.regex(rest, /ERROR I²C bus: \/dev\/i2c-1 does not exist\n +fix: enable the bus \(config\.txt dtparam=i2c_arm=on\)/);
    t.regex(rest, /ERROR watchdog device: \/dev\/watchdog does not exist\n +fix: load the bcm2835_wdt driver/);
    t.regex(rest, /warn  serial port: \/dev\/ttyAMA3 \(uart3\) does not exist\n +fix: enable uart3: config\.txt dtoverlay=uart3/);
    t.notRegex(r.stdout, /is not a known key/, 'not read as a board config');
    t.false(r.stdout.includes('    at '), 'no stack trace');
  });
} else {
  console.log('test/cli: this machine has GPIO, I²C or a watchdog, skipping the "hardware definition on a bare machine" test');
}

test('ftc doctor with a hardware definition that has a typo names the typo, not 20 board-config keys, and exits 2', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftc-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rpi4.yaml');
  const rpi4 = fs.readFileSync(path.join(repoRoot, 'hw/boards/rpi4.yaml'), 'utf8');
  fs.writeFileSync(file, rpi4.replace(/^model:/m, 'modle:'));
  const r = await ftc(['doctor', '--config', file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^ftc doctor: the hardware definition has 1 problem\(s\):\n.*rpi4\.yaml:3: modle: .* fix: rename "modle" to "model"/);
  t.false(r.stderr.includes('    at '), 'no stack trace');
});

test('ftc console-passwd makes a hash from stdin that the console accepts', async (t) => {
  const r = await ftc(['console-passwd', '--cost', '10'], 'lab password\n');
  t.is(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  t.regex(hash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.true(await verifyPassword('lab password', hash));
  t.false(await verifyPassword('lab passwort', hash));
  const empty = await ftc(['console-passwd'], '\n');
  t.is(empty.code, 2);
  t.regex(empty.stderr, /the password is empty/);
});

test('ftc console b1 finds the pty through the run directory, runs a command and returns', async (t) => {
  const pair = await openPtyPair();
  t.teardown(() => pair.close());
  serveConsole({
    link: pair.link, clock: monotonicClock, backend: fakeBackend(), board: 'b1', boards: ['b1', 'b2', 'b3'],
    passwordHash: null, verifyPassword, injectEnabled: false,
  });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftc-run-'));
  writeConsolePath(runDir, 'b1', pair.path);
  // Scripted use: stdin is a pipe; the client waits briefly for the answer after stdin ends.
  const r = await ftc(['console', 'b1', '--run-dir', runDir], 'members\r');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /attached to \/dev\/pts\/\d+; Ctrl-\] to quit/);
  t.regex(r.stdout, /b3 +fenced +fenced/);
});
