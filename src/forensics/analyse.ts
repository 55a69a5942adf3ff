/**
 * `ftc forensics` (pure over a loaded workload): replays each recorded step from the state it
 * started from and compares, and compares each step's starting state with the previous step's
 * result. Two findings explain an outvoted board:
 * - the state changed between two cycles, outside step (memory corruption, a flipped bit, code
 *   that writes the state from outside): the fields that changed are named;
 * - a step replayed from its own starting state gives another result (the step is not
 *   deterministic: a clock, randomness, state kept outside the state): the fields are named.
 */
import type { Workload } from '../workload/types.ts';
import { fromB64, type ForensicsBundle } from './bundle.ts';

export interface FieldDiff {
  path: string;
  was: unknown;
  now: unknown;
  /** For two numbers that differ in one bit of their IEEE 754 binary64 encoding: which bit (0: the lowest of the significand). */
  bit?: number;
}

export type Finding =
  | { kind: 'changed-between-cycles'; afterCycle: number | null; beforeCycle: number | null; fields: FieldDiff[] }
  | { kind: 'replay-differs'; cycle: number | null; fields: FieldDiff[]; outputsDiffer: boolean }
  | { kind: 'not-decodable'; cycle: number | null; error: string };

export interface Analysis {
  findings: Finding[];
  stepsReplayed: number;
  lines: string[];
}

const DIFFS_MAX = 20;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function oneBit(a: number, b: number): number | undefined {
  const f = new Float64Array([a, b]);
  const u = new BigUint64Array(f.buffer);
  const x = u[0]! ^ u[1]!;
  if (x === 0n || (x & (x - 1n)) !== 0n) return undefined;
  return x.toString(2).length - 1;
}

/** Where two decoded states differ, field by field (at most DIFFS_MAX). */
export function diffValues(was: unknown, now: unknown, path = '', out: FieldDiff[] = []): FieldDiff[] {
  if (out.length >= DIFFS_MAX) return out;
  const here = path === '' ? '(state)' : path;
  if ((Array.isArray(was) || ArrayBuffer.isView(was)) && (Array.isArray(now) || ArrayBuffer.isView(now))) {
    const a = was as ArrayLike<unknown>;
    const b = now as ArrayLike<unknown>;
    if (a.length !== b.length) out.push({ path: `${here}.length`, was: a.length, now: b.length });
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  if (isPlainObject(was) && isPlainObject(now)) {
    for (const k of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) diffValues(was[k], now[k], path === '' ? k : `${path}.${k}`, out);
    return out;
  }
  if (typeof was === 'number' && typeof now === 'number') {
    if (!Object.is(was, now)) {
      const bit = oneBit(was, now);
      out.push({ path: here, was, now, ...(bit !== undefined ? { bit } : {}) });
    }
    return out;
  }
  if (!Object.is(was, now) && JSON.stringify(was) !== JSON.stringify(now)) out.push({ path: here, was, now });
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function show(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(17).replace(/0+$/, '').replace(/\.$/, '');
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

export function describeDiff(d: FieldDiff): string {
  const bit = d.bit === undefined ? '' : ` (one bit apart: bit ${d.bit} of the float64${d.bit === 63 ? ', the sign' : d.bit >= 52 ? ', in the exponent' : ', in the significand'})`;
  return `${d.path}: ${show(d.was)} -> ${show(d.now)}${bit}`;
}

export function analyseBundle(b: ForensicsBundle, wl: Workload<unknown>): Analysis {
  const findings: Finding[] = [];
  let replayed = 0;
  const at = (c: number | null) => (c === null ? 'a cycle no kept vote names' : `cycle ${c}`);
  const decode = (bytes: Uint8Array, cycle: number | null): unknown => {
    try {
      return wl.decode(bytes);
    } catch (e) {
      findings.push({ kind: 'not-decodable', cycle, error: (e as Error).message });
      return undefined;
    }
  };
  for (let i = 0; i < b.steps.length; i++) {
    const s = b.steps[i]!;
    const prevAfter = i > 0 ? fromB64(b.steps[i - 1]!.after) : null;
    const before = fromB64(s.before);
    if (before && prevAfter && !sameBytes(before, prevAfter)) {
      const was = decode(prevAfter, b.steps[i - 1]!.cycle);
      const now = decode(before, s.cycle);
      if (was !== undefined && now !== undefined) findings.push({ kind: 'changed-between-cycles', afterCycle: b.steps[i - 1]!.cycle, beforeCycle: s.cycle, fields: diffValues(was, now) });
    }
    const start = before ?? prevAfter;
    const after = fromB64(s.after);
    if (!start || !after) continue;
    const from = decode(start, s.cycle);
    if (from === undefined) continue;
    const r = wl.step(from, s.inputs);
    replayed++;
    const outputsDiffer = r.outputs.length !== s.outputs.length || r.outputs.some((x, k) => !Object.is(x, s.outputs[k]));
    if (!sameBytes(wl.encode(r.state), after) || outputsDiffer) {
      const recorded = decode(after, s.cycle);
      findings.push({ kind: 'replay-differs', cycle: s.cycle, outputsDiffer, fields: recorded === undefined ? [] : diffValues(recorded, r.state) });
    }
  }
  const lines: string[] = [];
  const vote = b.votes.find((v) => v.cycle === b.cycle) ?? b.votes.at(-1);
  lines.push(`${b.board} (boot ${b.boot}) stepped down at cycle ${b.cycle}: ${b.reason}`);
  if (vote) {
    const mine = vote.digests[b.board];
    const others = Object.entries(vote.digests).filter(([k]) => k !== b.board).map(([k, d]) => `${k} ${d}`).join(', ');
    lines.push(`  vote of cycle ${vote.cycle}: ${b.board} ${mine ?? '(none)'}, ${others || 'no other board'}; majority ${vote.majority ?? '(none)'}`);
  }
  lines.push(`  workload ${b.workload.name}${b.workload.version ? `@${b.workload.version}` : ''}; ${b.steps.length} steps kept, ${replayed} replayed`);
  for (const f of findings) {
    if (f.kind === 'changed-between-cycles') {
      lines.push(`the state changed between ${at(f.afterCycle)} and ${at(f.beforeCycle)}, outside step (memory corruption, a flipped bit, or code writing the state from outside):`);
      for (const d of f.fields) lines.push(`  ${describeDiff(d)}`);
    } else if (f.kind === 'replay-differs') {
      lines.push(`the step of ${at(f.cycle)}, replayed from the state it started from, gives ${f.outputsDiffer ? 'other outputs' : 'another state'}: step is not deterministic (a clock, randomness, state kept outside the state); fields recorded -> replayed:`);
      for (const d of f.fields) lines.push(`  ${describeDiff(d)}`);
    } else lines.push(`a state of ${at(f.cycle)} does not decode: ${f.error}`);
  }
  if (findings.length === 0) lines.push(`every kept step replays to the state recorded, and each starts where the last ended: the difference came before the oldest kept step, or from the inputs (compare the digests above)`);
  return { findings, stepsReplayed: replayed, lines };
}
