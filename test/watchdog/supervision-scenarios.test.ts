import test from 'ava';
import fc from 'fast-check';
import {
  aliveCycleMs,
  aliveFailedCyclesTolerance,
  controlSteps,
  cyclePeriodMs,
  deadlineMaxMs,
  feedPeriodMs,
  healthyCycle,
  hwTimeoutMs,
  makeRig,
} from './rig.ts';

test('a healthy control loop keeps the watchdog fed for a whole minute and is never reset', async (t) => {
  const rig = await makeRig();
  rig.run(6000);
  t.is(rig.supervisor.globalStatus, 'OK');
  t.is(rig.service.gate.state, 'feeding');
  t.deepEqual(rig.resets, []);
  // One feed per feed period, give or take the tick granularity.
  t.true(rig.feeds.length >= 60_000 / (feedPeriodMs + cyclePeriodMs));
  const gaps = rig.feeds.slice(1).map((f, i) => f - (rig.feeds[i] as number));
  t.true(Math.max(...gaps) <= feedPeriodMs + cyclePeriodMs, `largest gap ${Math.max(...gaps)} ms`);
});

test('a task that stops reaching its alive checkpoint stops the feed within the alive tolerance, then the hardware resets the board', async (t) => {
  const rig = await makeRig();
  rig.run(100);
  const hangAtMs = rig.clock.nowMs();
  rig.run(300, () => 'skip');
  t.not(rig.stoppedAtMs, undefined);
  const toleranceMs = (aliveFailedCyclesTolerance + 1) * aliveCycleMs + aliveCycleMs; // cycles to judge + the partial cycle
  t.true((rig.stoppedAtMs as number) - hangAtMs <= toleranceMs, `stopped ${(rig.stoppedAtMs as number) - hangAtMs} ms after the hang`);
  t.is(rig.supervisor.report().expiredBy?.kind, 'alive');
  // No feed after the stop, and the (simulated) hardware resets one timeout after the last feed.
  const lastFeed = rig.feeds.at(-1) as number;
  t.true(lastFeed <= (rig.stoppedAtMs as number));
  t.is(rig.resets.length, 1);
  t.is(rig.resets[0]?.cause, 'timeout');
  t.true((rig.resets[0]?.atMs as number) - lastFeed <= hwTimeoutMs + cyclePeriodMs);
});

test('one late alive cycle within the tolerance holds the feed briefly but does not reset the board', async (t) => {
  const rig = await makeRig();
  rig.run(100);
  // Five cycles skipped: one reference cycle sees 5 of 10 indications (below 10-2), then recovery.
  rig.run(5, () => 'skip');
  rig.run(300);
  t.is(rig.supervisor.globalStatus, 'OK');
  t.is(rig.service.gate.state, 'feeding');
  t.deepEqual(rig.resets, []);
  t.true(rig.supervisor.report().faultCount >= 1);
});

test('a control cycle that overruns its deadline stops the feed at the next tick', async (t) => {
  const rig = await makeRig();
  rig.run(50);
  const overrunAtMs = rig.clock.nowMs();
  // The cycle starts, then spends 5 ms per step: cycleStart -> cycleEnd takes 20 ms > 8 ms.
  rig.run(1, () => ({ steps: controlSteps, stepMs: 5 }));
  t.is(rig.supervisor.report().expiredBy?.kind, 'deadline');
  t.true((rig.stoppedAtMs as number) - overrunAtMs <= deadlineMaxMs + 5, `stopped ${(rig.stoppedAtMs as number) - overrunAtMs} ms after the cycle began`);
  rig.run(200);
  t.is(rig.service.gate.state, 'stopped', 'expiry is latched: healthy cycles afterwards do not resume feeding');
  t.true((rig.feeds.at(-1) as number) <= (rig.stoppedAtMs as number));
  t.is(rig.resets.length, 1);
});

test('a checkpoint out of order stops the feed at once', async (t) => {
  const rig = await makeRig();
  rig.run(50);
  const atMs = rig.clock.nowMs();
  rig.run(1, () => ({ steps: ['cycleStart', 'compute', 'read', 'write', 'cycleEnd'], stepMs: 1 }));
  const fault = rig.supervisor.report().expiredBy;
  t.is(fault?.kind, 'logical');
  t.regex(fault?.detail ?? '', /"compute" may not follow "cycleStart"/);
  t.true((rig.stoppedAtMs as number) - atMs <= 2);
  rig.run(200);
  t.is(rig.resets.length, 1);
});

test('an event-loop stall shorter than the hardware timeout still stops the feed once the delay is measured', async (t) => {
  const rig = await makeRig();
  rig.run(50);
  rig.stall(500); // < 1000 ms hardware timeout: the hardware alone would not notice
  const stallEndMs = rig.clock.nowMs();
  t.is(rig.stoppedAtMs, stallEndMs);
  t.is(rig.supervisor.report().expiredBy?.kind, 'measurement');
  rig.run(200);
  t.is(rig.resets.length, 1);
});

test('in window mode, a kick before the window opens stops the feed and the window chip would reset', async (t) => {
  const rig = await makeRig({ windowMinMs: 50 });
  rig.run(25); // last scheduled feed at 200 ms, now 250 ms: the window is open
  t.true(rig.service.kick(rig.clock.nowMs()), 'a kick inside the window is fed');
  rig.clock.advance(5);
  t.false(rig.service.kick(rig.clock.nowMs()), 'a kick 5 ms later is refused');
  t.is(rig.service.gate.state, 'stopped');
  t.regex(rig.service.gate.stopReason ?? '', /early kick: 5 ms after the previous feed, before the window opens at 50 ms/);
  // The refused kick never reached the chip: the board resets by timeout, not by the early kick.
  rig.run(200);
  t.is(rig.resets[0]?.cause, 'timeout');
});

test('seeded: healthy runs with jittered step times never stop the feed; any single injected fault always does', async (t) => {
  const seed = 20261125;
  t.log(`seed ${seed}`);
  await t.notThrowsAsync(() =>
    fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 200, maxLength: 400 }),
      fc.constantFrom('hang', 'overrun', 'order', 'stall'),
      fc.integer({ min: 20, max: 150 }),
      async (stepJitter, fault, faultCycle) => {
        const healthy = await makeRig();
        healthy.run(stepJitter.length, (i) => ({ steps: controlSteps, stepMs: stepJitter[i] ?? 1 }));
        if (healthy.service.gate.state !== 'feeding' || healthy.resets.length !== 0) return false;
        const rig = await makeRig();
        rig.run(faultCycle, (i) => ({ steps: controlSteps, stepMs: stepJitter[i] ?? 1 }));
        if (fault === 'hang') rig.run(400, () => 'skip');
        if (fault === 'overrun') rig.run(1, () => ({ steps: controlSteps, stepMs: 3 }));
        if (fault === 'order') rig.run(1, () => ({ steps: ['cycleStart', 'write'], stepMs: 1 }));
        if (fault === 'stall') rig.stall(300);
        rig.run(150, () => healthyCycle);
        return rig.service.gate.state === 'stopped' && rig.resets.length === 1;
      },
    ),
      { seed, numRuns: 40 },
    ),
  );
});
