import test from 'ava';
import { PasswordHashError, verifyPassword } from '../../src/console/password.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import {
  checkBoardAgainstRig,
  hashConsolePassword,
  loadBoardConfig,
  loadHardwareDefs,
  loadRig,
  parseHardwareDef,
  parseRig,
  pinLabel,
  rigBoardConfigPath,
  sysfsPin,
} from '../../src/config/index.ts';

const RIG_PATH = fileURLToPath(new URL('../../hw/rigs/lab.yaml', import.meta.url));
const RPI4_PATH = fileURLToPath(new URL('../../hw/boards/rpi4.yaml', import.meta.url));

test('the hardware definitions of the Pi 4, Pi 5 and BeagleBone Black load', (t) => {
  const defs = loadHardwareDefs();
  t.deepEqual([...defs.keys()].sort(), ['bbb', 'rpi4', 'rpi5']);
  t.is(defs.get('rpi4')!.watchdog.timeoutMaxMs, 15_000);
  t.is(defs.get('bbb')!.watchdog.driver, 'omap_wdt');
  t.is(defs.get('bbb')!.gpio.chips.length, 4);
});

test('a config pin maps to the kernel sysfs number through the chip base', (t) => {
  const defs = loadHardwareDefs();
  const rpi4 = defs.get('rpi4')!;
  t.is(sysfsPin(rpi4, 17), 512 + 17, 'Pi 4 on kernels >= 6.6 by default');
  t.is(sysfsPin(rpi4, 17, new Map([['pinctrl-bcm2711', 0]])), 17, 'an older kernel, base read at run time');
  t.is(sysfsPin(defs.get('rpi5')!, 17), 571 + 17);
  const bbb = defs.get('bbb')!;
  t.is(sysfsPin(bbb, 60), 60, 'GPIO1_28 on bank 1');
  t.is(sysfsPin(bbb, 60, new Map([['gpio-32-63', 544]])), 544 + 28, 'a kernel with dynamic bases');
  t.throws(() => sysfsPin(bbb, 200), { instanceOf: RangeError });
  t.is(pinLabel(rpi4, 17), 'GPIO17 (J8-11)');
  t.is(pinLabel(bbb, 60), 'GPIO60 (P9_12)');
});

test('a hardware definition with a header pin on no chip is refused with the fix', (t) => {
  const doc = parseDocument(readFileSync(RPI4_PATH, 'utf8'));
  doc.setIn(['gpio', 'header', 99], 'J8-99');
  doc.setIn(['watchdog', 'timeoutDefaultMs'], 20_000);
  const r = parseHardwareDef(doc.toString(), 'hw/boards/rpi4.yaml');
  if (r.ok) return t.fail('accepted');
  t.is(r.errors.length, 2, r.errors.join('\n'));
  t.regex(r.errors.join('\n'), /gpio\.header\.99: 99 is on no GPIO chip of this board; fix: /);
  t.regex(r.errors.join('\n'), /watchdog\.timeoutDefaultMs: 20000 is over timeoutMaxMs \(15000\); fix: /);
});

test('the lab rig loads and its three board configs agree with its wiring', (t) => {
  const r = loadRig(RIG_PATH);
  if (!r.ok) return t.fail(r.errors.join('\n'));
  t.is(r.rig.boards.length, 3);
  for (const b of r.rig.boards) {
    const path = rigBoardConfigPath(RIG_PATH, b);
    if (!path) return t.fail(`${b.id} has no config`);
    const c = loadBoardConfig(path);
    if (!c.ok) return t.fail(c.errors.join('\n'));
    t.deepEqual(checkBoardAgainstRig(r.rig, c.config), [], b.id);
  }
});

test('a board config wired differently from the rig is told what the rig says', (t) => {
  const rig = loadRig(RIG_PATH);
  const b2 = loadBoardConfig(fileURLToPath(new URL('../../hw/examples/b2.yaml', import.meta.url)));
  if (!rig.ok || !b2.ok) return t.fail('fixtures do not load');
  const swapped = structuredClone(b2.config);
  swapped.links.serial = swapped.links.serial.map((l) => ({ ...l, path: l.path === '/dev/ttyAMA3' ? '/dev/ttyAMA5' : '/dev/ttyAMA3' }));
  swapped.gpio.outputSelect[0]!.pin = 19;
  const problems = checkBoardAgainstRig(rig.rig, swapped);
  t.is(problems.length, 3, problems.join('\n'));
  t.true(problems.some((p) => p.startsWith('b2: links.serial(b1).path: "/dev/ttyAMA5" disagrees with rig lab (b2.uart3 is cabled to b1.uart3); fix: write path: /dev/ttyAMA3')), problems.join('\n'));
  t.true(problems.some((p) => p.includes('gpio.outputSelect(voteA)') && p.includes('fix: write { name: voteA, pin: 20')));
});

test('a rig whose relay ladder is not 2-out-of-3 is refused', (t) => {
  const doc = parseDocument(readFileSync(RIG_PATH, 'utf8'));
  doc.setIn(['outputStage', 'branches', 2], ['b3.voteB', 'b2.voteA']);
  const r = parseRig(doc.toString(), 'lab.yaml');
  if (r.ok) return t.fail('accepted');
  t.regex(r.errors.join('\n'), /has 0 branches closing on b1 and b3 together; fix: for 2-out-of-3/);
  t.regex(r.errors.join('\n'), /outputStage\.branches\[2\]\[1\]: "b2\.voteA" is already used by branches\[0\]\[1\]/);
});

test('a rig missing a cable or a fencing line says which', (t) => {
  const doc = parseDocument(readFileSync(RIG_PATH, 'utf8'));
  doc.deleteIn(['serial', 2]);
  doc.deleteIn(['reset', 5]);
  doc.setIn(['serial', 0, 'a', 'uart'], 'uart9');
  const r = parseRig(doc.toString(), 'lab.yaml');
  if (r.ok) return t.fail('accepted');
  const all = r.errors.join('\n');
  t.is(r.errors.length, 3, all);
  t.regex(all, /serial: 2 has no cable between b1 and b3; fix: add/);
  t.regex(all, /reset: 5 has no line from b3 to reset b2; fix: add \{ from: b3, pin: <GPIO>, to: b2 \}/);
  t.regex(all, /serial\[0\]\.a\.uart: "uart9" is not a UART of rpi4; fix: use one of uart0, uart2, uart3, uart4, uart5/);
});

test('a console password hash verifies the password it was made from and nothing else', async (t) => {
  const hash = hashConsolePassword('correct horse', { N: 1024 });
  t.regex(hash, /^scrypt\$1024\$8\$1\$/);
  t.true(await verifyPassword('correct horse', hash));
  t.false(await verifyPassword('correct horsf', hash));
  await t.throwsAsync(verifyPassword('correct horse', 'scrypt$1024$8$1$AAAAAAAAAAA=$AAAA'), { instanceOf: PasswordHashError }, 'too short a hash');
  await t.throwsAsync(verifyPassword('x', `scrypt$${2 ** 24}$8$1$AAAAAAAAAAA=$${'A'.repeat(44)}`), { instanceOf: PasswordHashError }, 'absurd cost is refused, not computed');
  t.not(hashConsolePassword('same', { N: 1024 }), hashConsolePassword('same', { N: 1024 }), 'salted');
  t.throws(() => hashConsolePassword(''), { instanceOf: RangeError });
});
