import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoardConfig, loadHardwareDefs, type BoardConfig } from '../../src/config/index.ts';
import { readSysfsGpioChips, sysfsPinMapper } from '../../src/hw/gpio-chips.ts';
import { formatDoctorReport, runDoctor, type Problem } from '../../src/hw/doctor.ts';

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

// This container has none of a Pi's devices (FACTS.md: no hardware). On a real board the
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
