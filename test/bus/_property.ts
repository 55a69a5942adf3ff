/**
 * Runs fast-check properties with a fixed seed (override with FTC_SEED) and reports the seed and
 * the counterexample on failure, so any failure can be replayed exactly.
 */
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';

export const seed = Number(process.env.FTC_SEED ?? 20261125);

export function checkProperty<Ts>(t: ExecutionContext, property: fc.IProperty<Ts>, numRuns: number): void {
  const details = fc.check(property, { seed, numRuns });
  t.false(
    details.failed,
    details.failed ? `${fc.defaultReportMessage(details)}\nseed ${seed}: rerun with FTC_SEED=${seed}` : undefined,
  );
  t.is(details.numRuns, numRuns, `seed ${seed}`);
}
