/**
 * The operator's actions in the whole-board simulator: the maintenance button's short press
 * (hand the active role away) and its hold (out for service, and back), as `ftc sim --fault
 * button:...` specs, over seeds of machine noise. The same stories run in real time in
 * test/e2e/sim-faults.e2e.ts; here each seed is one reproducible run in virtual time.
 */
import test from 'ava';
import { parseFaultSpec } from '../../src/rig/faultspec.ts';
import { SIM_RATE_HZ_DEFAULT } from '../../src/rig/sim-timing.ts';
import { fromSpec } from '../../src/sim/board-plan.ts';
import { runBoardSeed } from '../../src/sim/board-swarm.ts';
import { tank } from '../helpers/tank.ts';

const seeds = [1, 2, 3, 4, 5, 6];

function reproduce(seed: number, specs: readonly string[]): string {
  return `reproduce: npm run sim:swarm -- --stack board --seeds 1 --from ${seed}${specs.map((s) => ` --fault '${s}'`).join('')} --events seed-${seed}.jsonl`;
}

for (const seed of seeds) {
  test(`seed ${seed}: b2's button held takes it out for service without a fence; held again, it is voted back in; no cycle lost`, async (t) => {
    const specs = ['button:b2@3s+3500ms', 'button:b2@7s+3500ms'];
    const { result } = await runBoardSeed(tank, seed, SIM_RATE_HZ_DEFAULT, { keepEvents: true, faults: specs.map((s) => fromSpec(parseFaultSpec(s))) });
    t.deepEqual(result.report.violations, [], reproduce(seed, specs));
    const events = result.events.map((e) => e.event as unknown as Record<string, unknown>);
    const left = events.findIndex((e) => e.kind === 'service-leave' && e.board === 'b2');
    const back = events.findIndex((e) => e.kind === 'service-return' && e.board === 'b2');
    t.true(left >= 0 && back > left, 'out for service, then back');
    t.true(events.slice(left, back).some((e) => e.kind === 'votedOut' && e.target === 'b2'), 'its peers voted it out');
    t.false(events.some((e) => e.kind === 'fence' || e.kind === 'reset-line'), 'nobody fenced it');
    t.false(events.slice(left, back).some((e) => e.kind === 'votedIn' && e.target === 'b2'), 'never back by itself');
    t.true(events.slice(back).some((e) => e.kind === 'votedIn' && e.target === 'b2'), 'voted back in');
    t.is(result.report.lostCycles, 0);
  });

  test(`seed ${seed}: a short press on the active board hands the role over at a cycle boundary; no cycle lost`, async (t) => {
    const specs = ['button:active@4s+200ms'];
    const { result } = await runBoardSeed(tank, seed, SIM_RATE_HZ_DEFAULT, { keepEvents: true, faults: specs.map((s) => fromSpec(parseFaultSpec(s))) });
    t.deepEqual(result.report.violations, [], reproduce(seed, specs));
    const events = result.events.map((e) => e.event as unknown as Record<string, unknown>);
    t.true(events.some((e) => e.kind === 'handover-done'), 'the active role moved, as a handover');
    t.false(events.some((e) => e.kind === 'failover'), 'not a failover');
    t.is(result.report.lostCycles, 0);
  });
}
