/**
 * A guest that must be reset (run by test/kernel/guest.sh in the QEMU guest, not by ava). Each
 * mode arms softdog through our driver with a 2 s timeout and ends in a way that must reset the
 * guest one timeout later:
 *   abandon   feed for 1.5 s, then stop feeding and never write the magic 'V': without it the
 *             kernel does not stop the timer (Documentation/watchdog/watchdog-api.rst, "Magic
 *             Close feature").
 *   stall     our WatchdogService (supervisor + feed gate) ticks every 100 ms on a live event
 *             loop, but the supervised task stops reaching its checkpoint: alive supervision
 *             expires, the gate stops feeding for good and the service closes without the 'V'.
 *   nowayout  softdog loaded with nowayout=1 (init.sh, from ftc.nowayout=1): a clean disarm
 *             writes the 'V' and closes, the kernel keeps counting anyway
 *             (watchdog-api.rst: "if the driver was compiled with nowayout ... the watchdog
 *             cannot be stopped"); our driver must read that from sysfs and report false.
 * It prints what it did; the runner (test/kernel/run.ts) checks the lines below and softdog's
 * "Initiating system reboot" on the console, and that the guest never reached its end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicClock } from '../../src/ports/clock.ts';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';
import { Supervisor } from '../../src/watchdog/core-supervisor.ts';
import { WatchdogService } from '../../src/watchdog/watchdog-service.ts';

const TIMEOUT_MS = 2000;
const mode = process.argv[2];
if (mode !== 'abandon' && mode !== 'stall' && mode !== 'nowayout') {
  console.error(`reset-guest: unknown mode ${mode}`);
  process.exit(2);
}
const wd = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: TIMEOUT_MS });

if (mode === 'stall') {
  const clock = monotonicClock;
  // The control loop checks in every 100 ms: 5 (3 to 7) times per 500 ms; one bad reference cycle is tolerated.
  const supervisor = new Supervisor({
    entities: [{ name: 'control', checkpoints: ['cycle'], alive: [{ checkpoint: 'cycle', referenceCycleMs: 500, expectedIndications: 5, minMargin: 2, maxMargin: 2, failedCyclesTolerance: 1 }] }],
  }, clock.nowMs());
  const service = await WatchdogService.start({
    hw: wd, supervisor, clock, gate: { timeoutMs: TIMEOUT_MS, feedPeriodMs: 500 },
    onStopped: (reason) => console.log(`reset-guest: gate stopped: ${reason}`),
  });
  console.log(`reset-guest: ${wd.name} armed, timeout ${wd.timeoutMs} ms, supervised`);
  const t0 = clock.nowMs();
  let told = false;
  for (;;) {
    const now = clock.nowMs();
    if (now - t0 < 1500) supervisor.checkpoint('control', 'cycle', now);
    else if (!told) {
      told = true;
      console.log('reset-guest: the control task stops checking in; the event loop keeps ticking');
    }
    service.tick(now);
    if (service.gate.state === 'stopped') break;
    if (now - t0 > 10_000) break;
    await sleep(100);
  }
  const disarmed = await service.close();
  console.log(`reset-guest: service closed, disarmed ${disarmed}`);
} else {
  await wd.start();
  console.log(`reset-guest: ${wd.name} armed, timeout ${wd.timeoutMs} ms`);
  for (let i = 0; i < 3; i++) {
    wd.feed();
    await sleep(500);
  }
  if (mode === 'abandon') console.log('reset-guest: feeding stops now, without the magic V');
  else console.log(`reset-guest: clean disarm with the magic V under nowayout: disarmed ${await wd.disarm()}`);
}
// Waiting here keeps the guest from powering off before the watchdog fires (init.sh powers off
// when this returns).
await sleep(10_000);
console.log('reset-guest: FAIL: still up 10 s after the last feed');
process.exit(1);
