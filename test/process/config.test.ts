/**
 * The process section (src/process/config.ts): a YAML file for `ftc sim --process FILE.yaml`, or
 * `process:` in a board config. Every bad config is one message naming the field and the fix,
 * and `ftc sim` exits 2 before it starts anything.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { parseBoardConfig } from '../../src/config/board.ts';
import { loadProcessFile } from '../../src/process/config.ts';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'ftc-process-config-'));
let n = 0;
const file = (text: string) => {
  const p = join(dir, `p${n++}.yaml`);
  writeFileSync(p, text);
  return p;
};
/** At 20 Hz: a cycle is 50 ms. */
const load = (text: string) => loadProcessFile(file(text), 50);
const errorsOf = (text: string): string[] => {
  const r = load(text);
  return 'errors' in r ? r.errors : [];
};

test('a full section reads into the spec: command split, env as strings, probe and address, defaults for the rest', (t) => {
  const r = load(`
command: python3 "my logger.py" -v
env: { LEVEL: info, N: 3 }
syncPeriodMs: 100
probe: { tcp: 127.0.0.1:8080, intervalMs: 500, timeoutMs: 200 }
address: { cidr: 10.77.0.100/24, dev: bond0 }
netns: ftc-{board}
`);
  if ('errors' in r) return t.fail(r.errors.join('\n'));
  t.deepEqual(r.spec.argv, ['python3', 'my logger.py', '-v']);
  t.deepEqual(r.spec.env, { LEVEL: 'info', N: '3' });
  t.is(r.spec.syncPeriodMs, 100);
  t.deepEqual(r.spec.probe, { target: { kind: 'tcp', host: '127.0.0.1', port: 8080 }, intervalMs: 500, timeoutMs: 200, failuresMax: 3, startGraceMs: 5000 });
  t.deepEqual(r.spec.address, { cidr: '10.77.0.100/24', dev: 'bond0' });
  t.is(r.spec.netns, 'ftc-{board}');
  t.is(r.spec.restartsMax, 3);
});

test('the section may sit under a process: key, as in a board config', (t) => {
  const r = load('process:\n  command: [./drv, --fast]\n');
  t.deepEqual('spec' in r ? r.spec.argv : r.errors, ['./drv', '--fast']);
});

test('no command: one message naming process command and the fix', (t) => {
  for (const text of ['syncPeriodMs: 200\n', 'command: ""\n', 'command: []\n']) {
    const e = errorsOf(text);
    t.is(e.length, 1, text);
    t.regex(e[0]!, /command: .*(is required|is empty|has 0 items).*fix: /, text);
  }
});

test('an impossible probe interval: the timeout not below the interval, or faster than a cycle', (t) => {
  const slow = errorsOf('command: ./x\nprobe: { http: "http://127.0.0.1/health", intervalMs: 500, timeoutMs: 500 }\n');
  t.is(slow.length, 1);
  t.regex(slow[0]!, /probe\.timeoutMs: 500 is not less than probe\.intervalMs \(500 ms\).*fix: make timeoutMs smaller than intervalMs, e\.g\. timeoutMs: 250/);
  const fast = errorsOf('command: ./x\nprobe: { tcp: "127.0.0.1:1", intervalMs: 20, timeoutMs: 5 }\n');
  t.is(fast.length, 1);
  t.regex(fast[0]!, /probe\.intervalMs: 20 .*fix: probe at most once per cycle \(50 ms at this rate\)/);
});

test('a probe names exactly one check', (t) => {
  t.regex(errorsOf('command: ./x\nprobe: { intervalMs: 1000 }\n')[0]!, /probe: .* names no check; fix: give exactly one of tcp/);
  t.regex(errorsOf('command: ./x\nprobe: { tcp: "h:1", exec: "true" }\n')[0]!, /names tcp and exec/);
});

test('a state limit over what the links carry, a typo, and a bad address: each named with its fix', (t) => {
  t.regex(errorsOf('command: ./x\nstateBytesMax: 1000000\n')[0]!, /stateBytesMax: 1000000 .*fix: keep the state directory within 60 KiB/);
  t.regex(errorsOf('command: ./x\nsyncPeriodMS: 100\n')[0]!, /syncPeriodMS: 100 is not a known key; fix: rename "syncPeriodMS" to "syncPeriodMs"/);
  t.regex(errorsOf('command: ./x\naddress: { cidr: 10.0.0.300, dev: eth0 }\n')[0]!, /address\.cidr: "10\.0\.0\.300" .*fix: write e\.g\. 10\.77\.0\.100\/24/);
});

const bin = (args: string[]) => {
  let err = '';
  return main(['node', 'ftc', 'sim', ...args], { out: () => {}, err: (s) => (err += s) }).then((code) => ({ code, err }));
};

test('ftc sim --process FILE.yaml with a bad config: exit 2, the message names the field, nothing starts', async (t) => {
  const r = await bin(['--process', file('command: ./x\nprobe: { tcp: "127.0.0.1:9", intervalMs: 100, timeoutMs: 100 }\n'), '--duration', '1s', '--json']);
  t.is(r.code, 2);
  t.regex(r.err, /--process: 1 problem\(s\):\n .*probe\.timeoutMs: .*fix: /);
  const missing = await bin(['--process', join(dir, 'nope.yaml'), '--json']);
  t.is(missing.code, 2);
  t.regex(missing.err, /--process: .*nope\.yaml does not exist; fix: /);
});

test('ftc sim --process with a state directory over the limit: exit 2 naming the limit', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'ftc-state-big-'));
  writeFileSync(join(state, 'big.bin'), Buffer.alloc(2000));
  const r = await bin(['--process', file('command: ./x\nstateBytesMax: 1000\n'), '--state-dir', state, '--json']);
  t.is(r.code, 2);
  t.regex(r.err, /--state-dir: the state directory holds 1 files, \d+ bytes: over 64 files or 1000 bytes \(process\.stateBytesMax/);
});

const example = readFileSync(fileURLToPath(new URL('../../hw/examples/b1.yaml', import.meta.url)), 'utf8');

test('a board config with process: is checked with the rest, and a workload beside it is refused', (t) => {
  const ok = parseBoardConfig(`${example}\nprocess:\n  command: python3 /opt/logger.py\n  stateDir: /var/lib/ftc/logger\n`, 'b1.yaml');
  t.true(ok.ok, ok.ok ? '' : ok.errors.join('\n'));
  if (ok.ok) t.deepEqual(ok.config.process?.argv, ['python3', '/opt/logger.py']);
  const both = parseBoardConfig(`${example}\nworkload: { module: ./w.mjs }\nprocess:\n  command: ./x\n  probe: { exec: "true", intervalMs: 10, timeoutMs: 5 }\n`, 'b1.yaml');
  t.false(both.ok);
  if (!both.ok) {
    t.true(both.errors.some((e) => /process\.probe\.intervalMs: 10 .*fix: probe at most once per cycle/.test(e)), both.errors.join('\n'));
    t.true(both.errors.some((e) => /workload: .* is set beside process; fix: give one/.test(e)), both.errors.join('\n'));
  }
});
