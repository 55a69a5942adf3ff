/**
 * `ftc forensics BUNDLE|DIR [--workload M] [--json]`: load the workload a bundle names (or the
 * one given), replay the kept steps and say where the states differ (src/forensics/analyse.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyseBundle, type Analysis } from '../forensics/analyse.ts';
import { BundleError, parseBundle, type ForensicsBundle } from '../forensics/bundle.ts';
import { loadWorkload, WorkloadLoadError } from '../workload/loader.ts';

export class ForensicsCliError extends Error {
  override name = 'ForensicsCliError';
}

/** A bundle file, or the newest bundle in a directory. */
export function resolveBundle(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ForensicsCliError(`${path}: no such file or directory; fix: give a forensics-*.json file or the forensics directory beside the event logs (ftc sim: <log dir>/forensics)`);
  }
  if (!st.isDirectory()) return path;
  const files = readdirSync(path).filter((f) => /^forensics-.*\.json$/.test(f)).map((f) => join(path, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) throw new ForensicsCliError(`${path}: no forensics-*.json in it; a board writes one when it is outvoted`);
  return files[0]!;
}

export async function runForensics(path: string, o: { workload?: string }): Promise<{ file: string; bundle: ForensicsBundle; analysis: Analysis; notes: string[] }> {
  const file = resolveBundle(path);
  let bundle;
  try {
    bundle = parseBundle(readFileSync(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof BundleError) throw new ForensicsCliError(e.message);
    throw e;
  }
  const modulePath = o.workload ?? bundle.workload.modulePath;
  if (!modulePath) throw new ForensicsCliError(`${file}: names no workload module; fix: give it with --workload PATH`);
  let loaded;
  try {
    loaded = await loadWorkload(modulePath, bundle.workload.options);
  } catch (e) {
    if (e instanceof WorkloadLoadError) throw new ForensicsCliError(`--workload: ${e.message}`);
    throw e;
  }
  const notes: string[] = [];
  if (bundle.workload.codeHash && loaded.identity.codeHash !== bundle.workload.codeHash) {
    notes.push(`note: ${modulePath} is not the code the board ran (hash ${loaded.identity.codeHash}, the bundle's ${bundle.workload.codeHash}): a replay may differ for that reason alone`);
  }
  return { file, bundle, analysis: analyseBundle(bundle, loaded.workload), notes };
}
