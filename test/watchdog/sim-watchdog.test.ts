import test from 'ava';
import { spawnSync } from 'node:child_process';
import { VirtualClock } from '../../src/ports/clock.ts';
import { WATCHDOG_RESET_EXIT_CODE } from '../../src/rig/supervisor.ts';
import { SimWatchdog, formatResetReason } from '../../src/watchdog/sim-watchdog.ts';
import type { ResetReason } from '../../src/watchdog/sim-watchdog.ts';

test('the simulated watchdog resets the board once when it is not fed within its timeout', async (t) => {
  const clock = new VirtualClock(1000);
  const resets: ResetReason[] = [];
  const wd = new SimWatchdog({ clock, timeoutMs: 500, onReset: (r) => resets.push(r) });
  await wd.start();
  clock.advance(400);
  wd.feed();
  clock.advance(500);
  t.false(wd.poll());
  clock.advance(1);
  t.true(wd.poll());
  t.true(wd.poll());
  t.is(resets.length, 1);
  t.like(resets[0], { cause: 'timeout', atMs: 1901, lastFeedMs: 1400 });
  t.false(await wd.disarm(), 'too late to disarm');
  wd.feed(); // a late feed changes nothing
  t.is(resets.length, 1);
  t.regex(formatResetReason(resets[0] as ResetReason), /watchdog reset \(timeout\): not fed for 501 ms/);
});

test('in window mode the simulated chip resets on an early kick, like an external window watchdog', async (t) => {
  const clock = new VirtualClock(0);
  const resets: ResetReason[] = [];
  const wd = new SimWatchdog({ clock, timeoutMs: 1000, windowMinMs: 100, onReset: (r) => resets.push(r) });
  await wd.start();
  clock.advance(150);
  wd.feed();
  clock.advance(30);
  wd.feed();
  t.is(resets[0]?.cause, 'early-kick');
  t.is(wd.feeds, 1);
});

test('a disarmed simulated watchdog never resets, and feeding it then is a programmer error', async (t) => {
  const clock = new VirtualClock(0);
  const wd = new SimWatchdog({ clock, timeoutMs: 100, onReset: () => t.fail('reset after disarm') });
  await wd.start();
  t.true(await wd.disarm());
  clock.advance(10_000);
  t.false(wd.poll());
  t.throws(() => wd.feed(), { message: /after disarm/ });
});

test('in a rig child, the simulated watchdog really resets: the process says why and exits with the watchdog code', (t) => {
  const sim = new URL('../../src/watchdog/sim-watchdog.ts', import.meta.url).href;
  const clockMod = new URL('../../src/ports/clock.ts', import.meta.url).href;
  const child = new URL('../../src/rig/child.ts', import.meta.url).href;
  const script = `
    import { SimWatchdog, formatResetReason } from ${JSON.stringify(sim)};
    import { VirtualClock } from ${JSON.stringify(clockMod)};
    import { watchdogReset } from ${JSON.stringify(child)};
    const clock = new VirtualClock(0);
    const wd = new SimWatchdog({ clock, timeoutMs: 100, onReset: (r) => watchdogReset(formatResetReason(r)) });
    await wd.start();
    clock.advance(50); wd.feed();
    clock.advance(101); wd.poll();
    console.log('not reached');`;
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, WATCHDOG_RESET_EXIT_CODE, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim()), { kind: 'reset', reason: 'watchdog reset (timeout): not fed for 101 ms (timeout 100 ms)' });
});
