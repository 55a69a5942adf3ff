/**
 * The example workloads (examples/): each loads as `ftc sim` loads it, its plant keeps to the
 * PlantModel contract, it does its job against its plant in a fault-free reference run, its
 * safety property holds over a long one, and the whole-board simulator keeps it running through
 * single faults. `nondeterministic` only has to load (it exists to fail `ftc workload check`).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { parseFaultSpec } from '../../src/rig/faultspec.ts';
import { SIM_RATE_HZ_DEFAULT } from '../../src/rig/sim-timing.ts';
import { fromSpec } from '../../src/sim/board-plan.ts';
import { boardReproduceLine, runBoardSeed } from '../../src/sim/board-swarm.ts';
import { agreedSample, runReference, simWorld } from '../../src/sim/plant.ts';
import { loadWorkload, WorkloadLoadError, type LoadedWorkload } from '../../src/workload/loader.ts';
import type { Workload } from '../../src/workload/types.ts';
// Type imports keep the examples in the typecheck (tsconfig includes test/, not examples/).
import type { SequencerState } from '../../examples/sequencer/workload.ts';
import type { ThermostatState } from '../../examples/thermostat/workload.ts';
import type { TotalizerState } from '../../examples/totalizer/workload.ts';

const examplePath = (name: string) => fileURLToPath(new URL(`../../examples/${name}/workload.ts`, import.meta.url));
const periodS = 1 / SIM_RATE_HZ_DEFAULT;

const thermostat = await loadWorkload(examplePath('thermostat'));
const sequencer = await loadWorkload(examplePath('sequencer'));
const totalizer = await loadWorkload(examplePath('totalizer'));

interface Trace<S> {
  inputs: number[][];
  outputs: number[][];
  states: S[];
}

/** A fault-free run like runReference, keeping what the boards agreed and the state after each cycle. */
function trace<S>(l: LoadedWorkload, seed: number, cycles: number): Trace<S> {
  const world = simWorld(l, periodS);
  const plant = world.plantFor(seed);
  const wl = world.workload;
  let state = wl.init();
  const out: Trace<S> = { inputs: [], outputs: [], states: [] };
  for (let k = 0; k < cycles; k++) {
    const agreed = agreedSample(plant, wl, k);
    const res = wl.step(state, agreed);
    state = res.state;
    out.inputs.push(agreed);
    out.outputs.push(res.outputs);
    out.states.push(state as S);
    plant.step(res.outputs);
  }
  return out;
}

/** How many times output `i` went from `from` to `to`. */
function transitions(outputs: readonly (readonly number[])[], i: number, from: number, to: number): number {
  let n = 0;
  for (let k = 1; k < outputs.length; k++) if (outputs[k - 1]![i] === from && outputs[k]![i] === to) n++;
  return n;
}

// ------------------------------------------------------------------ every example's plant

for (const [name, l] of [['thermostat', thermostat], ['sequencer', sequencer], ['totalizer', totalizer]] as const) {
  test(`${name}: its plant answers any board, in any order, for published cycles, the same each time and within tolerance`, (t) => {
    const plant = simWorld(l, periodS).plantFor(5);
    const wl = l.workload;
    const seen = new Map<string, string>();
    const widest = wl.inputs.map(() => 0);
    let state = wl.init();
    for (let k = 0; k < 600; k++) {
      // Cycles k-8..k+1 are published (k+1 reflects the outputs of k-1); boards ask in a scrambled order.
      for (let q = 0; q < 30; q++) {
        const cycle = Math.max(0, k - 8 + ((q * 7) % 10));
        const board = (q * 5 + k) % 3;
        const v = plant.sensorsFor(board, cycle).join(',');
        const key = `${board}:${cycle}`;
        const before = seen.get(key);
        if (before === undefined) seen.set(key, v);
        else if (v !== before) t.fail(`board ${board} cycle ${cycle}, asked again at ${k}: ${v}, first ${before}`);
      }
      const samples = [0, 1, 2].map((b) => plant.sensorsFor(b, k));
      wl.inputs.forEach((s, i) => {
        const xs = samples.map((x) => x[i]!);
        for (const x of xs) {
          if (!(Number.isFinite(x) && x >= (s.min ?? -Infinity) && x <= (s.max ?? Infinity))) t.fail(`${s.name} = ${x} at ${k}: outside its range`);
        }
        const spread = Math.max(...xs) - Math.min(...xs);
        if (s.kind === 'discrete' && spread !== 0) t.fail(`${s.name} at ${k}: boards read the same switch differently`);
        if (s.kind === 'analog' && spread > (s.toleranceAbs ?? 0)) t.fail(`${s.name} at ${k}: spread ${spread} beyond ${s.toleranceAbs}`);
        if (s.kind === 'analog') widest[i] = Math.max(widest[i]!, spread);
      });
      const res = wl.step(state, agreedSample(plant, wl, k));
      state = res.state;
      plant.step(k % 97 === 50 ? null : res.outputs); // now and then nobody drove the cycle
    }
    t.is(seen.size, 3 * 601, 'every board asked for every cycle 0..600');
    t.log(`widest spread between boards: ${wl.inputs.map((s, i) => `${s.name} ${s.kind === 'analog' ? widest[i] : '-'}`).join(', ')}`);
  });

  test(`${name}: its world is a function of the seed`, (t) => {
    const a = runReference(simWorld(l, periodS), 3, 1500).outputs;
    t.deepEqual(trace(l, 3, 1500).outputs, a, 'the same seed, the same run');
    t.notDeepEqual(runReference(simWorld(l, periodS), 4, 1500).outputs, a, 'another seed, another run');
  });
}

// ------------------------------------------------------------------ thermostat

test('thermostat: against its room, the heater switches on and off, again and again', (t) => {
  for (const seed of [1, 2, 3]) {
    const { outputs } = runReference(simWorld(thermostat, periodS), seed, 1200); // one minute
    const on = transitions(outputs, 0, 0, 1);
    const off = transitions(outputs, 0, 1, 0);
    t.true(on >= 3 && off >= 3, `seed ${seed}: on ${on} times, off ${off} times in a minute`);
  }
});

test('thermostat: after warming up, the room stays within the band (and a little overshoot) for ten minutes', async (t) => {
  for (const [seed, options, lo, hi] of [[1, {}, 20.5, 21.5], [2, {}, 20.5, 21.5], [3, { setpointC: 25, bandC: 2 }, 24, 26]] as const) {
    const tr = trace<ThermostatState>(await loadWorkload(examplePath('thermostat'), options), seed, 12_000);
    const temps = tr.inputs.map((x) => x[0]!);
    const warm = temps.findIndex((x) => x >= hi);
    t.true(warm >= 0 && warm < 600, `seed ${seed}: warm within 30 s (at cycle ${warm})`);
    const after = temps.slice(warm);
    const [min, max] = [Math.min(...after), Math.max(...after)];
    t.true(min >= lo - 0.5 && max <= hi + 0.5, `seed ${seed}: ${min}..${max} within ${lo}..${hi} ± 0.5`);
    t.true(tr.states.every((s, k) => (s.heaterOn ? 1 : 0) === tr.outputs[k]![0]), 'the relay follows the state');
  }
});

test('thermostat: options it cannot use are refused when it loads', async (t) => {
  const e = await t.throwsAsync(loadWorkload(examplePath('thermostat'), { bandC: -1 }), { instanceOf: WorkloadLoadError });
  t.regex(e!.message, /bandC/);
  await t.throwsAsync(loadWorkload(examplePath('thermostat'), { setpointC: 'warm' }), { instanceOf: WorkloadLoadError });
});

// ------------------------------------------------------------------ sequencer

const FILL = '1,0,0';
const DRAIN = '0,1,0';
const MIX = '0,0,1';

test('sequencer: against its vessel it runs fill, mix, drain, idle, in that order, batch after batch', (t) => {
  for (const seed of [1, 2]) {
    const { outputs } = runReference(simWorld(sequencer, periodS), seed, 2000);
    // What it drives, with the all-off spells (idle, door open) left out and repeats merged.
    const driven = outputs.map((o) => o.join(',')).filter((o) => o !== '0,0,0').filter((o, k, xs) => k === 0 || o !== xs[k - 1]);
    t.is(driven[0], FILL, `seed ${seed}: it starts by filling`);
    const next: Record<string, string> = { [FILL]: MIX, [MIX]: DRAIN, [DRAIN]: FILL };
    t.true(driven.every((o, k) => k === 0 || next[driven[k - 1]!] === o), `seed ${seed}: ${driven.join(' > ')}`);
    t.true(driven.length >= 6, `seed ${seed}: at least two batches in 100 s (${driven.length / 3})`);
    const steps = new Set(trace<SequencerState>(sequencer, seed, 2000).states.map((s) => s.step));
    t.deepEqual([...steps].sort(), ['drain', 'fill', 'idle', 'mix'], `seed ${seed}: every step, no fault`);
  }
});

test('sequencer: over an hour of batches and door openings, the interlocks always hold', (t) => {
  let doorOpenWhileBusy = 0;
  for (const seed of [1, 2, 3]) {
    const tr = trace<SequencerState>(sequencer, seed, 72_000);
    for (let k = 0; k < tr.outputs.length; k++) {
      const [inlet, outlet, pump] = tr.outputs[k]!;
      const [low, high, door] = tr.inputs[k]!;
      const at = `seed ${seed} cycle ${k}: in ${tr.inputs[k]!.join(',')} out ${tr.outputs[k]!.join(',')}`;
      if (inlet === 1 && outlet === 1) t.fail(`${at}: inlet and outlet open together`);
      if (pump === 1 && !(door === 1 && low === 1)) t.fail(`${at}: pump without the door closed and the low switch covered`);
      if (door === 0 && (inlet !== 0 || outlet !== 0 || pump !== 0)) t.fail(`${at}: something on with the door open`);
      if (inlet === 1 && high === 1) t.fail(`${at}: inlet open with the high switch covered`);
      if (door === 0 && tr.states[k]!.step !== 'idle') doorOpenWhileBusy++;
    }
    t.false(tr.states.some((s) => s.step === 'fault'), `seed ${seed}: a healthy vessel never trips a timeout`);
  }
  t.true(doorOpenWhileBusy > 100, `the door was opened mid-batch (${doorOpenWhileBusy} cycles): the interlock was exercised`);
});

test('sequencer: a fill that never reaches the high switch latches fault until the door is opened and closed', (t) => {
  const wl = sequencer.workload as unknown as Workload<SequencerState>;
  let s = wl.init();
  const run = (inputs: number[], n: number): number[] => {
    let o: number[] = [];
    for (let i = 0; i < n; i++) ({ state: s, outputs: o } = wl.step(s, inputs));
    return o;
  };
  t.deepEqual(run([0, 0, 1], 10), [1, 0, 0], 'idle, then filling');
  t.deepEqual(run([0, 0, 1], 401), [0, 0, 0], 'the fill timed out');
  t.is(s.step, 'fault');
  t.deepEqual(run([0, 0, 1], 50), [0, 0, 0], 'latched');
  run([1, 0, 0], 3); // door opened
  t.is(s.step, 'fault');
  run([1, 0, 1], 1); // and closed: acknowledged
  t.is(s.step, 'drain');
  t.deepEqual(run([1, 0, 1], 1), [0, 1, 0], 'it drains');
  t.deepEqual(run([0, 0, 1], 1), [0, 0, 0], 'and idles once the low switch clears');
  t.is(s.step, 'idle');
});

// ------------------------------------------------------------------ totalizer

const litresPerPulse = 1 / 450;

test('totalizer: against its meter, the total grows and the rate follows the flow', (t) => {
  for (const seed of [1, 2]) {
    const { outputs } = runReference(simWorld(totalizer, periodS), seed, 1200);
    const totals = outputs.map((o) => o[0]!);
    t.true(totals.at(-1)! > 1, `seed ${seed}: ${totals.at(-1)} L in a minute`);
    t.true(new Set(totals).size > 500, `seed ${seed}: the total moves nearly every cycle`);
    const rates = outputs.map((o) => o[1]!).slice(20);
    t.true(rates.every((r) => r >= 0 && r < 40), `seed ${seed}: rates ${Math.min(...rates)}..${Math.max(...rates)} L/min`);
    t.true(new Set(rates).size > 5, `seed ${seed}: the rate changes`);
  }
});

test('totalizer: over an hour the total never goes back except on a reset, and is the counted pulses times litres per pulse', (t) => {
  let resets = 0;
  let alarms = 0;
  for (const seed of [1, 2]) {
    const tr = trace<TotalizerState>(totalizer, seed, 72_000);
    let high = Math.floor(tr.inputs[0]![0]!); // the highest count agreed so far
    let atReset = high;
    let wasDown = false;
    for (let k = 0; k < tr.outputs.length; k++) {
      const [pulses, reset] = tr.inputs[k]!;
      const [total, rate, alarm] = tr.outputs[k]!;
      high = Math.max(high, Math.floor(pulses!));
      const pressed = reset === 1 && !wasDown;
      wasDown = reset === 1;
      if (pressed) { atReset = high; resets++; }
      const at = `seed ${seed} cycle ${k}`;
      const want = Math.round((high - atReset) * litresPerPulse * 1000) / 1000;
      if (total !== want) t.fail(`${at}: total ${total} L, but ${high - atReset} pulses since the reset are ${want} L`);
      if (k > 0 && !pressed && total! < tr.outputs[k - 1]![0]!) t.fail(`${at}: total went back from ${tr.outputs[k - 1]![0]} to ${total}`);
      if (alarm !== (rate! > 20 ? 1 : 0)) t.fail(`${at}: alarm ${alarm} at ${rate} L/min`);
    }
    alarms += transitions(tr.outputs, 2, 0, 1);
  }
  t.true(resets >= 2, `the reset button was pressed (${resets} times)`);
  t.true(alarms >= 2, `the high-rate alarm came on (${alarms} times)`);
});

test('totalizer: a count an edge behind (sampling spread) does not count twice; a counter that starts again is counted on from', (t) => {
  const wl = totalizer.workload as unknown as Workload<TotalizerState>;
  let s = wl.init();
  const step = (pulses: number, reset = 0) => { const r = wl.step(s, [pulses, reset]); s = r.state; return r.outputs[0]!; };
  step(1000);
  t.is(step(1450), 1, '450 pulses are a litre');
  t.is(step(1449.5), 1, 'two boards\' mean half an edge back: no change');
  t.is(step(1451), Math.round((451 / 450) * 1000) / 1000);
  t.is(step(3), Math.round((451 / 450) * 1000) / 1000, 'the counter restarted: the total holds');
  t.is(step(453), Math.round((901 / 450) * 1000) / 1000, 'and counts on from the restart');
  t.is(step(453, 1), 0, 'reset');
  t.is(step(903, 1), 1, 'holding the button resets once');
});

// ------------------------------------------------------------------ nondeterministic

test('nondeterministic: it has a valid shape and loads (ftc workload check is what refuses it)', async (t) => {
  const l = await loadWorkload(examplePath('nondeterministic'));
  t.is(l.workload.name, 'nondeterministic');
  t.is(l.plant, null);
  const s = l.workload.init();
  const a = l.workload.step(s, [0.5]);
  const b = l.workload.step(s, [0.5]);
  t.notDeepEqual(l.workload.encode(a.state), l.workload.encode(b.state), 'the same state and inputs step to different states');
});

// ------------------------------------------------------------------ the whole-board simulator

const faultSpecs = ['kill:active@4s', 'restart:b2@4s', 'hang:active@4s+300ms', 'flip:b3@4s'];
/** An odd seed runs on a quiet machine, an even one on a busy machine (src/sim/board-plan.ts). */
const boardSeeds = [1, 2];

for (const [name, l] of [['thermostat', thermostat], ['sequencer', sequencer], ['totalizer', totalizer]] as const) {
  for (const spec of faultSpecs) {
    for (const seed of boardSeeds) {
      test(`${name}: whole-board sim, ${spec}, seed ${seed}: no violation, no cycle lost`, async (t) => {
        const { plan, result } = await runBoardSeed(l, seed, SIM_RATE_HZ_DEFAULT, { faults: [fromSpec(parseFaultSpec(spec))] });
        const r = result.report;
        const again = `reproduce: ${boardReproduceLine(seed, SIM_RATE_HZ_DEFAULT, SIM_RATE_HZ_DEFAULT, [spec])} --workload examples/${name}/workload.ts`;
        t.deepEqual(r.violations, [], again);
        t.is(r.cyclesClosed, plan.cycles, 'the run went to its end');
        // A busy machine's late wakes beyond the protocol's bound are faults of their own boards: a
        // cycle lost while one overlaps the injected fault is outside the single-fault hypothesis,
        // and the judge excuses it (and says so in dualFaultMs). Anything else lost is a failure.
        t.is(r.lostCycles - r.excusedLostCycles, 0, again);
        if (r.excusedLostCycles > 0) t.true(r.dualFaultMs > 0, 'an excused loss only while two boards were faulty');
      });
    }
  }
}

test('nondeterministic: the whole-board simulator fails safe on it (no two digests agree)', async (t) => {
  const l = await loadWorkload(examplePath('nondeterministic'));
  const { result } = await runBoardSeed(l, 1, SIM_RATE_HZ_DEFAULT, { faults: [] });
  t.true(result.report.violations.some((v) => v.kind === 'failSafe'), JSON.stringify(result.report.violations.slice(0, 2)));
});
