import { runSwarm, runSeed } from './swarm.ts';

/**
 * npm run sim:swarm -- --seeds N [--from S] [--cycles C] [--verbose]
 * Prints one reproducing line per failing seed and `seeds: N, violations: V` last; exit 1 on any.
 */
const defaultCycles = 1000;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name}: expected a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  return v;
}

const seeds = arg('seeds', 100);
const from = arg('from', 1);
const cycles = arg('cycles', defaultCycles);
if (cycles < 300) { console.error(`--cycles: use at least 300 (got ${cycles}) so a fault, its repair and the rejoin fit`); process.exit(2); }
const verbose = process.argv.includes('--verbose');

if (verbose && seeds === 1) {
  const { plan, result } = runSeed(from, cycles);
  console.log(JSON.stringify(plan));
  for (const v of result.violations) console.log(`violation at cycle ${v.cycle}: ${v.kind}: ${v.detail}`);
}
const s = runSwarm(from, seeds, cycles, defaultCycles, () => performance.now());
for (const f of s.failed) console.log(`FAIL seed ${f.seed}: ${f.first}\n  reproduce: ${f.line}`);
console.log(
  `${(s.seeds / (s.elapsedMs / 1000)).toFixed(1)} seeds/s (${cycles} cycles each); worst gap: ${s.worstGapSingle} cycles single-fault, ${s.worstGapDouble} double-fault; ` +
  `worst detection ${s.worstDetect} cycles; worst rejoin ${s.worstRejoin} cycles after repair`,
);
console.log(`seeds: ${s.seeds}, violations: ${s.violations}`);
process.exit(s.violations ? 1 : 0);
