/**
 * The rig simulator end to end: three board processes and the plant, real ptys, UDP, one fault
 * at a time. Each run's plant trace must hold exactly one output per cycle, equal cycle by cycle
 * to the fault-free reference of the same seed, and no cycle may have two drivers.
 * These runs use real time, so they run one at a time (ava.e2e.config.js) after the unit tests.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseFaultSpec } from '../../src/rig/faultspec.ts';
import { runSim } from '../../src/rig/sim-run.ts';

const seed = Number(process.env.FTC_E2E_SEED ?? 7);
const rateHz = 20;
const durationMs = 12_000;

async function simulate(faults: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-e2e-'));
  const out = new PassThrough() as unknown as NodeJS.WriteStream;
  const lines: string[] = [];
  (out as unknown as PassThrough).on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const { summary } = await runSim({
    seed, rateHz, durationMs, faults: faults.map((f) => parseFaultSpec(f)), traceFile: join(dir, 'trace.jsonl'),
    json: true, dashboard: false, logDir: join(dir, 'logs'), runDir: dir,
  }, out);
  return { summary, lines, dir };
}

const scenarios: Array<[title: string, fault: string]> = [
  ['the active board is killed (kill -9) and the next board drives the same cycle', 'kill:active@4s'],
  ['a board is frozen with SIGSTOP for half a second and the others carry on', 'hang:b2@4s+500ms'],
  ["a board's event loop stalls for 2 s: its watchdog resets it and the others carry on", 'stall:b3@4s+2s'],
  ["one bit of a board's workload state flips and is outvoted", 'flip:b3@4s'],
  ['the serial cable between b1 and b2 is cut for 3 s and nothing changes', 'cut:b1-b2/serial@3s+3s'],
  ['the serial line between b1 and b3 corrupts one bit in a thousand', 'corrupt:b1-b3/serial:1e-3@3s+4s'],
  ["the active board loses one PSU and hands its role away", 'psu:active:a@4s'],
  ['a NIC slave of b3 goes down', 'nic:b3:eth0@4s'],
  ['b2 is restarted and reintegrated', 'restart:b2@4s'],
];

for (const [title, fault] of scenarios) {
  test.serial(title, async (t) => {
    const { summary, dir } = await simulate([fault]);
    t.log(`seed ${seed}, ${fault}: ${JSON.stringify(summary)} (run dir ${dir})`);
    t.is(summary.dualDriven, 0, 'two boards drove one cycle');
    t.is(summary.wrongOutputs, 0, 'an output differs from the fault-free run');
    t.is(summary.lostCycles, 0, 'a cycle had no output');
  });
}
