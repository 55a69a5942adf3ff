/**
 * Board temperature (src/watchdog/core-thermal.ts, thermal-monitor.ts): hot at handOverC, ok
 * again only below clearC, an unreadable or implausible sensor is unknown and hands nothing over;
 * the monitor reads sysfs millidegrees from a fixture directory.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/ports/clock.ts';
import { ThermalCore } from '../../src/watchdog/core-thermal.ts';
import { ThermalMonitor } from '../../src/watchdog/thermal-monitor.ts';

test('hot from handOverC on, and ok again only below clearC (no flapping near the limit)', (t) => {
  const c = new ThermalCore({ handOverC: 80, clearC: 75 });
  t.like(c.update(60, 0), { from: 'unknown', to: 'ok', handOver: false });
  t.is(c.update(79.9, 1), undefined);
  t.like(c.update(80, 2), { from: 'ok', to: 'hot', handOver: true });
  t.is(c.update(77, 3), undefined, 'between clearC and handOverC it stays hot');
  t.like(c.update(74.9, 4), { from: 'hot', to: 'ok', handOver: false });
});

test('an unreadable or implausible sensor is unknown, hands nothing over, and is counted', (t) => {
  const c = new ThermalCore();
  c.update(50, 0);
  t.like(c.update(new Error('gone'), 1), { to: 'unknown', handOver: false, cause: 'gone' });
  t.like(c.update(50, 2), { to: 'ok' });
  t.like(c.update(-273, 3), { to: 'unknown', handOver: false });
  t.is(c.stats.readErrors, 2);
});

test('a configuration without hysteresis is refused', (t) => {
  t.throws(() => new ThermalCore({ handOverC: 80, clearC: 80 }), { message: /clearC 80 must be below handOverC 80/ });
});

test('the monitor reads the zone\'s millidegrees; a missing zone is unknown with the path', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ftc-thermal-'));
  const dir = join(root, 'sys/class/thermal/thermal_zone0');
  const m = new ThermalMonitor({ root }, new VirtualClock(0));
  t.is(m.poll(), undefined, 'unknown from the start: no change');
  t.is(m.state, 'unknown');
  t.regex(m.core.cause, /thermal_zone0\/temp: ENOENT/);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'temp'), '85123\n');
  t.like(m.poll(), { to: 'hot', cause: 'SoC 85.1 °C, at or over 80 °C' });
  writeFileSync(join(dir, 'temp'), 'garbage');
  t.like(m.poll(), { to: 'unknown' });
  t.throws(() => new ThermalMonitor({ root, zone: '../../etc' }, new VirtualClock(0)), { message: /thermal\.zone/ });
});
