/**
 * A guest that must be reset (run by test/kernel/guest.sh in the QEMU guest, not by ava): arm
 * softdog through our driver with a 2 s timeout, feed it for 1.5 s, then stop feeding.
 *   abandon  stop feeding and never write the magic 'V': without it the kernel does not stop
 *            the timer (Documentation/watchdog/watchdog-api.rst, "Magic Close feature"), so
 *            the guest is reset one timeout after the last feed.
 * It prints what it did; the runner (test/kernel/run.ts) reads softdog's "Initiating system
 * reboot" on the console, and that QEMU ended within the timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';

const mode = process.argv[2];
if (mode !== 'abandon') {
  console.error(`reset-guest: unknown mode ${mode}`);
  process.exit(2);
}
const wd = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 2000 });
await wd.start();
console.log(`reset-guest: ${wd.name} armed, timeout ${wd.timeoutMs} ms`);
for (let i = 0; i < 3; i++) {
  wd.feed();
  await sleep(500);
}
console.log('reset-guest: feeding stops now, without the magic V');
// Waiting here keeps the guest from powering off before the watchdog fires (init.sh powers off
// when this returns).
await sleep(10_000);
console.log('reset-guest: FAIL: still up 10 s after the last feed');
process.exit(1);
