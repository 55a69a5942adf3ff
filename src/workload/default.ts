/**
 * The workload `ftc sim`, `ftc demo` and the swarm run when none is given: the one package.json
 * names under "ftc"."defaultWorkload" (a path relative to the package), so that nothing in the
 * code depends on any one workload.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root: this file is src/workload/ (or dist/workload/ when built). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The process class's empty workload: the boards keep membership over it while a program does the work. */
export const PROGRAM_WORKLOAD_PATH = join(PACKAGE_ROOT, 'src/process/program-workload.ts');

export function defaultWorkloadPath(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { ftc?: { defaultWorkload?: string } };
  const rel = pkg.ftc?.defaultWorkload;
  if (typeof rel !== 'string') throw new Error(`package.json: "ftc"."defaultWorkload" is missing; fix: name the default workload module there (a path relative to ${PACKAGE_ROOT})`);
  return join(PACKAGE_ROOT, rel);
}
