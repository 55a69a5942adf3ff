/**
 * The rig simulator end to end: three board processes and the plant, real ptys, UDP, one fault
 * at a time. Each run's plant trace must hold exactly one output per cycle, equal cycle by cycle
 * to the fault-free reference of the same seed, and no cycle may have two drivers.
 * These runs use real time, so they run one at a time (ava.e2e.config.js) after the unit tests.
 * A run whose lost cycles the boards themselves blame on the OS (healthy boards woken too late
 * together: a second fault, src/scenarios/timing-violation.ts) is logged and run again, at most
 * five times in all (each discard is logged with its reason).
 */
import test from 'ava';
import { SIM_BOARDS } from '../../src/rig/sim-protocol.ts';
import { SCENARIOS, checkOutcome, formatOutcome } from '../../src/scenarios/index.ts';
import { observeSimRun } from '../../src/scenarios/sim-observe.ts';
import { simulateJudged, type SimRun } from '../helpers/e2e-sim.ts';

const safetyChecks = new Set(['noLostCycle', 'noWrongOutput']);

// The scenarios are shared with the hardware-in-the-loop suite (src/scenarios, test/hil).
for (const scenario of SCENARIOS) {
  test.serial(scenario.title, async (t) => {
    const observe = (run: SimRun) => checkOutcome(scenario, observeSimRun(scenario, SIM_BOARDS, run.stamped, run.summary));
    const run = await simulateJudged(t, [...scenario.faults], (r) => observe(r).failures.filter((f) => !safetyChecks.has(f.split(':')[0]!)));
    const { summary } = run;
    // The scenario's own checks (reset reason, takeover, rejoin...), the same as on real boards.
    const outcome = observe(run);
    for (const line of formatOutcome(outcome)) t.log(line);
    t.deepEqual(outcome.failures, [], 'a scenario check failed');
    t.is(summary.dualDriven, 0, 'two boards drove one cycle');
    t.is(summary.wrongOutputs, 0, 'an output differs from the fault-free run');
    t.is(summary.lostCycles, 0, 'a cycle had no output');
  });
}

test.serial("the active board's maintenance button, pressed through johnny-five, hands the role over and its LED follows", async (t) => {
  const { summary, lines } = await simulateJudged(t, ['button:active@4s+200ms']);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const handover = events.find((e) => e.kind === 'handover-done');
  t.truthy(handover, 'a handover completed');
  const from = handover?.from as string;
  // The status LED of the board that gave the role away: steady on while active, then the standby blink.
  const leds = events.filter((e) => e.kind === 'status' && e.board === from).map((e) => e.led);
  t.is(leds.find((l) => l !== undefined), 'on');
  t.is(leds[leds.length - 1], 'blink-slow');
  t.true(events.some((e) => e.kind === 'button' && e.board === from));
  t.is(summary.lostCycles, 0);
  t.is(summary.dualDriven, 0);
});

test.serial("b2's maintenance button held for 3 s takes it out for service: voted out, never fenced, its LED says so, the others carry on; held again, it is back", async (t) => {
  // Out from about 6 s to about 10 s: a 2-board rig has no spare, so the spell is kept short.
  const { summary, lines } = await simulateJudged(t, ['button:b2@3s+3500ms', 'button:b2@7s+3500ms']);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const at = (kind: string, pred: (e: Record<string, unknown>) => boolean = () => true) => events.findIndex((e) => e.kind === kind && pred(e));
  const left = at('service-leave', (e) => e.board === 'b2');
  const back = at('service-return', (e) => e.board === 'b2');
  t.true(left >= 0, 'b2 left for service');
  t.true(back > left, 'b2 came back from service after it left');
  const outAt = at('votedOut', (e) => e.board !== 'b2' && e.target === 'b2');
  t.true(outAt > left, 'its peers voted it out');
  t.false(events.some((e) => e.kind === 'reset-line' || e.kind === 'fence'), 'nobody pulled a reset line');
  t.false(events.some((e) => e.kind === 'process-spawn' && e.child === 'b2' && e.reason !== 'power-on'), 'b2 was not reset');
  const between = events.slice(left, back);
  const status = (b: string, evs: Record<string, unknown>[]) => evs.filter((e) => e.kind === 'status' && e.board === b).at(-1);
  t.is(status('b2', between)?.role, 'service', 'out until it was brought back: it never rejoins by itself');
  t.is(status('b2', between)?.led, 'blink-very-slow');
  t.deepEqual(status('b1', between)?.members, ['b1', 'b3']);
  t.false(between.some((e) => e.kind === 'votedIn' && e.target === 'b2'), 'not voted in while out for service');
  t.true(events.slice(back).some((e) => e.kind === 'votedIn' && e.target === 'b2'), 'voted back in after the second hold');
  t.deepEqual(status('b1', events)?.members, ['b1', 'b2', 'b3']);
  t.is(summary.lostCycles, 0);
  t.is(summary.wrongOutputs, 0);
  t.is(summary.dualDriven, 0);
});

test.serial('the active board runs hot (its SoC at 85 °C): it hands the role over ahead of throttling, and no cycle is lost', async (t) => {
  const { summary, lines } = await simulateJudged(t, ['temp:active:85@3s+3s']);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const hot = events.find((e) => e.kind === 'health' && e.what === 'thermal' && e.state === 'hot');
  t.truthy(hot, 'the board saw itself hot');
  const handover = events.find((e) => e.kind === 'handover-done');
  t.is(handover?.from, hot?.board, 'the hot board gave the role away');
  t.true(events.some((e) => e.kind === 'health' && e.what === 'thermal' && e.state === 'ok' && e.board === hot?.board && (e.mono as number) > (hot?.mono as number)), 'and was ok again once cooled');
  t.is(summary.lostCycles, 0);
  t.is(summary.dualDriven, 0);
});
