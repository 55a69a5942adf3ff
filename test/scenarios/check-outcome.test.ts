import test from 'ava';
import { SCENARIOS, checkOutcome, formatOutcome, scenarioById, scenarioFaults, type Observed, type ObservedEvent } from '../../src/scenarios/index.ts';
import { parseFaultSpec } from '../../src/rig/faultspec.ts';
import { observeSimRun } from '../../src/scenarios/sim-observe.ts';

const boards = ['b1', 'b2', 'b3'];
const all = ['b1', 'b2', 'b3'];

function observed(target: string | null, events: ObservedEvent[], over: Partial<Observed> = {}): Observed {
  return { boards, target, faultAtMs: 1000, endMs: 21_000, lostCycles: 0, wrongOutputs: 0, dualDriven: 0, events, ...over };
}

test('every scenario has a parseable fault, a title that is a sentence, and checks that fit in its budget', (t) => {
  const kinds = new Set(SCENARIOS.map((s) => scenarioFaults(s)[0]!.kind));
  for (const k of ['kill', 'hang', 'stall', 'flip', 'cut', 'corrupt', 'psu', 'nic', 'restart']) t.true(kinds.has(k as never), `no ${k} scenario`);
  t.is(new Set(SCENARIOS.map((s) => s.id)).size, SCENARIOS.length, 'ids are unique');
  for (const s of SCENARIOS) {
    for (const f of s.faults) t.notThrows(() => parseFaultSpec(f), `${s.id}: ${f}`);
    t.regex(s.title, /^[a-zA-Z"'].* .*[a-z0-9]$/, s.id);
    for (const c of s.checks) if ('withinMs' in c) t.true(c.withinMs <= s.budgetMs, `${s.id}: ${c.kind} ${c.withinMs} > budget ${s.budgetMs}`);
    // Faults a board cannot inject on itself are marked as actions for the HIL runner.
    const k = scenarioFaults(s)[0]!.kind;
    t.is(s.hil.via === 'action', k === 'kill' || k === 'restart' || k === 'hang', s.id);
  }
});

test('a clean kill of the active board passes: b2 takes over at once and b1 is back in 12 s', (t) => {
  const s = scenarioById('kill-active');
  const out = checkOutcome(s, observed('b1', [
    { kind: 'active', board: 'b1', atMs: 0 },
    { kind: 'members', members: all, atMs: 0 },
    { kind: 'active', board: 'b2', atMs: 1200 },
    { kind: 'members', members: ['b2', 'b3'], atMs: 1200 },
    { kind: 'reset', board: 'b1', reason: 'watchdog', atMs: 3000 },
    { kind: 'members', members: all, atMs: 13_000 },
  ]));
  t.true(out.pass, formatOutcome(out).join('\n'));
  t.deepEqual(out.failures, []);
  t.regex(out.results.find((r) => r.check === 'activeMoves')!.reason, /b2 took over 0.2 s after the fault/);
  t.regex(out.results.find((r) => r.check === 'rejoin')!.reason, /b1 left 0.2 s and was back 12 s after the fault/);
});

test('a kill that lost cycles, drove twice and never brought the board back fails with each reason', (t) => {
  const out = checkOutcome(scenarioById('kill-active'), observed('b1', [
    { kind: 'active', board: 'b1', atMs: 0 },
    { kind: 'members', members: all, atMs: 0 },
    { kind: 'members', members: ['b2', 'b3'], atMs: 1500 },
    { kind: 'active', board: 'b2', atMs: 2500 },
  ], { lostCycles: 3, dualDriven: 1 }));
  t.false(out.pass);
  t.deepEqual(out.failures, [
    'noLostCycle: 3 lost cycle(s)',
    'noDualDrive: 1 dual-driven cycle(s)',
    'activeMoves: b2 took over only 1.5 s after the fault, later than 1 s',
    'rejoin: b1 left 0.5 s after the fault and was not back within 15 s',
  ]);
});

test('a stall is judged by the reset reason: a watchdog reset passes, a restart does not', (t) => {
  const s = scenarioById('stall');
  const base: ObservedEvent[] = [{ kind: 'members', members: all, atMs: 0 }, { kind: 'members', members: all, atMs: 9000 }];
  t.true(checkOutcome(s, observed('b3', [...base, { kind: 'reset', board: 'b3', reason: 'watchdog', atMs: 3500 }])).pass);
  const wrong = checkOutcome(s, observed('b3', [...base, { kind: 'reset', board: 'b3', reason: 'restart', atMs: 3500 }]));
  t.deepEqual(wrong.failures, ['reset: b3 reset for "restart", expected "watchdog"']);
  const none = checkOutcome(s, observed('b3', base));
  t.deepEqual(none.failures, ['reset: b3 did not reset within 5 s']);
  const late = checkOutcome(s, observed('b3', [...base, { kind: 'reset', board: 'b3', reason: 'watchdog', atMs: 7000 }]));
  t.deepEqual(late.failures, ['reset: b3 reset only 6 s after the fault, later than 5 s']);
});

test('what a runner cannot measure is unverified, not passed, and does not fail the run', (t) => {
  const out = checkOutcome(scenarioById('flip'), observed('b3', [], { wrongOutputs: null, lostCycles: null }));
  t.true(out.pass);
  t.deepEqual(out.unverified, [
    'noLostCycle: lost cycle(s) cannot be measured by this runner',
    'noWrongOutput: wrong output(s) cannot be measured by this runner',
    'outvoted: no votes nor voting sets were observed',
  ]);
  t.deepEqual(out.results.filter((r) => r.status === 'pass').map((r) => r.check), ['noDualDrive']);
});

test('a flipped bit is outvoted when a vote names the board in dissent, and fails when votes never do', (t) => {
  const s = scenarioById('flip');
  t.true(checkOutcome(s, observed('b3', [{ kind: 'vote', cycle: 80, dissent: ['b3'], atMs: 1100 }])).pass);
  const out = checkOutcome(s, observed('b3', [{ kind: 'vote', cycle: 80, dissent: [], atMs: 1100 }, { kind: 'vote', cycle: 200, dissent: ['b3'], atMs: 5000 }]));
  t.deepEqual(out.failures, ['outvoted: no vote outvoted b3 within 2 s']);
});

test('a serial cut must leave the voting set alone; a change after the fault fails it', (t) => {
  const s = scenarioById('cut-serial');
  t.true(checkOutcome(s, observed('b1', [{ kind: 'members', members: all, atMs: 0 }])).pass);
  const out = checkOutcome(s, observed('b1', [{ kind: 'members', members: all, atMs: 0 }, { kind: 'members', members: ['b1', 'b3'], atMs: 2000 }]));
  t.deepEqual(out.failures, ['membersStable: the voting set changed from b1,b2,b3 to b1,b3 1 s after the fault']);
});

test('a PSU loss must move the active role off a board that was active when it fired', (t) => {
  const s = scenarioById('psu');
  t.deepEqual(checkOutcome(s, observed('b2', [{ kind: 'active', board: 'b1', atMs: 0 }])).failures, ['activeMoves: b2 was not active when the fault fired (b1 was)']);
  t.deepEqual(checkOutcome(s, observed('b1', [{ kind: 'active', board: 'b1', atMs: 0 }])).failures, ['activeMoves: the active role did not leave b1 within 3 s']);
  t.true(checkOutcome(s, observed('b1', [{ kind: 'active', board: 'b1', atMs: 0 }, { kind: 'active', board: 'b3', atMs: 2500 }])).pass);
});

test('a restart that never took effect is reported as such', (t) => {
  const out = checkOutcome(scenarioById('restart'), observed('b2', [{ kind: 'members', members: all, atMs: 0 }, { kind: 'members', members: all, atMs: 5000 }]));
  t.deepEqual(out.failures, ['reset: b2 did not reset within 5 s', 'rejoin: b2 never left the voting set: did the fault take effect?']);
});

test('the simulator run of a psu scenario is observed: active resolved at the fault, takeover, counts from the summary', (t) => {
  const st = (board: string, active: string, members: string[], dissent: string[] = [], cycle = 1) =>
    ({ kind: 'status', board, role: 'member', active, members, lastVote: { cycle, outcome: 'majority', dissent } });
  const o = observeSimRun(scenarioById('psu'), boards, [
    { tMs: 100, event: st('b1', 'b2', all) },
    { tMs: 200, event: { kind: 'fault', spec: 'psu:active:a@4s' } },
    { tMs: 300, event: { kind: 'boot', board: 'b2', boot: 2, reason: 'watchdog' } },
    { tMs: 400, event: st('b3', 'b3', ['b1', 'b3'], ['b2'], 9) },
  ], { event: 'summary', cycles: 100, lostCycles: 1, wrongOutputs: 0, dualDriven: 0, failovers: 1, maxGapMs: 50 });
  t.is(o.target, 'b2');
  t.is(o.faultAtMs, 200);
  t.is(o.lostCycles, 1);
  t.deepEqual(o.events.map((e) => e.kind), ['active', 'members', 'vote', 'reset', 'active', 'members', 'vote']);
  const out = checkOutcome(scenarioById('psu'), o);
  t.deepEqual(out.failures, ['noLostCycle: 1 lost cycle(s)']);
  t.is(out.results.find((r) => r.check === 'activeMoves')!.status, 'pass');
});

test('a kill line of the simulator names the board it hit', (t) => {
  const o = observeSimRun(scenarioById('kill-active'), boards, [{ tMs: 5, event: { kind: 'fault', spec: 'kill:b3' } }],
    { event: 'summary', cycles: 1, lostCycles: 0, wrongOutputs: 0, dualDriven: 0, failovers: 0, maxGapMs: 0 });
  t.is(o.target, 'b3');
});
