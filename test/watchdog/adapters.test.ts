import test from 'ava';
import { EventLoopMonitor, heapSample } from '../../src/watchdog/event-loop-monitor.ts';
import { GpioWatchdog } from '../../src/watchdog/gpio-watchdog.ts';
import { SystemdNotifyWatchdog, loadSdNotify } from '../../src/watchdog/systemd-notify.ts';
import { createHwWatchdog } from '../../src/watchdog/drivers.ts';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';
import { SimWatchdog } from '../../src/watchdog/sim-watchdog.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import { FakeGpioChip } from './fakes.ts';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop is stalled
  }
}

test.serial('the event-loop monitor sees a real 150 ms stall that starts right after a sample, once', async (t) => {
  const mon = new EventLoopMonitor(10);
  mon.start();
  await new Promise((r) => setTimeout(r, 30));
  mon.sample(); // discard start-up
  block(150);
  await new Promise((r) => setTimeout(r, 30));
  const s = mon.sample();
  t.log(`stall sample: max ${s.maxMs.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms, ${s.count} intervals`);
  mon.stop();
  t.true(s.maxMs >= 100, `max ${s.maxMs} ms`);
});

test.serial('a stall that has just ended is seen by a sample taken before the monitor\'s own timer runs, and not counted twice', async (t) => {
  const mon = new EventLoopMonitor(10);
  mon.start();
  block(120);
  const s = mon.sample(); // synchronously: the interval timer has not fired yet
  t.true(s.maxMs >= 100, `max ${s.maxMs} ms`);
  await new Promise((r) => setTimeout(r, 30)); // now the timer fires, late by the same stall
  const next = mon.sample();
  mon.stop();
  t.true(next.maxMs < s.maxMs - 50, `the stall is reported once (then ${s.maxMs} ms, next ${next.maxMs} ms)`);
});

test('the heap sample reports the heap in use below its limit', (t) => {
  const h = heapSample();
  t.true(h.usedMb > 0);
  t.true(h.usedMb < h.limitMb);
});

test('an external watchdog chip is kicked by one edge per feed and disabled through its enable line', async (t) => {
  const chip = new FakeGpioChip();
  const wdi = chip.open(5, 'low');
  const en = chip.open(6, 'low');
  const wd = new GpioWatchdog({ name: 'TPS3823', kick: wdi, enable: en, timeoutMs: 800 });
  t.is(wd.timeoutMaxMs, 800);
  t.throws(() => wd.feed(), { message: /before start/ });
  await wd.start();
  t.is(chip.physical(6), 1);
  const levels: number[] = [];
  for (let i = 0; i < 4; i++) {
    wd.feed();
    levels.push(chip.physical(5));
  }
  t.deepEqual(levels, [1, 0, 1, 0]);
  t.true(await wd.disarm());
  t.is(chip.physical(6), 0);
  t.throws(() => wd.feed(), { message: /after disarm/ });
});

test('a chip without an enable line cannot be disarmed, and a failing line is counted', async (t) => {
  const chip = new FakeGpioChip();
  const wdi = chip.open(5, 'low');
  const wd = new GpioWatchdog({ kick: wdi, timeoutMs: 1600 });
  await wd.start();
  wdi.close();
  wd.feed();
  t.is(wd.writeErrors, 1);
  t.false(await wd.disarm());
});

test('a missing libsystemd is explained with the package to install', (t) => {
  const e = t.throws(() => loadSdNotify('libsystemd-absent.so.9'));
  t.regex(e?.message ?? '', /NOTIFY_SOCKET is set .* sd_notify cannot be loaded: .*Fix: install libsystemd0/);
});

test('a board config\'s watchdog kind builds the matching driver', (t) => {
  const chip = new FakeGpioChip();
  const clock = new VirtualClock(0);
  t.true(createHwWatchdog({ kind: 'dev', device: '/nonexistent/watchdog', timeoutMs: 10_000 }) instanceof LinuxWatchdog);
  const sd = createHwWatchdog({ kind: 'systemd', env: {} });
  t.true(sd instanceof SystemdNotifyWatchdog);
  t.is(typeof sd.trigger, 'function');
  t.true(createHwWatchdog({ kind: 'gpio-kick', kick: chip.open(5, 'low'), timeoutMs: 800 }) instanceof GpioWatchdog);
  const sim = createHwWatchdog({ kind: 'sim', clock, timeoutMs: 100, onReset: () => {} });
  t.true(sim instanceof SimWatchdog);
  t.is(sim.timeoutMs, 100);
});
