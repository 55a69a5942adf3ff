import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualClock } from '../../src/ports/clock.ts';
import { devWatchdogStandIn as standIn } from './dev-stand-in.ts';
import { WatchdogError } from '../../src/ports/watchdog.ts';
import { LinuxWatchdog, defaultSysfsDir, explainOpenError } from '../../src/watchdog/dev-watchdog.ts';
import { WatchdogConfigError } from '../../src/watchdog/core-config-error.ts';
import { Supervisor } from '../../src/watchdog/core-supervisor.ts';
import { WatchdogService } from '../../src/watchdog/watchdog-service.ts';

const oneEntity = () => new Supervisor({ entities: [{ name: 'loop', checkpoints: ['tick'], alive: [{ checkpoint: 'tick', referenceCycleMs: 1000, expectedIndications: 10, minMargin: 5, maxMargin: 100, failedCyclesTolerance: 0 }] }] }, 0);

test('the /dev/watchdog driver writes one byte per feed and a final V only on a clean stop', async (t) => {
  const dev = standIn();
  const wd = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir });
  t.is(wd.timeoutMs, 15_000);
  t.is(wd.timeoutMaxMs, 15_000);
  t.regex(wd.name, /BCM2835/);
  t.throws(() => wd.feed(), { message: /before start/ });
  await wd.start();
  await t.throwsAsync(() => wd.start(), { message: /twice/ });
  wd.feed();
  wd.feed();
  wd.feed();
  t.is(dev.written(), '...');
  t.true(await wd.disarm());
  t.is(dev.written(), '...V');
  t.throws(() => wd.feed(), { message: /after disarm/ });
  t.true(await wd.disarm(), 'disarm twice reports the same outcome and writes nothing');
  t.is(dev.written(), '...V');
});

test('with nowayout the driver closes without the magic V and reports that the board will still reset', async (t) => {
  const dev = standIn({ timeout: '10', nowayout: '1' });
  const wd = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir });
  await wd.start();
  wd.feed();
  t.false(await wd.disarm());
  t.is(dev.written(), '.');
});

test('under supervision, feeds stop at expiry and closing afterwards writes nothing, not even the V', async (t) => {
  const dev = standIn();
  const clock = new VirtualClock(0);
  const sup = oneEntity();
  let stopped = '';
  const svc = await WatchdogService.start({
    hw: new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir }),
    supervisor: sup,
    clock,
    gate: { timeoutMs: 15_000, feedPeriodMs: 1000 },
    onStopped: (reason, report) => (stopped = `${reason}: ${report.expiredBy?.detail}`),
  });
  for (let ms = 0; ms < 5000; ms += 100) {
    sup.checkpoint('loop', 'tick', ms);
    svc.tick(ms);
  }
  clock.set(5000);
  const fedWhileHealthy = dev.written();
  t.is(fedWhileHealthy, '....', 'fed at 1, 2, 3 and 4 s');
  for (let ms = 5000; ms < 10_000; ms += 100) svc.tick(ms); // the loop stopped ticking its checkpoint
  t.is(svc.gate.state, 'stopped');
  // Fed at 5 s (the cycle ending then was healthy); the cycle ending at 6 s had no tick: expired.
  t.is(dev.written(), '.....');
  t.regex(stopped, /supervision EXPIRED: checkpoint "tick" reached 0 times/);
  t.false(await svc.close());
  t.is(dev.written(), '.....', 'no feed and no V after expiry');
});

test('a clean shutdown of a healthy service disarms with the V', async (t) => {
  const dev = standIn();
  const sup = oneEntity();
  const svc = await WatchdogService.start({ hw: new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir }), supervisor: sup, clock: new VirtualClock(0), gate: { timeoutMs: 15_000, feedPeriodMs: 1000 } });
  for (let ms = 0; ms <= 1500; ms += 100) {
    sup.checkpoint('loop', 'tick', ms);
    svc.tick(ms);
  }
  t.true(await svc.close());
  t.is(dev.written(), '.V');
});

test('a missing watchdog device gives one message naming the cause and the fix', async (t) => {
  const dev = standIn();
  const wd = new LinuxWatchdog({ devicePath: `${dev.devicePath}-absent`, sysfsDir: dev.sysfsDir });
  const e = await t.throwsAsync(() => wd.start(), { instanceOf: WatchdogError });
  t.is(e?.code, 'ENOENT');
  t.regex(e?.message ?? '', /no watchdog device at .*watchdog-absent/);
  t.regex(e?.message ?? '', /Fix: .*dtparam=watchdog=on.*modprobe softdog.*watchdog\.device/);
});

test('a busy device is explained as held by systemd RuntimeWatchdogSec, with both ways out', (t) => {
  const e = explainOpenError('/dev/watchdog', 'EBUSY');
  t.is(e.code, 'EBUSY');
  t.regex(e.message, /busy: .*systemd's RuntimeWatchdogSec=/);
  t.regex(e.message, /Fix: set RuntimeWatchdogSec=0 .*or keep systemd on the hardware and use the "systemd" watchdog driver/);
  t.regex(explainOpenError('/dev/watchdog', 'EACCES').message, /Fix: install hw\/udev\/99-ftc\.rules .* watchdog group/);
});

test('an impossible timeout for the device is refused before the device is opened', async (t) => {
  const dev = standIn();
  const e = await t.throwsAsync(
    () => WatchdogService.start({ hw: new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir }), supervisor: oneEntity(), clock: new VirtualClock(0), gate: { timeoutMs: 30_000, feedPeriodMs: 1000 } }),
    { instanceOf: WatchdogConfigError },
  );
  t.regex(e?.message ?? '', /watchdog\.timeoutMs = 30000: exceeds the maximum of 15000 ms/);
  t.is(dev.written(), '', 'the device was never opened, so nothing armed it');
});

test('a feed period too slow for the timeout in force on the device is a configuration error', async (t) => {
  const dev = standIn({ timeout: '2', max_timeout: '15' });
  // Configured 15 s, but the device runs with 2 s and no timeout is requested: plan with 2 s.
  const hw = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir });
  const e = await t.throwsAsync(() => WatchdogService.start({ hw, supervisor: oneEntity(), clock: new VirtualClock(0), gate: { timeoutMs: 15_000, feedPeriodMs: 5000 } }), { instanceOf: WatchdogConfigError });
  t.regex(e?.message ?? '', /watchdog\.feedPeriodMs = 5000: cannot meet the 2000 ms timeout/);
});

test('a requested timeout is set through the ioctl; a device that is not a watchdog is named as such', async (t) => {
  const dev = standIn({ timeout: '15', max_timeout: '15' });
  const calls: number[] = [];
  const wd = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir, timeoutMs: 5000, setTimeoutSeconds: (_fd, s) => (calls.push(s), s) });
  await wd.start();
  t.deepEqual(calls, [5]);
  t.is(wd.timeoutMs, 5000);
  await wd.disarm();
  // The real ioctl on a plain file fails with ENOTTY.
  const plain = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir, timeoutMs: 5000 });
  const e = await t.throwsAsync(() => plain.start(), { instanceOf: WatchdogError });
  t.regex(e?.message ?? '', /refused a 5 s timeout .*errno 25.*not a watchdog device.*it was disarmed again.*Fix:/);
  // Opening armed it: the magic 'V' went out before the error, so a bad config does not reset the board.
  t.is(readFileSync(dev.devicePath, 'utf8').slice(-1), 'V');
});

test('status comes from sysfs, including a watchdog-caused last reboot', (t) => {
  const dev = standIn({ identity: 'softdog', timeout: '60', timeleft: '42', bootstatus: '32', nowayout: '0', state: 'active' });
  const st = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir }).readStatus();
  t.like(st, { identity: 'softdog', timeoutS: 60, timeleftS: 42, lastResetByWatchdog: true, nowayout: false, state: 'active' });
  t.is(defaultSysfsDir('/dev/watchdog'), '/sys/class/watchdog/watchdog0');
  t.is(defaultSysfsDir('/dev/watchdog1'), '/sys/class/watchdog/watchdog1');
});

test('without a readable timeout the driver asks for one in the configuration', async (t) => {
  const dev = standIn({});
  const e = await t.throwsAsync(() => new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: join(dev.sysfsDir, 'none') }).start(), { instanceOf: WatchdogError });
  t.regex(e?.message ?? '', /cannot tell the timeout .*Fix: set watchdog\.timeoutMs/);
});

// On a board (or a PC with `modprobe softdog`): FTC_TEST_WATCHDOG_DEVICE=/dev/watchdog npx ava test/watchdog
const realDevice = process.env.FTC_TEST_WATCHDOG_DEVICE;
if (realDevice) {
  test(`the real watchdog ${realDevice} is armed, fed and disarmed with the magic V`, async (t) => {
    const wd = new LinuxWatchdog({ devicePath: realDevice });
    t.log(`${wd.name}: timeout ${wd.timeoutMs} ms, max ${wd.timeoutMaxMs} ms, status ${JSON.stringify(wd.readStatus())}`);
    await wd.start();
    for (let i = 0; i < 3; i++) wd.feed();
    t.is(wd.writeErrors, 0);
    t.is(await wd.disarm(), wd.readStatus().nowayout !== true);
  });
} else {
  console.log('dev-watchdog: real-device test not registered (set FTC_TEST_WATCHDOG_DEVICE=/dev/watchdog on a board with a watchdog driver)');
}
