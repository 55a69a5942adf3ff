import test, { type ExecutionContext } from 'ava';
import { simulate, type Fault, type SimOptions, type SimResult } from '../../src/sim/sim.ts';
import { runReference } from '../../src/sim/plant.ts';
import { tankWorkload, tankWorld } from '../helpers/tank.ts';

/** Run a story; on failure the message names the seed and the first violations. */
function story(t: ExecutionContext, o: Partial<SimOptions> & { faults: Fault[] }): SimResult {
  const seed = o.seed ?? 7;
  const r = simulate({ world: tankWorld, seed, cycles: 700, log: true, ...o });
  t.log(`seed ${seed}, cycles ${o.cycles ?? 700}, worst gap ${r.worstGapCycles}, rejoin ${r.worstRejoinCycles}`);
  return r;
}
const clean = (t: ExecutionContext, r: SimResult) =>
  t.deepEqual(r.violations, [], `seed ${r.seed}: ${JSON.stringify(r.violations.slice(0, 3))}`);
const events = (r: SimResult, code: string, target?: number) =>
  r.log.filter((e) => e.code === code && (target === undefined || e.target === target));

test('with no fault, every output equals the fault-free reference run and board 0 drives every cycle', (t) => {
  const r = story(t, { faults: [], cycles: 500, codec: true });
  clean(t, r);
  const ref = runReference(tankWorld, 7, 500);
  t.deepEqual(r.accepted, ref.outputs);
  t.true(r.driverByCycle.every((d) => d === 0));
});

test("the active board crashes at cycle 500 and cycle 500's output still arrives from the next board", (t) => {
  const r = story(t, { faults: [{ kind: 'crash', board: 0, startCycle: 500, endCycle: 501, phase: 0 }] });
  clean(t, r);
  t.is(r.driverByCycle[499], 0);
  t.is(r.driverByCycle[500], 1);
  t.deepEqual(r.accepted[500], runReference(tankWorld, 7, 501).outputs[500]);
  t.is(r.worstGapCycles, 0);
  t.is(events(r, 'fence', 0).length, 1, 'exactly one board pulls the reset line');
  t.true(events(r, 'votedIn', 0).length >= 1, 'the rebooted board is voted back in');
});

test('the active board dies after presenting its outputs: the others still select it and nothing is lost', (t) => {
  const r = story(t, { faults: [{ kind: 'crash', board: 0, startCycle: 300, endCycle: 301, phase: 0.4 }], cycles: 450 });
  clean(t, r);
  t.is(r.driverByCycle[300], 0);
  t.is(r.driverByCycle[301], 1);
});

test('a board hangs for 50 cycles, is voted out, fenced, and reintegrated when it resumes', (t) => {
  const r = story(t, { faults: [{ kind: 'pause', board: 1, startCycle: 200, endCycle: 250, phase: 0.5 }] });
  clean(t, r);
  const out = events(r, 'votedOut', 1);
  t.true(out.length >= 2 && out.every((e) => e.cycle <= 203), `voted out by both peers within 3 cycles: ${JSON.stringify(out)}`);
  const fences = events(r, 'fence', 1);
  t.is(fences.length, 1);
  t.is(fences[0]!.board, 0, 'the highest-ranked remaining member fences');
  const back = events(r, 'votedIn', 1);
  t.true(back.length >= 2, 'both members vote it back in');
  t.true(back[0]!.cycle < 320, `back at cycle ${back[0]?.cycle}`);
  t.true(r.cores.every((c) => c.snapshot().members.length === 3));
});

test('a bit flip in one board\'s state is outvoted the same cycle', (t) => {
  // Bit 126 is the top exponent bit of the PID integral: the flip changes the next state.
  const r = story(t, { faults: [{ kind: 'bitflip', board: 2, startCycle: 300, endCycle: 301, phase: 0.1, bit: 126 }], cycles: 500 });
  clean(t, r);
  const demoted = r.log.find((e) => e.code === 'demoted' && e.board === 2);
  t.is(demoted?.cycle, 300);
  t.is(demoted?.detail, 'outvoted');
  t.is(events(r, 'fence').length, 0, 'a board that steps down by itself is not fenced');
  t.true(events(r, 'votedIn', 2).length >= 1);
});

test('the serial transport between two boards is cut and nothing changes', (t) => {
  const r = story(t, { faults: [{ kind: 'serialCut', board: 0, peer: 1, startCycle: 0, endCycle: 700 }], codec: true });
  clean(t, r);
  t.true(r.driverByCycle.every((d) => d === 0));
  t.is(r.log.filter((e) => ['votedOut', 'demoted', 'accuse', 'fence'].includes(e.code)).length, 0);
});

for (const kind of ['partition', 'partitionIn', 'partitionOut'] as const) {
  test(`a ${kind === 'partition' ? 'partition' : kind === 'partitionIn' ? 'one-way partition (it hears nobody)' : 'one-way partition (nobody hears it)'} isolates the active board and no cycle has two drivers`, (t) => {
    const r = story(t, { faults: [{ kind, board: 0, startCycle: 300, endCycle: 400, phase: 0.2 }] });
    clean(t, r);
    t.is(r.driverByCycle[299], 0);
    t.is(r.driverByCycle[301], 1);
    t.is(r.worstGapCycles, 0);
    t.true(events(r, 'votedOut', 0).length >= 2);
  });
}

test('two faults one after another (the second after the first is repaired) are both survived', (t) => {
  const r = story(t, {
    faults: [
      { kind: 'crash', board: 0, startCycle: 150, endCycle: 151, phase: 0.7 },
      { kind: 'partition', board: 1, startCycle: 350, endCycle: 420, phase: 0.3 },
    ],
  });
  clean(t, r);
  t.true(events(r, 'votedOut', 0).length >= 2 && events(r, 'votedOut', 1).length >= 2);
  t.true(events(r, 'votedIn', 0).length >= 2 && events(r, 'votedIn', 1).length >= 2);
  t.is(r.worstGapCycles, 0);
});

test('two simultaneous bit flips leave no majority: the rig fails safe, never drives a wrong output, then re-forms from the last state a majority confirmed', (t) => {
  const r = story(t, {
    hypothesis: 'double',
    cycles: 500,
    faults: [
      { kind: 'bitflip', board: 1, startCycle: 200, endCycle: 201, phase: 0.1, bit: 126 },
      { kind: 'bitflip', board: 2, startCycle: 200, endCycle: 201, phase: 0.1, bit: 125 },
    ],
  });
  clean(t, r);
  t.true(r.log.some((e) => e.code === 'alarm:failSafe'));
  const reformed = r.log.find((e) => e.code === 'reformed' && e.cycle > 200);
  t.truthy(reformed, 'after failSafeHoldCycles the boards step down and re-form by themselves');
  t.regex(reformed?.detail ?? '', /state of cycle 19\d/, 'from the state a majority confirmed before the flips');
  const ref = runReference(tankWorld, 7, 500).outputs;
  // Until the re-form, only the reference outputs or the safe ones ever reach the plant.
  for (let k = 0; k < reformed!.cycle; k++) {
    const a = r.accepted[k];
    if (a !== null && a !== undefined && JSON.stringify(a) !== JSON.stringify(ref[k])) t.deepEqual(a, [...tankWorkload.safeOutputs], `cycle ${k}`);
  }
  t.deepEqual(r.accepted[250], [...tankWorkload.safeOutputs]);
  // Then the rig drives again (the simulator checks every driven output has two boards behind it).
  t.true(r.accepted.slice(-20).every((a) => a !== null && JSON.stringify(a) !== JSON.stringify(tankWorkload.safeOutputs)), 'the rig drives again');
});

test('a handover request moves the active role at a cycle boundary without losing a cycle', (t) => {
  const r = story(t, { faults: [], cycles: 300, handovers: [{ cycle: 100, board: 0, to: 2 }] });
  clean(t, r);
  const first = r.driverByCycle.indexOf(2);
  t.true(first > 100 && first <= 103, `board 2 drives from cycle ${first}`);
  t.true(r.driverByCycle.slice(first).every((d) => d === 2));
  t.is(r.worstGapCycles, 0);
  t.deepEqual(r.cores[1]!.snapshot().rankOrder[0], 2);
});

test('a board taken out for service is voted out without a fence or a snapshot, and back in after it returns', (t) => {
  const r = story(t, {
    faults: [], cycles: 500, codec: true,
    services: [{ cycle: 200, board: 1, action: 'leave', phase: 0.5 }, { cycle: 300, board: 1, action: 'return' }],
  });
  clean(t, r);
  t.is(r.worstGapCycles, 0);
  t.true(r.driverByCycle.every((d) => d === 0), 'board 0 drives every cycle');
  t.deepEqual(events(r, 'fence'), [], 'nobody is fenced');
  const out = events(r, 'votedOut', 1);
  t.deepEqual(out.map((e) => e.board).sort(), [0, 2]);
  t.true(out.every((e) => e.cycle <= 203), `voted out within 3 cycles: ${JSON.stringify(out)}`);
  const sent = events(r, 'snapshotSent', 1).map((e) => e.cycle);
  t.true(sent.length > 0 && sent.every((c) => c >= 300), `snapshots only after the return (cycles ${sent.join(', ')})`);
  const back = events(r, 'votedIn', 1);
  t.true(back.length >= 2 && back[0]!.cycle < 330, `voted back in at cycle ${back[0]?.cycle}`);
  t.true(r.cores.every((c) => c.snapshot().members.length === 3));
});

test('the active board taken out for service at a cycle start: the next board drives that cycle', (t) => {
  const r = story(t, { faults: [], cycles: 300, codec: true, services: [{ cycle: 150, board: 0, action: 'leave', phase: 0.02 }] });
  clean(t, r);
  t.is(r.driverByCycle[149], 0);
  t.is(r.driverByCycle[150], 1);
  t.true(r.driverByCycle.slice(150).every((d) => d === 1));
  t.deepEqual(events(r, 'fence'), []);
  t.is(r.cores[0]!.role, 'service', 'it stays out: nothing brings it back but the operator');
});

test('a restarted board receives its snapshot in checksummed chunks and is voted back in', (t) => {
  const r = story(t, {
    faults: [{ kind: 'restart', board: 2, startCycle: 100, endCycle: 110, phase: 0.5 }],
    voter: { snapshotChunkBytesMax: 8, cleanCyclesToRejoin: 10 },
    cycles: 300,
    codec: true,
  });
  clean(t, r);
  const sent = events(r, 'snapshotSent', 2);
  t.true(sent.length >= 1);
  t.regex(sent[0]!.detail ?? '', /in 4 chunks/);
  const back = events(r, 'votedIn', 2)[0]!;
  t.true(back.cycle - 110 <= 30, `back ${back.cycle - 110} cycles after the reboot`);
});

test('mild clock drift on one board is tracked by resync and changes nothing', (t) => {
  const r = story(t, { faults: [{ kind: 'drift', board: 1, startCycle: 0, endCycle: 700, driftPpm: 1500 }] });
  clean(t, r);
  t.is(r.log.filter((e) => ['votedOut', 'demoted', 'fence'].includes(e.code)).length, 0);
});

test('severe clock drift gets a board voted out, and it comes back once its clock is repaired', (t) => {
  const r = story(t, { faults: [{ kind: 'drift', board: 2, startCycle: 100, endCycle: 250, driftPpm: 30000 }] });
  clean(t, r);
  t.true(events(r, 'votedOut', 2).length >= 2);
  t.true(r.cores.every((c) => c.snapshot().members.length === 3));
});

test('a stuck or noisy sensor is masked by mid-value select and raises an alarm, nobody is voted out', (t) => {
  for (const kind of ['sensorStuck', 'sensorNoisy'] as const) {
    const r = story(t, { faults: [{ kind, board: 1, startCycle: 100, endCycle: 400 }], cycles: 450 });
    clean(t, r);
    t.true(r.log.some((e) => e.code === 'alarm:sensorDisagree'));
    t.is(r.log.filter((e) => e.code === 'votedOut').length, 0);
  }
});

test('the same seed replays exactly', (t) => {
  const f: Fault[] = [{ kind: 'loss', board: 0, startCycle: 50, endCycle: 150, p: 0.4 }];
  const a = simulate({ world: tankWorld, seed: 99, cycles: 300, faults: f, log: true });
  const b = simulate({ world: tankWorld, seed: 99, cycles: 300, faults: f, log: true });
  t.deepEqual(a.driverByCycle, b.driverByCycle);
  t.deepEqual(a.log, b.log);
  t.deepEqual(a.violations, []);
});

test('both transports between the active board and the next one are cut: the third board arbitrates and nobody is voted out', (t) => {
  const r = story(t, { faults: [{ kind: 'linkCut', board: 0, peer: 1, startCycle: 100, endCycle: 400 }], cycles: 450 });
  clean(t, r);
  t.true(r.driverByCycle.every((d) => d === 0));
  t.is(r.log.filter((e) => ['votedOut', 'demoted', 'fence'].includes(e.code)).length, 0);
  t.true(events(r, 'accuse').length >= 2, 'the two cut-off boards accuse each other, which is not a majority');
});

test('the OS delays all three boards together by 1.5 periods: the rig loses only the cycles nobody computed, and all three stay members', (t) => {
  const P = 10;
  const r = story(t, { cycles: 400, faults: [{ kind: 'pauseAll', board: -1, startCycle: 200, phase: 0.2, durationMs: 1.5 * P, endCycle: 203 }] });
  clean(t, r);
  const lost = r.driverByCycle.flatMap((d, k) => (d === null ? [k] : []));
  t.true(lost.length >= 1 && lost.length <= 2, `lost cycles ${JSON.stringify(lost)}`);
  t.true(lost.every((k) => k >= 200 && k <= 202), `only cycles inside the pause: ${JSON.stringify(lost)}`);
  t.is(r.excusedLostCycles, lost.length);
  t.true(events(r, 'late').length >= 3, 'every board noticed it was late');
  t.is(r.log.filter((e) => ['demoted', 'votedOut', 'fence'].includes(e.code)).length, 0, 'nobody left the voting set');
  t.true(r.driverByCycle.slice(203).every((d) => d === 0), 'board 0 drives again right after');
  t.true(r.cores.every((c) => c.snapshot().members.length === 3));
});

test('one board delayed by a whole period catches the missed cycle up from its peers and is not voted out', (t) => {
  const r = story(t, { cycles: 300, faults: [{ kind: 'pause', board: 1, startCycle: 150, phase: 0.5, endCycle: 152 }] });
  clean(t, r);
  t.is(r.worstGapCycles, 0);
  t.true(events(r, 'late', 1).length >= 1);
  t.is(r.log.filter((e) => ['demoted', 'votedOut'].includes(e.code)).length, 0);
});

test('a stall of all boards longer than the late tolerance: every board steps down, and the rig re-forms by itself from the state a majority confirmed', (t) => {
  const r = story(t, { cycles: 500, faults: [{ kind: 'pauseAll', board: -1, startCycle: 100, phase: 0.5, durationMs: 120, endCycle: 114 }] });
  clean(t, r);
  t.is(r.log.filter((e) => e.code === 'demoted').length, 3, 'all three stepped down');
  const proposals = events(r, 'reformProposed');
  t.true(proposals.length >= 1);
  t.is(proposals[0]!.board, 0, 'the highest-ranked ready board proposes');
  t.regex(proposals[0]!.detail ?? '', /from the state of cycle 99/);
  const reformed = r.log.filter((e) => e.code === 'reformed');
  t.true(reformed.length >= 2, 'at least two boards start the new voting set');
  const back = r.driverByCycle.findIndex((d, k) => k > 114 && d !== null);
  t.true(back > 0 && back < 200, `outputs again from cycle ${back}`);
  t.true(r.driverByCycle.slice(back).every((d) => d !== null), 'no cycle lost after the re-form');
  t.true(r.cores.every((c) => c.snapshot().members.length === 3), 'and all three are members at the end');
});

test('a power cut of the whole rig: the boards boot apart, re-form from the init state, and drive again with nobody operating them', (t) => {
  const r = story(t, { cycles: 500, faults: [{ kind: 'restartAll', board: -1, startCycle: 100, phase: 0.3, endCycle: 130 }] });
  clean(t, r);
  t.true(events(r, 'reformProposed').some((e) => /init state/.test(e.detail ?? '')));
  const back = r.driverByCycle.findIndex((d, k) => k > 130 && d !== null);
  t.true(back > 0 && back < 260, `outputs again from cycle ${back}`);
  t.true(r.driverByCycle.slice(back).every((d) => d !== null));
  t.true(r.cores.every((c) => c.snapshot().members.length === 3));
});

test('cold start: boards powered 0.4 s apart with unrelated clocks listen, align to the highest-ranked board, and form a rig', (t) => {
  const r = story(t, {
    cycles: 400,
    faults: [],
    coldStart: { bootAtMs: [0, 150, 400], clockOffsetMs: [0, 98_765.4321, -1_234.5678] },
    voter: { listenCycles: 20, reformQuietCycles: 30 },
  });
  clean(t, r);
  const aligned = events(r, 'aligned');
  t.true(aligned.some((e) => e.board === 0 && /own grid/.test(e.detail ?? '')), 'board 0 heard nobody and started its grid');
  t.true(aligned.some((e) => e.board === 1 && e.target === 0), 'board 1 aligned to board 0');
  t.true(r.log.some((e) => e.code === 'reformed'));
  const first = r.driverByCycle.findIndex((d) => d !== null);
  t.true(first > 0 && first < 150, `first output at cycle ${first}`);
  t.true(r.driverByCycle.slice(first).every((d) => d !== null), 'no cycle lost once formed');
  t.true(r.cores.every((c) => c.snapshot().members.length === 3), 'board 2 (booted last) joined through a snapshot');
});
