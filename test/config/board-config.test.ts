import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { DEFAULTS, loadBoardConfig, parseBoardConfig } from '../../src/config/index.ts';

const B1_PATH = fileURLToPath(new URL('../../hw/examples/b1.yaml', import.meta.url));
const B1_TEXT = readFileSync(B1_PATH, 'utf8');

/** b1.yaml with one field changed (undefined deletes it), parsed as hw/boards/b1.yaml. */
function parseWith(changes: [path: (string | number)[], value: unknown][]) {
  const doc = parseDocument(B1_TEXT);
  for (const [path, value] of changes) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, value);
  }
  return parseBoardConfig(doc.toString(), 'hw/boards/b1.yaml');
}

test('the three example board configs of the lab rig load', (t) => {
  for (const b of ['b1', 'b2', 'b3'] as const) {
    const r = loadBoardConfig(fileURLToPath(new URL(`../../hw/examples/${b}.yaml`, import.meta.url)));
    if (!r.ok) t.fail(r.errors.join('\n'));
    else {
      t.is(r.config.board, b);
      t.is(r.config.hardware, 'rpi4');
      t.is(r.config.links.serial.length, 2);
    }
  }
});

test('b1 reads as written: pins, I²C addresses in hex, auth, watchdog', (t) => {
  const r = loadBoardConfig(B1_PATH);
  if (!r.ok) return t.fail(r.errors.join('\n'));
  const c = r.config;
  t.deepEqual(c.gpio.powerGoodA, { pin: 17, activeLow: true });
  t.deepEqual(c.gpio.resetLines, [
    { peer: 'b2', pin: 23, activeLow: false },
    { peer: 'b3', pin: 24, activeLow: false },
  ]);
  t.deepEqual(c.gpio.statusLeds.role, { pin: 25, activeLow: false });
  t.deepEqual(c.i2c.ina219[1], { rail: '5V-B', address: 0x41, shuntMilliohms: 100 });
  t.deepEqual(c.auth, { kind: 'key-file', keyFile: '/etc/ftc/rig.key' });
  t.deepEqual(c.watchdog, { kind: 'dev', device: '/dev/watchdog', timeoutMs: 10_000, feedPeriodMs: 1000 });
  t.is(c.gpio.maintenanceButton.holdMs, 3000);
});

test('keys left out take the defaults from defaults.ts', (t) => {
  const r = parseWith([
    [['watchdog'], undefined],
    [['cycleHz'], undefined],
    [['redundancy'], undefined],
    [['eventLog'], undefined],
    [['console'], undefined],
    [['links', 'serial', 0, 'baudRate'], undefined],
    [['gpio', 'maintenanceButton'], 16],
  ]);
  if (!r.ok) return t.fail(r.errors.join('\n'));
  t.deepEqual(r.config.watchdog, { ...DEFAULTS.watchdog });
  t.is(r.config.cycleHz, DEFAULTS.cycleHz);
  t.deepEqual(r.config.redundancy, { ...DEFAULTS.redundancy });
  t.deepEqual(r.config.eventLog, { ...DEFAULTS.eventLog });
  t.false(r.config.console.allowInject);
  t.is(r.config.links.serial[0]!.baudRate, DEFAULTS.serialBaudRate);
  t.deepEqual(r.config.gpio.maintenanceButton, { pin: 16, activeLow: false, holdMs: DEFAULTS.button.holdMs, debounceMs: DEFAULTS.button.debounceMs });
});

/** Each bad field: [description, change, field path expected in the message, value shown]. */
const badFields: [string, [(string | number)[], unknown][], string, string][] = [
  ['an unknown board id', [[['board'], 'b4']], 'board:', '"b4"'],
  ['an unknown hardware', [[['hardware'], 'rpi3']], 'hardware:', '"rpi3"'],
  ['a serial path that is no UART of the board', [[['links', 'serial', 0, 'path'], '/dev/ttyS9']], 'links.serial[0].path:', '"/dev/ttyS9"'],
  ['a serial path outside /dev', [[['links', 'serial', 0, 'path'], 'ttyAMA3']], 'links.serial[0].path:', '"ttyAMA3"'],
  ['a baud rate out of range', [[['links', 'serial', 1, 'baudRate'], 10]], 'links.serial[1].baudRate:', '10'],
  ['a UDP port of zero', [[['links', 'udp', 'port'], 0]], 'links.udp.port:', '0'],
  ['a peer address that is not an IP', [[['links', 'udp', 'peers', 0, 'address'], 'board2.local']], 'links.udp.peers[0].address:', '"board2.local"'],
  ['a key that is not hex', [[['auth'], { keyHex: 'zz' }]], 'auth.keyHex:', '"zz"'],
  ['an unknown auth word', [[['auth'], 'none']], 'auth:', '"none"'],
  ['a pin off the header', [[['gpio', 'alarm', 'pin'], 40]], 'gpio.alarm.pin:', '40'],
  ['a pin used twice', [[['gpio', 'alarm', 'pin'], 25]], 'gpio.alarm.pin:', '25'],
  ['a pin that is a UART in use', [[['gpio', 'alarm', 'pin'], 4]], 'gpio.alarm.pin:', '4'],
  ['a pin that is the I²C bus', [[['gpio', 'alarm', 'pin'], 2]], 'gpio.alarm.pin:', '2'],
  ['activeLow written as yes', [[['gpio', 'powerGoodA', 'activeLow'], 'yes']], 'gpio.powerGoodA.activeLow:', '"yes"'],
  ['a reset line to the board itself', [[['gpio', 'resetLines', 1, 'peer'], 'b1']], 'gpio.resetLines[1].peer:', '"b1"'],
  ['an INA219 address outside 0x40-0x4F', [[['i2c', 'ina219', 0, 'address'], 0x60]], 'i2c.ina219[0].address:', '96'],
  ['two I²C devices on one address', [[['i2c', 'ina219', 1, 'address'], 0x40]], 'i2c.ina219[1].address:', '"0x40"'],
  ['an I²C bus the board lacks', [[['i2c', 'bus'], 3]], 'i2c.bus:', '3'],
  ['a watchdog timeout over the bcm2835 maximum', [[['watchdog', 'timeoutMs'], 20_000]], 'watchdog.timeoutMs:', '20000'],
  ['a feed period over half the timeout', [[['watchdog', 'feedPeriodMs'], 6000]], 'watchdog.feedPeriodMs:', '6000'],
  ['an unknown watchdog kind', [[['watchdog', 'kind'], 'hw']], 'watchdog.kind:', '"hw"'],
  ['a gpio-kick watchdog with no kick pin', [[['watchdog', 'kind'], 'gpio-kick']], 'gpio.watchdogKick:', '(missing)'],
  ['a cycle rate of zero', [[['cycleHz'], 0]], 'cycleHz:', '0'],
  ['simplex allowed without duplex', [[['redundancy', 'allowDuplex'], false], [['redundancy', 'allowSimplex'], true]], 'redundancy.allowSimplex:', 'true'],
  ['a malformed password hash', [[['console', 'passwordHash'], 'md5$abc']], 'console.passwordHash:', '"md5$abc"'],
  ['a console on a peer link port', [[['console', 'serialPath'], '/dev/ttyAMA3']], 'console.serialPath:', '"/dev/ttyAMA3"'],
  ['an event log size too small', [[['eventLog', 'bytesMax'], 100]], 'eventLog.bytesMax:', '100'],
  ['a missing rig', [[['rig'], undefined]], 'rig:', '(missing)'],
  ['a rig that does not list the board', [[['rig', 'peers', 0, 'id'], 'b3'], [['rig', 'peers', 2], undefined]], 'rig.peers:', '["b3","b2"]'],
  ['a typo in a key', [[['gpio', 'powerGoodB'], undefined], [['gpio', 'powerGodB'], { pin: 27, activeLow: true }]], 'gpio.powerGodB:', '{"pin":27,"activeLow":true}'],
];

for (const [what, changes, field, shown] of badFields) {
  test(`${what} gives one message naming the field, the value and the fix`, (t) => {
    const r = parseWith(changes);
    if (r.ok) return t.fail('config was accepted');
    t.is(r.errors.length, 1, r.errors.join('\n'));
    const msg = r.errors[0]!;
    t.regex(msg, /^hw\/boards\/b1\.yaml(:\d+)?: /);
    t.true(msg.includes(` ${field} ${shown} `), msg);
    t.regex(msg, /; fix: \S/);
  });
}

test('a typo in a key suggests the right name', (t) => {
  const r = parseWith([[['cycleHZ'], 50], [['cycleHz'], undefined]]);
  if (r.ok) return t.fail('config was accepted');
  t.deepEqual(r.errors.length, 1);
  t.regex(r.errors[0]!, /cycleHZ: 50 is not a known key; fix: rename "cycleHZ" to "cycleHz"/);
});

test('an unknown key with no near match lists the known keys', (t) => {
  const r = parseWith([[['gpio', 'frobnicator'], 5]]);
  if (r.ok) return t.fail('config was accepted');
  t.regex(r.errors[0]!, /gpio\.frobnicator: 5 is not a known key of gpio; fix: remove it \(known keys: powerGoodA, /);
});

test('every problem in a file is reported, not just the first', (t) => {
  const r = parseWith([
    [['cycleHz'], 'fast'],
    [['board'], 'b9'],
    [['gpio', 'alarm', 'pin'], -1],
    [['eventLog', 'dir'], 'relative/dir'],
  ]);
  if (r.ok) return t.fail('config was accepted');
  t.is(r.errors.length, 4, r.errors.join('\n'));
  for (const field of ['cycleHz:', 'board:', 'gpio.alarm.pin:', 'eventLog.dir:']) t.true(r.errors.some((e) => e.includes(` ${field} `)), field);
});

test('cross-field problems are all reported together too', (t) => {
  const r = parseWith([
    [['links', 'serial', 0, 'path'], '/dev/ttyS9'],
    [['watchdog', 'timeoutMs'], 20_000],
    [['i2c', 'ina219', 1, 'address'], 0x40],
  ]);
  if (r.ok) return t.fail('config was accepted');
  t.is(r.errors.length, 3, r.errors.join('\n'));
});

test('a typo in one section does not hide a cross-field problem in another', (t) => {
  const r = parseWith([
    [['cycleHZ'], 50],
    [['cycleHz'], undefined],
    [['links', 'serial', 0, 'path'], '/dev/ttyS9'],
    [['gpio', 'alarm', 'pin'], 25],
  ]);
  if (r.ok) return t.fail('config was accepted');
  t.is(r.errors.length, 3, r.errors.join('\n'));
  t.regex(r.errors.join('\n'), /cycleHZ: 50 is not a known key/);
  t.regex(r.errors.join('\n'), /links\.serial\[0\]\.path: "\/dev\/ttyS9" is not a UART of rpi4/);
  t.regex(r.errors.join('\n'), /gpio\.alarm\.pin: 25 is already used by gpio\.statusLeds\.role/);
});

test('a YAML syntax error names the line', (t) => {
  const r = parseBoardConfig('board: b1\ngpio: [1, 2\n', 'bad.yaml');
  if (r.ok) return t.fail('config was accepted');
  t.regex(r.errors[0]!, /^bad\.yaml:\d+: YAML syntax: .*; fix: /);
});

test('a duplicated key is a YAML error, not a silent override', (t) => {
  const r = parseBoardConfig(`${B1_TEXT}\ncycleHz: 100\n`, 'dup.yaml');
  if (r.ok) return t.fail('config was accepted');
  t.regex(r.errors.join('\n'), /dup\.yaml:\d+: YAML syntax: .*unique/i);
});

test('a missing file names the path and the cause', (t) => {
  const r = loadBoardConfig('/nonexistent/b1.yaml');
  if (r.ok) return t.fail('config was accepted');
  t.deepEqual(r.errors, ['/nonexistent/b1.yaml: cannot read (ENOENT); fix: check the path and that the ftc user may read it']);
});

test('auth takes a key file, a hex key, or the explicit lab setting, and not two at once', (t) => {
  const hex = 'ab'.repeat(32);
  const asHex = parseWith([[['auth'], { keyHex: hex.toUpperCase() }]]);
  t.deepEqual(asHex.ok && asHex.config.auth, { kind: 'key-hex', keyHex: hex });
  const lab = parseWith([[['auth'], 'none-lab']]);
  t.deepEqual(lab.ok && lab.config.auth, { kind: 'none-lab' });
  const both = parseWith([[['auth'], { keyHex: hex, keyFile: '/etc/ftc/rig.key' }]]);
  t.false(both.ok);
  t.regex(both.ok ? '' : both.errors[0]!, /auth: .* must set exactly one of keyFile, keyHex; fix: /);
});

test('a pin may be written as a bare number for an active-high line', (t) => {
  const r = parseWith([[['gpio', 'alarm'], 26]]);
  t.deepEqual(r.ok && r.config.gpio.alarm, { pin: 26, activeLow: false });
});

test('a USB serial adapter is accepted as a peer link', (t) => {
  const r = parseWith([[['links', 'serial', 0, 'path'], '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0']]);
  t.true(r.ok, r.ok ? '' : r.errors.join('\n'));
});
