import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoardConfig, loadHardwareDefs, type BoardConfig } from '../../src/config/index.ts';
import { readSysfsGpioChips, sysfsPinMapper } from '../../src/hw/gpio-chips.ts';
import { formatDoctorReport, runDoctor, runHardwareDoctor, type Problem } from '../../src/hw/doctor.ts';

const B1 = (() => {
  const r = loadBoardConfig(fileURLToPath(new URL('../../hw/examples/b1.yaml', import.meta.url)));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
})();

/** A fixture filesystem: a healthy Raspberry Pi 4 on kernel 6.6 with the lab rig's b1 set up. */
function healthyPi4(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'ftc-doctor-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const file = (path: string, text = '') => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file('sys/class/gpio/export');
  file('sys/class/gpio/gpiochip512/base', '512\n');
  file('sys/class/gpio/gpiochip512/label', 'pinctrl-bcm2711\n');
  file('sys/class/gpio/gpiochip512/ngpio', '58\n');
  file('sys/class/gpio/gpiochip570/base', '570\n');
  file('sys/class/gpio/gpiochip570/label', 'raspberrypi-exp-gpio\n');
  file('sys/class/gpio/gpiochip570/ngpio', '8\n');
  for (const dev of ['dev/i2c-1', 'dev/ttyAMA0', 'dev/ttyAMA3', 'dev/ttyAMA5', 'dev/watchdog']) file(dev);
  file('sys/class/watchdog/watchdog0/max_timeout', '15\n');
  file('etc/group', 'root:x:0:\ngpio:x:997:ftc\ni2c:x:998:ftc\ndialout:x:20:ftc\nwatchdog:x:996:ftc\n');
  file('etc/systemd/system.conf', '[Manager]\n#RuntimeWatchdogSec=off\n');
  file('etc/ftc/rig.key', 'k'.repeat(32));
  chmodSync(join(root, 'etc/ftc/rig.key'), 0o600);
  mkdirSync(join(root, 'var/lib/ftc/events'), { recursive: true });
  file('run/systemd/timesync/synchronized');
  mkdirSync(join(root, 'proc/1/fd'), { recursive: true });
  file('proc/1/comm', 'systemd\n');
  return root;
}

/** b1 on the lab network: eth0 10.77.0.1/24. */
const labInterfaces = () => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [{ address: '10.77.0.1', netmask: '255.255.255.0', family: 'IPv4' as const, mac: 'dc:a6:32:00:00:01', internal: false, cidr: '10.77.0.1/24' }],
});
const env = (root: string) => ({ root, nodeVersion: '20.20.2', uid: 1001, gids: [997, 998, 20, 996], interfaces: labInterfaces });
const checks = (problems: Problem[]) => problems.map((p) => `${p.severity} ${p.check}`);

// This container has none of a Pi's devices (docs/README.md: the development machine). On a real board the
// premise is false, so the test registers only where /sys/class/gpio is absent.
if (!existsSync('/sys/class/gpio')) {
  test('on this machine, b1 is told clearly that GPIO, I²C and the watchdog are missing', (t) => {
    const problems = runDoctor(B1);
    const report = formatDoctorReport(problems);
    t.log(report);
    const find = (check: string) => problems.find((p) => p.check === check);
    t.is(find('sysfs GPIO')?.severity, 'error');
    t.regex(find('sysfs GPIO')!.found, /\/sys\/class\/gpio does not exist/);
    t.regex(find('I²C bus')!.found, /\/dev\/i2c-1 does not exist/);
    t.regex(find('I²C bus')!.fix, /dtparam=i2c_arm=on/);
    t.regex(find('watchdog device')!.found, /\/dev\/watchdog does not exist/);
    t.regex(find('watchdog device')!.fix, /bcm2835_wdt/);
    t.regex(report, /^ftc doctor: \d+ errors, \d+ warnings?\nERROR /);
    for (const p of problems) t.true(p.check.length > 0 && p.found.length > 0 && p.fix.length > 0, JSON.stringify(p));
  });
} else {
  console.log('test/hw/doctor: /sys/class/gpio exists, skipping the "missing hardware on this machine" test');
}

test('a healthy Pi 4 fixture passes every check', (t) => {
  const root = healthyPi4(t);
  const problems = runDoctor(B1, env(root));
  t.deepEqual(problems, [], formatDoctorReport(problems));
  t.is(formatDoctorReport(problems), 'ftc doctor: every check passed');
});

test('a kernel that put gpiochip0 at another base is a warning naming the base and the file to update', (t) => {
  const root = healthyPi4(t);
  writeFileSync(join(root, 'sys/class/gpio/gpiochip512/base'), '600\n');
  const problems = runDoctor(B1, env(root));
  t.deepEqual(checks(problems), ['warning GPIO chip base']);
  t.is(problems[0]!.found, 'gpiochip512 "pinctrl-bcm2711" has base 600, hw/boards/rpi4.yaml lists 512, 0');
  t.regex(problems[0]!.fix, /add 600 to sysfsBases in hw\/boards\/rpi4\.yaml/);
});

test('a board that is not the configured hardware is told so', (t) => {
  const root = healthyPi4(t);
  writeFileSync(join(root, 'sys/class/gpio/gpiochip512/label'), 'pinctrl-rp1\n');
  const problems = runDoctor(B1, env(root));
  t.deepEqual(checks(problems), ['error GPIO chip']);
  t.regex(problems[0]!.found, /no gpiochip labelled pinctrl-bcm2711 \(have: gpiochip512 "pinctrl-rp1", gpiochip570 "raspberrypi-exp-gpio"\)/);
  t.regex(problems[0]!.fix, /Raspberry Pi 4/);
});

test('a watchdog already held by another process or by systemd is reported busy', (t) => {
  const root = healthyPi4(t);
  mkdirSync(join(root, 'proc/812/fd'), { recursive: true });
  writeFileSync(join(root, 'proc/812/comm'), 'watchdog\n');
  symlinkSync('/dev/watchdog', join(root, 'proc/812/fd/3'));
  mkdirSync(join(root, 'etc/systemd/system.conf.d'));
  writeFileSync(join(root, 'etc/systemd/system.conf.d/wd.conf'), '[Manager]\nRuntimeWatchdogSec=15\n');
  const problems = runDoctor(B1, env(root));
  t.deepEqual(checks(problems), ['error watchdog busy', 'error watchdog busy']);
  t.regex(problems[0]!.found, /held by pid 812 \(watchdog\)/);
  t.regex(problems[1]!.found, /RuntimeWatchdogSec=15/);
});

test('a timeout over the device maximum, a missing UART and a loose key file are each reported', (t) => {
  const root = healthyPi4(t);
  writeFileSync(join(root, 'sys/class/watchdog/watchdog0/max_timeout'), '8\n');
  rmSync(join(root, 'dev/ttyAMA5'));
  chmodSync(join(root, 'etc/ftc/rig.key'), 0o644);
  const problems = runDoctor(B1, env(root));
  t.deepEqual(checks(problems), ['error serial port', 'error watchdog timeout', 'warning rig key']);
  t.regex(problems[0]!.found, /ttyAMA5 \(link to b3\) does not exist/);
  t.regex(problems[0]!.fix, /dtoverlay=uart5/);
  t.regex(problems[1]!.fix, /<= 8000/);
  t.regex(problems[2]!.fix, /chmod 600/);
});

test('an old Node, a sim watchdog and a lab key are reported with severities', (t) => {
  const root = healthyPi4(t);
  const config: BoardConfig = { ...B1, auth: { kind: 'none-lab' }, watchdog: { ...B1.watchdog, kind: 'sim' } };
  const problems = runDoctor(config, { ...env(root), nodeVersion: '20.10.0' });
  t.deepEqual(checks(problems), ['error node version', 'warning watchdog', 'warning rig key']);
  const report = formatDoctorReport(problems);
  t.regex(report, /^ftc doctor: 1 error, 2 warnings\nERROR node version: Node 20\.10\.0\n {6}fix: install Node >= 20\.11\.0/);
});

test('a user outside the gpio, i2c and dialout groups is told to join them when access is denied', (t) => {
  const root = healthyPi4(t);
  const denied = (path: string) => !/\/(export|i2c-1|ttyAMA3)$/.test(path);
  const problems = runDoctor(B1, { ...env(root), gids: [20], canReadWrite: denied });
  t.deepEqual(checks(problems), ['error GPIO permissions', 'error I²C permissions', 'error serial permissions']);
  t.regex(problems[0]!.fix, /install hw\/udev\/99-ftc\.rules and add the ftc user to group gpio \(sudo usermod -aG gpio ftc; log in again\)/);
  t.regex(problems[1]!.fix, /usermod -aG i2c ftc/);
  t.notRegex(problems[2]!.fix, /usermod/, 'already in dialout: only the udev rule is missing');
});

test('config pins map to sysfs numbers through the bases read from sysfs', (t) => {
  const root = healthyPi4(t);
  const rpi4 = loadHardwareDefs().get('rpi4')!;
  t.deepEqual(readSysfsGpioChips(root).find((c) => c.label === 'pinctrl-bcm2711'), { dir: 'gpiochip512', base: 512, label: 'pinctrl-bcm2711', lines: 58 });
  t.is(sysfsPinMapper(rpi4, root)(17), 529);
  writeFileSync(join(root, 'sys/class/gpio/gpiochip512/base'), '0\n');
  t.is(sysfsPinMapper(rpi4, root)(17), 17, 'a pre-6.6 kernel');
  t.deepEqual(readSysfsGpioChips(join(root, 'nowhere')), []);
});

test('a board off the rig network is told which peer subnet it cannot reach', (t) => {
  const root = healthyPi4(t);
  const wifiOnly = () => ({ wlan0: [{ address: '192.168.1.40', netmask: '255.255.255.0', family: 'IPv4' as const, mac: 'dc:a6:32:00:00:02', internal: false, cidr: '192.168.1.40/24' }] });
  const config: BoardConfig = { ...B1, links: { ...B1.links, udp: { ...B1.links.udp, bind: '10.77.0.1' } } };
  const problems = runDoctor(config, { ...env(root), interfaces: wifiOnly });
  t.deepEqual(checks(problems), ['error UDP bind address', 'error network', 'error network']);
  t.regex(problems[0]!.found, /links\.udp\.bind 10\.77\.0\.1 is on no interface \(have: wlan0 192\.168\.1\.40\)/);
  t.regex(problems[1]!.found, /no interface is on the subnet of peer b2 \(10\.77\.0\.2\); have: wlan0 192\.168\.1\.40\/24/);
});

// --- runHardwareDoctor: a hardware definition (hw/boards/*.yaml) instead of a board config. ---

const RPI4 = loadHardwareDefs().get('rpi4')!;

/** An empty fixture root: a machine with none of the board's devices. */
function bareRoot(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'ftc-doctor-bare-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** healthyPi4 plus the two UARTs b1 does not use: every device rpi4.yaml lists. */
function fullPi4(t: { teardown(fn: () => void): void }): string {
  const root = healthyPi4(t);
  for (const dev of ['dev/ttyAMA2', 'dev/ttyAMA4']) writeFileSync(join(root, dev), '');
  return root;
}

test('a machine without GPIO, I²C or a watchdog is told each is missing, with the path and the fix', (t) => {
  const root = bareRoot(t);
  const problems = runHardwareDoctor(RPI4, env(root));
  t.deepEqual(checks(problems), [
    'error sysfs GPIO', 'error I²C bus',
    'warning serial port', 'warning serial port', 'warning serial port', 'warning serial port', 'warning serial port',
    'error watchdog device',
  ]);
  const find = (check: string) => problems.find((p) => p.check === check)!;
  t.is(find('sysfs GPIO').found, `${join(root, 'sys/class/gpio')} does not exist`);
  t.regex(find('sysfs GPIO').fix, /CONFIG_GPIO_SYSFS/);
  t.is(find('I²C bus').found, `${join(root, 'dev/i2c-1')} does not exist`);
  t.regex(find('I²C bus').fix, /dtparam=i2c_arm=on.*i2c-dev/);
  t.is(find('watchdog device').found, `${join(root, 'dev/watchdog')} does not exist`);
  t.regex(find('watchdog device').fix, /load the bcm2835_wdt driver/);
  const uart3 = problems.find((p) => p.found.includes('ttyAMA3'))!;
  t.is(uart3.found, `${join(root, 'dev/ttyAMA3')} (uart3) does not exist`);
  t.is(uart3.fix, 'enable uart3: config.txt dtoverlay=uart3; reboot');
  t.regex(formatDoctorReport(problems), /^ftc doctor: 3 errors, 5 warnings\nERROR sysfs GPIO: /);
});

test('a Pi 4 with the gpiochip, /dev/i2c-1, every UART and /dev/watchdog passes, and nothing is exported or opened', (t) => {
  const root = fullPi4(t);
  // A FIFO blocks open(2) until a writer comes: a doctor that opened the watchdog would hang here.
  rmSync(join(root, 'dev/watchdog'));
  execFileSync('mkfifo', [join(root, 'dev/watchdog')]);
  const problems = runHardwareDoctor(RPI4, env(root));
  t.deepEqual(problems, [], formatDoctorReport(problems));
  t.is(formatDoctorReport(problems), 'ftc doctor: every check passed');
  t.is(readFileSync(join(root, 'sys/class/gpio/export'), 'utf8'), '', 'no GPIO exported');
});

test('missing UARTs alone are warnings: a board config uses only some of them', (t) => {
  const root = healthyPi4(t); // ttyAMA2 and ttyAMA4 absent
  const problems = runHardwareDoctor(RPI4, env(root));
  t.deepEqual(checks(problems), ['warning serial port', 'warning serial port']);
  t.deepEqual(problems.map((p) => p.fix), [
    'enable uart2: config.txt dtoverlay=uart2 (GPIO0/1 are the HAT ID EEPROM bus, avoid with HATs); reboot',
    'enable uart4: config.txt dtoverlay=uart4 (GPIO8/9 are SPI0 too); reboot',
  ]);
});

test('with a hardware definition, a gpiochip at an unlisted base is a warning and a foreign chip an error', (t) => {
  const root = fullPi4(t);
  writeFileSync(join(root, 'sys/class/gpio/gpiochip512/base'), '600\n');
  const moved = runHardwareDoctor(RPI4, env(root));
  t.deepEqual(checks(moved), ['warning GPIO chip base']);
  t.is(moved[0]!.found, 'gpiochip512 "pinctrl-bcm2711" has base 600, hw/boards/rpi4.yaml lists 512, 0');
  t.regex(moved[0]!.fix, /add 600 to sysfsBases in hw\/boards\/rpi4\.yaml/);

  writeFileSync(join(root, 'sys/class/gpio/gpiochip512/ngpio'), '32\n');
  t.deepEqual(checks(runHardwareDoctor(RPI4, env(root))), ['warning GPIO chip base', 'error GPIO chip lines']);

  writeFileSync(join(root, 'sys/class/gpio/gpiochip512/label'), 'pinctrl-rp1\n');
  const foreign = runHardwareDoctor(RPI4, env(root));
  t.deepEqual(checks(foreign), ['error GPIO chip']);
  t.regex(foreign[0]!.fix, /check that this is a Raspberry Pi 4 Model B/);
});

test('a watchdog max_timeout other than the definition\'s timeoutMaxMs is a warning naming both', (t) => {
  const root = fullPi4(t);
  writeFileSync(join(root, 'sys/class/watchdog/watchdog0/max_timeout'), '8\n');
  const problems = runHardwareDoctor(RPI4, env(root));
  t.deepEqual(checks(problems), ['warning watchdog max timeout']);
  t.is(problems[0]!.found, `${join(root, 'sys/class/watchdog/watchdog0/max_timeout')} is 8 s, hw/boards/rpi4.yaml has timeoutMaxMs 15000`);
  t.regex(problems[0]!.fix, /set timeoutMaxMs: 8000 in hw\/boards\/rpi4\.yaml/);
  rmSync(join(root, 'sys/class/watchdog'), { recursive: true });
  t.deepEqual(runHardwareDoctor(RPI4, env(root)), [], 'a driver without max_timeout: nothing to compare');
});

test('with a hardware definition, an old Node and a broken monotonic clock are errors', (t) => {
  const root = fullPi4(t);
  const problems = runHardwareDoctor(RPI4, { ...env(root), nodeVersion: '18.19.0', monotonicNs: () => 0n });
  t.deepEqual(checks(problems), ['error node version', 'error monotonic clock']);
  t.regex(problems[0]!.fix, /install Node >= 20\.11\.0/);
});

test('a BeagleBone with only the default I²C bus gets a warning for the overlay bus, not an error', (t) => {
  const bbb = loadHardwareDefs().get('bbb')!;
  const root = bareRoot(t);
  mkdirSync(join(root, 'dev'));
  writeFileSync(join(root, 'dev/i2c-2'), '');
  const i2c = runHardwareDoctor(bbb, env(root)).filter((p) => p.check === 'I²C bus');
  t.deepEqual(i2c.map((p) => `${p.severity} ${p.found}`), [`warning ${join(root, 'dev/i2c-1')} does not exist`]);
  t.regex(i2c[0]!.fix, /BB-I2C1-00A0\.dtbo/);
});

for (const [name, hw] of loadHardwareDefs()) {
  test(`every check of hw/boards/${name}.yaml on a bare machine says what, where and the fix`, (t) => {
    const root = bareRoot(t);
    const problems = runHardwareDoctor(hw, env(root));
    t.deepEqual(problems.filter((p) => p.severity === 'error').map((p) => p.found), [
      `${join(root, 'sys/class/gpio')} does not exist`,
      ...hw.i2c.map((b) => `${join(root, `dev/i2c-${b.bus}`)} does not exist`),
      `${join(root, hw.watchdog.device)} does not exist`,
    ]);
    t.is(problems.filter((p) => p.check === 'serial port').length, hw.uarts.length);
    for (const p of problems) t.true(p.check.length > 0 && p.found.length > 0 && p.fix.length > 0, JSON.stringify(p));
  });
}
