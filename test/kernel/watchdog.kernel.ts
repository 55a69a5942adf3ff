import { readFileSync } from 'node:fs';
/**
 * Our /dev/watchdog driver (src/watchdog/dev-watchdog.ts) on the kernel's softdog, in the QEMU
 * guest of `npm run test:kernel`: the timeout set by ioctl, feeds keeping the guest up, the
 * magic 'V' disarming it, one opener at a time, an impossible timeout refused. That NOT feeding
 * resets the guest is shown by a boot of its own (test/kernel/reset-guest.ts).
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';

const guest = process.env.FTC_KERNEL_GUEST === '1';
const t0 = guest ? test.serial : test.skip;

t0('softdog through our driver: the timeout is set by ioctl, feeds keep the guest up past it, and the magic V disarms it', async (t) => {
  const wd = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 2000 });
  t.log(`${wd.name}: ${JSON.stringify(wd.readStatus())}`);
  await wd.start();
  t.is(wd.timeoutMs, 2000, 'the kernel took the 2 s timeout');
  // 3 s of feeding every 400 ms: longer than the timeout, so only the feeds keep this guest alive.
  for (let i = 0; i < 8; i++) {
    wd.feed();
    await sleep(400);
  }
  t.is(wd.writeErrors, 0);
  t.true(await wd.disarm(), 'the magic V disarmed it (nowayout=0)');
  // Disarmed: more than a timeout without a feed, and the guest is still here to say so.
  await sleep(2500);
  t.is(readFileSync('/sys/class/watchdog/watchdog0/state', 'utf8').trim(), 'inactive', 'softdog says it is stopped');
});

t0('a second opener of /dev/watchdog gets EBUSY while ours holds it', async (t) => {
  const a = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 5000 });
  await a.start();
  try {
    const b = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 5000 });
    const e = await t.throwsAsync(() => b.start());
    t.is((e as { code?: string } | undefined)?.code, 'EBUSY');
    t.regex(e?.message ?? '', /is busy: another process holds it open/);
  } finally {
    await a.disarm();
  }
});

t0('a timeout beyond what the device takes is refused, naming it, before the device is armed', async (t) => {
  const wd = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 100_000_000 });
  const e = await t.throwsAsync(() => wd.start());
  t.log(e?.message);
  t.regex(e?.message ?? '', /refused a 100000 s timeout .*it was disarmed again/);
  // Nothing was left armed: a fresh opener can take the device.
  const again = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 5000 });
  await again.start();
  t.true(await again.disarm());
});
