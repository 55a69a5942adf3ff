import test from 'ava';
import { FeedGate, checkWatchdogConfig } from '../../src/watchdog/core-gate.ts';
import { WatchdogConfigError } from '../../src/watchdog/core-config-error.ts';
import { Supervisor } from '../../src/watchdog/core-supervisor.ts';
import { supervisorConfig } from './rig.ts';

const pi = { name: 'Broadcom BCM2835 Watchdog timer', timeoutMaxMs: 15_000, timeoutMinMs: 1000 };

function configError(t: import('ava').ExecutionContext, fn: () => unknown): WatchdogConfigError {
  const e = t.throws(fn, { instanceOf: WatchdogConfigError }) as WatchdogConfigError;
  t.log(e.message);
  return e;
}

test('a timeout above the Raspberry Pi maximum is a configuration error naming the field, the limit and the fix', (t) => {
  const e = configError(t, () => checkWatchdogConfig({ timeoutMs: 20_000, feedPeriodMs: 1000 }, pi));
  t.is(e.field, 'watchdog.timeoutMs');
  t.regex(e.message, /watchdog\.timeoutMs = 20000/);
  t.regex(e.message, /maximum of 15000 ms of "Broadcom BCM2835 Watchdog timer"/);
  t.regex(e.message, /Fix: set watchdog\.timeoutMs to at most 15000/);
});

test('a feed period that cannot meet the timeout is a configuration error suggesting half the timeout', (t) => {
  const e = configError(t, () => checkWatchdogConfig({ timeoutMs: 1000, feedPeriodMs: 980, jitterMarginMs: 50 }, pi));
  t.is(e.field, 'watchdog.feedPeriodMs');
  t.regex(e.message, /cannot meet the 1000 ms timeout/);
  t.regex(e.message, /Fix: set watchdog\.feedPeriodMs to at most 500/);
});

test('a timeout below the device minimum, a missing feed period and a window past the feed period are each named', (t) => {
  t.is(configError(t, () => checkWatchdogConfig({ timeoutMs: 500, feedPeriodMs: 100 }, pi)).field, 'watchdog.timeoutMs');
  const missing = configError(t, () => checkWatchdogConfig({ timeoutMs: 5000 } as never, pi, 'boards.a.watchdog'));
  t.is(missing.field, 'boards.a.watchdog.feedPeriodMs');
  t.regex(missing.message, /must be a finite number/);
  const w = configError(t, () => checkWatchdogConfig({ timeoutMs: 5000, feedPeriodMs: 1000, windowMinMs: 1000 }, pi));
  t.is(w.field, 'watchdog.windowMinMs');
  t.regex(w.message, /Fix: set watchdog\.windowMinMs below 1000/);
});

test('a valid configuration is returned with its defaults filled in', (t) => {
  t.deepEqual(checkWatchdogConfig({ timeoutMs: 15_000, feedPeriodMs: 5000 }, pi), {
    timeoutMs: 15_000,
    feedPeriodMs: 5000,
    windowMinMs: 0,
    earlyKicksTolerance: 0,
    jitterMarginMs: 50,
  });
});

test('supervision configuration errors name the entity field and the fix', (t) => {
  const cfg = supervisorConfig();
  const alive = cfg.entities[0]?.alive?.[0];
  if (!alive) throw new Error('rig config has an alive supervision');
  alive.checkpoint = 'nowhere';
  const e1 = configError(t, () => new Supervisor(cfg, 0));
  t.is(e1.field, 'supervision.entities[0].alive[0].checkpoint');
  t.regex(e1.message, /Fix: list every checkpoint/);

  const cfg2 = supervisorConfig();
  const a2 = cfg2.entities[0]?.alive?.[0];
  if (!a2) throw new Error('rig config has an alive supervision');
  a2.minMargin = a2.expectedIndications;
  const e2 = configError(t, () => new Supervisor(cfg2, 0));
  t.is(e2.field, 'supervision.entities[0].alive[0].minMargin');
  t.regex(e2.message, /a dead entity passes/);

  const cfg3 = supervisorConfig();
  const d = cfg3.entities[0]?.deadline?.[0];
  if (!d) throw new Error('rig config has a deadline supervision');
  d.maxMs = -1;
  t.is(configError(t, () => new Supervisor(cfg3, 0)).field, 'supervision.entities[0].deadline[0].maxMs');

  const cfg4 = supervisorConfig();
  cfg4.measurements?.push({ name: 'control', limit: 1, exceededTolerance: 0, staleMs: 10 });
  t.regex(configError(t, () => new Supervisor(cfg4, 0)).message, /is used twice/);
});

test('the gate holds the feed while supervision is FAILED, resumes on OK, and never feeds again once EXPIRED', (t) => {
  const gate = new FeedGate(checkWatchdogConfig({ timeoutMs: 1000, feedPeriodMs: 100 }, pi), 0);
  t.true(gate.step(100, 'OK'));
  t.false(gate.step(200, 'FAILED'));
  t.is(gate.state, 'held');
  t.true(gate.step(250, 'OK'));
  t.is(gate.resetDeadlineMs, 1250);
  t.false(gate.step(400, 'EXPIRED'));
  t.is(gate.state, 'stopped');
  t.is(gate.stopReason, 'supervision EXPIRED');
  t.false(gate.step(500, 'OK'));
  t.false(gate.kick(600, 'OK'));
  t.is(gate.feeds, 2);
});

test('early kicks within the tolerance are refused and counted without stopping the gate', (t) => {
  const gate = new FeedGate(checkWatchdogConfig({ timeoutMs: 1000, feedPeriodMs: 100, windowMinMs: 40, earlyKicksTolerance: 1 }, pi), 0);
  t.true(gate.kick(50, 'OK'));
  t.false(gate.kick(60, 'OK'));
  t.is(gate.state, 'feeding');
  t.true(gate.kick(100, 'OK'));
  t.false(gate.kick(101, 'OK'));
  t.is(gate.state, 'stopped');
  t.is(gate.earlyKicks, 2);
});

test('supervisor details: too-fast deadlines, bad first checkpoints, stale monitors and backwards time', (t) => {
  const sup = new Supervisor(
    {
      entities: [
        {
          name: 'io',
          checkpoints: ['a', 'b'],
          deadline: [{ start: 'a', end: 'b', minMs: 2, maxMs: 10, failuresTolerance: 1 }],
          logical: [{ initial: ['a'], final: ['b'], transitions: [['a', 'b']], failuresTolerance: 5 }],
        },
      ],
      measurements: [{ name: 'heapUsedMb', limit: 100, exceededTolerance: 1, staleMs: 1000 }],
    },
    0,
  );
  sup.checkpoint('io', 'a', 0);
  sup.checkpoint('io', 'b', 1); // 1 ms < 2 ms minimum
  t.is(sup.entityStatus('io'), 'FAILED');
  t.regex(sup.report().recentFaults[0]?.detail ?? '', /faster than the minimum 2 ms/);
  sup.checkpoint('io', 'a', 5);
  sup.checkpoint('io', 'b', 9);
  t.is(sup.entityStatus('io'), 'OK');
  sup.checkpoint('io', 'b', 20); // a run may not begin with b
  t.regex(sup.report().recentFaults.at(-1)?.detail ?? '', /"b" cannot begin a run/);
  t.is(sup.entityStatus('io'), 'FAILED');
  sup.measure('heapUsedMb', 50, 100);
  t.is(sup.step(1101), 'FAILED'); // one stale period, tolerance 1
  t.is(sup.step(2102), 'EXPIRED');
  t.is(sup.report().expiredBy?.kind, 'stale');
  t.throws(() => sup.step(2000), { instanceOf: RangeError });
  t.throws(() => sup.checkpoint('io', 'zzz', 3000), { message: /no checkpoint "zzz"/ });
  t.throws(() => sup.checkpoint('nobody', 'a', 3000), { message: /unknown entity/ });
});

test('a long gap after expiry is skipped in constant time and the fault history stays bounded', (t) => {
  const sup = new Supervisor(supervisorConfig(), 0);
  const t0 = performance.now();
  sup.step(1e12);
  t.true(performance.now() - t0 < 500);
  t.is(sup.globalStatus, 'EXPIRED');
  t.true(sup.report().recentFaults.length <= 32);
});
