/**
 * `ftc sim --io FILE` and a board config's `io:`: the mapping read from YAML and checked against
 * the loaded workload's signals. The one entry point that reads a file (ring 3).
 */
import { readYamlFileData } from '../config/yaml-source.ts';
import type { Workload } from '../workload/types.ts';
import { checkFieldMapping, readFieldConfig, type FieldConfig } from './config.ts';

/** The mapping in `path` (a YAML file with `io:` at the top, or the mapping itself), or every problem found. */
export function loadFieldFile(path: string, workload: Workload<unknown>): { ok: true; io: FieldConfig } | { ok: false; errors: string[] } {
  const { data, issues } = readYamlFileData(path);
  if (!issues.ok) return { ok: false, errors: issues.messages };
  const r = readFieldConfig(data, path);
  if (!r.ok) return r;
  const errors = checkFieldMapping(r.io, workload.inputs, workload.outputs, path);
  return errors.length ? { ok: false, errors } : r;
}
