/**
 * The sd_notify socket (src/process/notify-socket.ts): a real AF_UNIX datagram socket, written by
 * a real client (python3's socket module, as a Python program under ftc would), drained without
 * blocking.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotifySocket, parseNotify } from '../../src/process/notify-socket.ts';

const send = (path: string, ...messages: string[]) =>
  execFileSync('python3', ['-c', `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\nfor m in sys.argv[2:]: s.sendto(m.encode().decode('unicode_escape').encode(), sys.argv[1])`, path, ...messages]);

test('datagrams sent to the socket are read back in order, each parsed; an empty socket drains to nothing without blocking', (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'ftc-notify-')), 'n.sock');
  const s = new NotifySocket(path);
  try {
    t.deepEqual(s.drain(), []);
    send(path, 'READY=1\\nSTATUS=warming up', 'WATCHDOG=1', 'FTC_SYNC=1\\nWATCHDOG=1');
    t.deepEqual(s.drain(), [
      { ready: true, watchdog: false, sync: false, status: 'warming up' },
      { ready: false, watchdog: true, sync: false },
      { ready: false, watchdog: true, sync: true },
    ]);
    t.deepEqual(s.drain(), []);
    t.is(s.stats.datagrams, 3);
  } finally {
    s.close();
  }
  t.false(existsSync(path), 'the socket file is removed on close');
});

test('unknown keys are ignored, as systemd ignores them; a path too long for sun_path is refused with a fix', (t) => {
  t.deepEqual(parseNotify('MAINPID=12\nERRNO=2\nWATCHDOG=1'), { ready: false, watchdog: true, sync: false });
  t.throws(() => new NotifySocket(`/tmp/${'x'.repeat(120)}`), { message: /over 107 bytes \(sun_path\); fix: /});
});
