/**
 * A flipped bit in one board's workload state, on the multi-process rig: the board is outvoted,
 * writes a forensics bundle beside its event log, and `ftc forensics` names the state field that
 * changed between two cycles, and the bit.
 */
import test from 'ava';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { simulate } from '../helpers/e2e-sim.ts';

test('flip:b3 leaves a forensics bundle, and ftc forensics names the field that changed outside step', async (t) => {
  const run = await simulate(['flip:b3@4s'], { durationMs: 7000 });
  t.log(`${JSON.stringify(run.summary)} (run dir ${run.dir})`);
  const said = run.lines.map((l) => JSON.parse(l) as { kind?: string; board?: string; bundle?: string }).filter((e) => e.kind === 'forensics');
  t.deepEqual(said.map((e) => e.board), ['b3'], 'one bundle, from b3');
  t.regex(said[0]!.bundle!, /forensics-b3-boot1-cycle\d+\.json$/);
  let out = '';
  const code = await main(['node', 'ftc', 'forensics', join(run.dir, 'logs', 'forensics')], { out: (s) => (out += s), err: (s) => (out += s) });
  t.log(out);
  t.is(code, 0);
  t.regex(out, /b3 \(boot 1\) stepped down at cycle \d+: outvoted/);
  // The default workload's state is { level, integral, ... }: whichever field the bit hit is named, with the bit.
  t.regex(out, /the state changed between cycle \d+ and cycle \d+, outside step/);
  t.regex(out, /\n {2}[a-zA-Z]\w*(\[\d+\])?: \S+ -> \S+ \(one bit apart: bit \d+ of the float64/);
});
