/**
 * npm run sim:swarm -- [--stack core|board|checkpoint] --seeds N [--from S] [--cycles C] [--rate-hz R] [--workload PATH] [--workload-options JSON] [--fault SPEC]... [--events FILE] [--jobs J] [--verbose]
 *
 * --stack core (default): the voter cores alone over the simulator's own network model
 *   (src/sim/sim.ts), 1,000 cycles a seed.
 * --stack checkpoint: the checkpoint class (src/checkpoint/core.ts) over a lossy, reordering
 *   network with lagging membership views: crashes, hangs and partitions of the primary at every
 *   point of the protocol (src/sim/checkpoint-sim.ts).
 * --stack board: whole boards — the board shell, links, frame codec, watchdog gate, monitors,
 *   peripherals — on simulated processes, cables and UDP (src/sim/board-sim.ts), at the rate of
 *   `ftc sim` unless --rate-hz says otherwise.
 * --workload PATH: the workload module to run (default: package.json "ftc"."defaultWorkload"), with
 *   its plant, or seeded inputs within its signals' ranges when it brings none.
 * --workload-options JSON: the workload's options, a JSON object (as workload.options in a board config).
 * --fault SPEC (board stack, repeatable): these faults (`ftc sim --fault` specs) instead of the
 *   seed's own, on the seed's machine: a story of `ftc sim` replayed in seeded virtual time.
 * --jobs J (board stack): J processes over disjoint seed ranges (one per core is the most useful).
 * Prints one reproducing line per failing seed and `stack: S, seeds: N, violations: V` last;
 * exit 1 on any violation, 2 on a bad option.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SIM_RATE_HZ_DEFAULT } from '../rig/sim-timing.ts';
import { parseFaultSpec } from '../rig/faultspec.ts';
import type { BoardFault } from './board-faults.ts';
import { fromSpec } from './board-plan.ts';
import { defaultWorkloadPath } from '../workload/default.ts';
import { loadWorkload, WorkloadLoadError, type LoadedWorkload } from '../workload/loader.ts';
import { simWorld } from './plant.ts';
import { mergeBoardSwarm, runBoardSeed, runBoardSwarm, type BoardSwarmSummary } from './board-swarm.ts';
import { runSeed, runSwarm } from './swarm.ts';
import { failoverCyclesMax, runCheckpointSwarm } from './checkpoint-sim.ts';
import { defaultVoterConfig } from '../voter/config.ts';
import { jsonObjectOption } from '../cli/option-parsers.ts';

const defaultCycles = 1000;

function usage(message: string): never {
  console.error(`sim:swarm: ${message}\nusage: npm run sim:swarm -- [--stack core|board|checkpoint] --seeds N [--from S] [--cycles C] [--rate-hz R] [--workload PATH] [--workload-options JSON] [--fault SPEC]... [--events FILE] [--jobs J] [--verbose]`);
  process.exit(2);
}

let values: Record<string, string | boolean | string[] | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      stack: { type: 'string', default: 'core' },
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      cycles: { type: 'string' },
      'rate-hz': { type: 'string' },
      events: { type: 'string' },
      fault: { type: 'string', multiple: true },
      workload: { type: 'string' },
      'workload-options': { type: 'string' },
      jobs: { type: 'string', default: '1' },
      'summary-json': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usage((e as Error).message);
}

function int(name: string, min: number): number {
  const raw = values[name] as string;
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v < min) usage(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return v;
}

const stack = values.stack as string;
if (stack !== 'core' && stack !== 'board' && stack !== 'checkpoint') usage(`--stack: use core, board or checkpoint, got ${JSON.stringify(stack)}`);
const seeds = int('seeds', 0);
const from = int('from', 0);
const verbose = values.verbose === true;
const workloadPath = (values.workload as string | undefined) ?? defaultWorkloadPath();
let workloadOptions: Record<string, unknown> = {};
if (values['workload-options'] !== undefined) {
  try {
    workloadOptions = jsonObjectOption(values['workload-options'] as string);
  } catch (e) {
    usage(`--workload-options: ${(e as Error).message}`);
  }
}
let loaded: LoadedWorkload;
try {
  loaded = await loadWorkload(workloadPath, workloadOptions);
} catch (e) {
  if (!(e instanceof WorkloadLoadError)) throw e;
  console.error(`sim:swarm: --workload: ${e.message}`);
  process.exit(2);
}

if (loaded.workload.class === 'checkpoint' && stack !== 'checkpoint') {
  usage(`--workload: ${loaded.workload.name} is a checkpoint workload; the core and board stacks run lockstep ones (its protocol has its own: --stack checkpoint; on the whole rig: ftc sim --workload)`);
}

if (stack === 'checkpoint') {
  const t0 = performance.now();
  const s = runCheckpointSwarm(from, seeds);
  for (const f of s.failed) console.log(`FAIL seed ${f.seed}: ${f.first}\n  reproduce: npm run sim:swarm -- --stack checkpoint --seeds 1 --from ${f.seed}`);
  console.log(`${(s.seeds / ((performance.now() - t0) / 1000)).toFixed(0)} seeds/s; ${s.applied} epochs applied; worst failover ${s.worstFailoverCycles} cycles (bound ${failoverCyclesMax})`);
  console.log(`stack: checkpoint, seeds: ${s.seeds}, violations: ${s.violations}`);
  process.exit(s.violations ? 1 : 0);
}

if (stack === 'core') {
  if (values['rate-hz'] !== undefined || values.events !== undefined || values.fault !== undefined) usage('--rate-hz, --fault and --events are for --stack board');
  const cycles = values.cycles === undefined ? defaultCycles : int('cycles', 300);
  const world = simWorld(loaded, defaultVoterConfig.periodMs / 1000);
  if (verbose && seeds === 1) {
    const { plan, result } = runSeed(world, from, cycles);
    console.log(JSON.stringify(plan));
    for (const v of result.violations) console.log(`violation at cycle ${v.cycle}: ${v.kind}: ${v.detail}`);
  }
  const s = runSwarm(world, from, seeds, cycles, defaultCycles, () => performance.now());
  for (const f of s.failed) console.log(`FAIL seed ${f.seed}: ${f.first}\n  reproduce: ${f.line}`);
  console.log(
    `${(s.seeds / (s.elapsedMs / 1000)).toFixed(1)} seeds/s (${cycles} cycles each); worst gap: ${s.worstGapSingle} cycles single-fault, ${s.worstGapDouble} double-fault; ` +
    `worst detection ${s.worstDetect} cycles; worst rejoin ${s.worstRejoin} cycles after repair`,
  );
  console.log(`stack: core, seeds: ${s.seeds}, violations: ${s.violations}`);
  process.exit(s.violations ? 1 : 0);
}

if (values.cycles !== undefined) usage('--cycles is for --stack core (board seeds run their plan\'s duration)');
const rateHz = values['rate-hz'] === undefined ? SIM_RATE_HZ_DEFAULT : int('rate-hz', 1);
const eventsFile = values.events as string | undefined;
if (eventsFile !== undefined && seeds !== 1) usage('--events writes one run\'s events: use it with --seeds 1');
let faults: BoardFault[] | undefined;
try {
  faults = (values.fault as string[] | undefined)?.map((f) => fromSpec(parseFaultSpec(f)));
} catch (e) {
  usage(`--fault: ${(e as Error).message}`);
}

if (eventsFile !== undefined || (verbose && seeds === 1)) {
  const { plan, result } = await runBoardSeed(loaded, from, rateHz, { keepEvents: true, faults });
  if (eventsFile) {
    writeFileSync(eventsFile, result.events.map((e) => JSON.stringify({ tRunMs: Math.round(e.tMs * 1000) / 1000, ...e.event })).join('\n') + '\n');
    console.log(`events of seed ${from}: ${eventsFile} (${result.events.length} events)`);
  }
  console.log(`seed ${from}: ${plan.kind} on a ${plan.machine.name} machine at ${rateHz} Hz, ${plan.cycles} cycles; faults: ${result.faults.join(', ') || 'none'}`);
  for (const v of result.report.violations) console.log(`violation at ${Math.round(v.tMs)} ms (cycle ${v.cycle}): ${v.kind}: ${v.detail}`);
}
const jobs = int('jobs', 1);
if (jobs > 16) usage('--jobs: at most 16');
let s: BoardSwarmSummary;
if (jobs > 1 && seeds > 1) {
  // Disjoint seed ranges in child processes of this same command, each printing its summary as JSON last.
  const t0 = performance.now();
  const per = Math.ceil(seeds / jobs);
  const parts = await Promise.all(Array.from({ length: Math.min(jobs, seeds) }, (_, j) => {
    const f = from + j * per;
    const n = Math.min(per, from + seeds - f);
    const args = [...process.execArgv, fileURLToPath(import.meta.url), '--stack', 'board', '--seeds', String(n), '--from', String(f), '--rate-hz', String(rateHz), '--workload', loaded.path, '--workload-options', JSON.stringify(loaded.options),
      ...((values.fault as string[] | undefined) ?? []).flatMap((x) => ['--fault', x]), '--summary-json'];
    return new Promise<BoardSwarmSummary>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('close', () => {
        const last = out.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last) as BoardSwarmSummary);
        } catch {
          reject(new Error(`sim:swarm job for seeds ${f}..${f + n - 1} printed no summary:\n${out.slice(-2000)}`));
        }
      });
    });
  }));
  s = mergeBoardSwarm(parts, performance.now() - t0);
} else s = await runBoardSwarm(loaded, from, seeds, rateHz, SIM_RATE_HZ_DEFAULT, () => performance.now(), undefined, values.fault as string[] | undefined);
if (values['summary-json'] === true) {
  console.log(JSON.stringify(s));
  process.exit(0);
}
for (const f of s.failed) console.log(`FAIL seed ${f.seed}: ${f.first}\n  reproduce: ${f.line}`);
console.log(
  `${(s.seeds / (s.elapsedMs / 1000)).toFixed(2)} seeds/s at ${rateHz} Hz (${(s.simulatedMs / s.elapsedMs).toFixed(1)}x real time); ` +
  `worst rejoin ${Math.round(s.rejoinMsMax)} ms (p99 ${Math.round(s.rejoinMsP99)} ms) from the first frame; worst detection ${Math.round(s.detectMsMax)} ms; ` +
  `worst re-form ${Math.round(s.reformMsMax)} ms; worst gap ${Math.round(s.worstGapMs)} ms (${s.worstGapCycles} lost cycles in a row) outside excused spells`,
);
console.log(`stack: board, seeds: ${s.seeds}, violations: ${s.violations}`);
process.exit(s.violations ? 1 : 0);
