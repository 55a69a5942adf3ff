import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemdNotifyWatchdog, formatNotify, systemdWatchdogTimeoutMs } from '../../src/watchdog/systemd-notify.ts';

test('without NOTIFY_SOCKET the systemd driver stays silent and never loads libsystemd', async (t) => {
  const sent: string[] = [];
  const wd = new SystemdNotifyWatchdog({ env: {}, notify: (s) => (sent.push(s), 1) });
  t.false(wd.active);
  await wd.start();
  wd.feed();
  t.true(wd.status('running'));
  t.true(await wd.disarm());
  t.deepEqual(sent, []);
});

test('notify messages are formatted as systemd expects, STATUS kept to one bounded line', (t) => {
  t.is(formatNotify({ ready: true, status: 'supervision running' }), 'READY=1\nSTATUS=supervision running');
  t.is(formatNotify({ watchdog: true }), 'WATCHDOG=1');
  t.is(formatNotify({ watchdogTrigger: true, watchdog: true, status: 'a\nb' }), 'STATUS=a b\nWATCHDOG=trigger');
  t.is(formatNotify({ stopping: true }), 'STOPPING=1');
  t.is(formatNotify({ status: 'x'.repeat(500) }).length, 'STATUS='.length + 200);
});

test('the timeout comes from WATCHDOG_USEC, only when WATCHDOG_PID is ours; the feed period is half of it', (t) => {
  t.is(systemdWatchdogTimeoutMs({ WATCHDOG_USEC: '10000000' }, 42), 10_000);
  t.is(systemdWatchdogTimeoutMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42), 10_000);
  t.is(systemdWatchdogTimeoutMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '7' }, 42), undefined);
  t.is(systemdWatchdogTimeoutMs({ WATCHDOG_USEC: 'soon' }, 42), undefined);
  const wd = new SystemdNotifyWatchdog({ env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '4000000' }, pid: 1, notify: () => 1 });
  t.is(wd.timeoutMs, 4000);
  t.is(wd.timeoutMaxMs, 4000);
  t.is(wd.feedPeriodMs, 2000);
});

test('failed sends are counted, not thrown, except READY=1 at start which names the fix', async (t) => {
  const wd = new SystemdNotifyWatchdog({ env: { NOTIFY_SOCKET: '/run/x' }, notify: () => -111 });
  const e = await t.throwsAsync(() => wd.start());
  t.regex(e?.message ?? '', /READY=1\) failed with errno 111\. Fix: check NOTIFY_SOCKET/);
  wd.feed();
  t.is(wd.sendErrors, 2);
});

test('through libsystemd, a real notify socket receives READY, the keep-alives and STOPPING', async (t) => {
  const sock = join(mkdtempSync(join(tmpdir(), 'ftc-notify-')), 'notify.sock');
  // Node has no AF_UNIX datagram sockets: a tiny python3 listener plays systemd.
  const py = spawn('python3', [
    '-c',
    `import socket,sys
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
print("ready",flush=True)
for _ in range(4): print(repr(s.recv(4096).decode()),flush=True)`,
    sock,
  ]);
  let out = '';
  py.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => py.on('exit', res));
  await new Promise<void>((res) => py.stdout.once('data', () => res()));
  process.env.NOTIFY_SOCKET = sock;
  try {
    const wd = new SystemdNotifyWatchdog();
    t.true(wd.active);
    await wd.start();
    wd.feed();
    wd.feed();
    t.true(await wd.disarm());
  } finally {
    delete process.env.NOTIFY_SOCKET;
  }
  t.is(await exited, 0);
  t.deepEqual(out.trim().split('\n').slice(1), ["'READY=1\\nSTATUS=supervision running'", "'WATCHDOG=1'", "'WATCHDOG=1'", "'STOPPING=1\\nSTATUS=stopping'"]);
});
