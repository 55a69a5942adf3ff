/**
 * Parse YAML text into plain data plus a line finder, so that every config message can say
 * `file:line: field.path: value ...`.
 */
import { LineCounter, parseDocument } from 'yaml';
import { readFileSync } from 'node:fs';
import { INVALID, Issues, type Invalid, type Path, type Spec } from './schema.ts';

/** Config files are small; a multi-megabyte "config" is a mistake (wrong file), not a config. */
export const CONFIG_FILE_BYTES_MAX = 1 << 20;

export interface YamlRead {
  data: unknown;
  issues: Issues;
}

export function readYamlText(text: string, sourceName: string): YamlRead {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (path: Path): number | undefined => {
    // Walk up until a node exists: a missing key is reported at its parent mapping's line.
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const issues = new Issues(sourceName, lineOf);
  for (const err of doc.errors) {
    const line = lineCounter.linePos(err.pos[0]).line;
    issues.addRaw(`${sourceName}${line ? `:${line}` : ''}: YAML syntax: ${err.message.split('\n')[0]}; fix: correct the YAML at that line`);
  }
  const data = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  return { data, issues };
}

/** Read a config file's YAML; I/O problems become messages (data undefined), never a throw. */
export function readYamlFileData(path: string): YamlRead {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > CONFIG_FILE_BYTES_MAX) {
      const issues = new Issues(path);
      issues.addRaw(`${path}: file is ${buf.length} bytes, over ${CONFIG_FILE_BYTES_MAX}; fix: point at the YAML config, not another file`);
      return { data: undefined, issues };
    }
    text = buf.toString('utf8');
  } catch (e) {
    const issues = new Issues(path);
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    issues.addRaw(`${path}: cannot read (${code}); fix: check the path and that the ftc user may read it`);
    return { data: undefined, issues };
  }
  return readYamlText(text, path);
}

/** Read a file and apply `spec`. */
export function readYamlFile<T>(path: string, spec: Spec<T>): { value: T | Invalid; issues: Issues } {
  const { data, issues } = readYamlFileData(path);
  if (!issues.ok) return { value: INVALID, issues };
  return { value: spec.read(data, [], issues), issues };
}

export function applySpec<T>(text: string, sourceName: string, spec: Spec<T>): { value: T | Invalid; issues: Issues } {
  const { data, issues } = readYamlText(text, sourceName);
  if (!issues.ok) return { value: INVALID, issues };
  return { value: spec.read(data, [], issues), issues };
}
