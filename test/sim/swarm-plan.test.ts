import test from 'ava';
import { planSeed, reproduceLine, singleKinds } from '../../src/sim/swarm.ts';

test('fault schedules are a pure function of the seed; every tenth seed is a double fault, another tenth rig-wide', (t) => {
  t.deepEqual(planSeed(4711, 1000), planSeed(4711, 1000));
  t.is(planSeed(19, 1000).hypothesis, 'double');
  t.is(planSeed(19, 1000).faults.length, 2);
  t.is(planSeed(20, 1000).hypothesis, 'single');
  t.true(['pauseAll', 'restartAll'].includes(planSeed(24, 1000).faults[0]!.kind), 'seeds ending in 4 stall or power-cycle the whole rig');
});

test('single-fault schedules leave room for repair and rejoin, and over many seeds use every fault kind', (t) => {
  const seen = new Set<string>();
  for (let s = 1; s <= 400; s++) {
    const p = planSeed(s, 400);
    if (p.hypothesis === 'double' || p.faults.some((f) => f.board < 0)) continue;
    for (const f of p.faults) {
      seen.add(f.kind);
      t.true(f.endCycle + 80 < 400, `seed ${s}: ${JSON.stringify(f)}`);
    }
  }
  t.deepEqual([...seen].sort(), [...singleKinds].sort());
});

test('a failing seed is reproduced by one command line', (t) => {
  t.is(reproduceLine(4711, 1000, 1000), 'node --import=tsx src/sim/swarm-cli.ts --seeds 1 --from 4711');
  t.is(reproduceLine(4711, 400, 1000), 'node --import=tsx src/sim/swarm-cli.ts --seeds 1 --from 4711 --cycles 400');
});
