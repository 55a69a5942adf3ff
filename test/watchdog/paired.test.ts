import test from 'ava';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';
import { PairedWatchdog, withSystemdNotify } from '../../src/watchdog/drivers.ts';
import { SystemdNotifyWatchdog } from '../../src/watchdog/systemd-notify.ts';
import { devWatchdogStandIn } from './dev-stand-in.ts';

const underSystemd = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '5000000', WATCHDOG_PID: String(process.pid) };

test('outside systemd the board watchdog is used alone', (t) => {
  const dev = devWatchdogStandIn();
  const hw = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir });
  t.is(withSystemdNotify(hw, {}), hw);
});

test('under Type=notify, /dev/watchdog is paired with systemd: the shorter deadline rules', (t) => {
  const dev = devWatchdogStandIn();
  const hw = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir, timeoutMs: 10_000 });
  const paired = withSystemdNotify(hw, underSystemd);
  t.true(paired instanceof PairedWatchdog);
  t.is(paired.timeoutMs, 5000, 'WatchdogSec=5s is shorter than the 10 s hardware timeout');
  t.regex(paired.name, /\/dev\/watchdog|watchdog/);
  t.regex(paired.name, /systemd/);
});

test('one gate feeds both: READY=1 after the hardware is armed, WATCHDOG=1 with every feed, the V and STOPPING=1 at a clean stop', async (t) => {
  const dev = devWatchdogStandIn();
  const sent: string[] = [];
  // The stand-in is a plain file: no WDIOC_SETTIMEOUT, so keep the timeout in force (sysfs: 15 s).
  const hw = new LinuxWatchdog({ devicePath: dev.devicePath, sysfsDir: dev.sysfsDir });
  const systemd = new SystemdNotifyWatchdog({ env: underSystemd, notify: (state) => { sent.push(`${state.split('\n')[0]} (device bytes ${dev.written().length})`); return 1; } });
  const paired = new PairedWatchdog(hw, systemd);
  await paired.start();
  paired.feed();
  paired.feed();
  t.true(await paired.disarm());
  t.regex(dev.written(), /^.+V$/, 'fed, then the magic V');
  t.is(sent[0]?.split(' (')[0], 'READY=1');
  t.deepEqual(sent.slice(1, 3).map((s) => s.split(' (')[0]), ['WATCHDOG=1', 'WATCHDOG=1']);
  t.is(sent.at(-1)?.split(' (')[0], 'STOPPING=1');
});
