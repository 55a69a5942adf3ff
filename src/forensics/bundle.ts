/**
 * A forensics bundle: what a board knew when it was outvoted (or found its state differs from
 * the majority's while catching up). One JSON file, bounded and rotated (src/forensics/store.ts):
 * the last steps' agreed inputs, outputs and states (before and after), every board's digests of
 * the last cycles, the workload's identity and where its module is, and the config's hash.
 * `ftc forensics BUNDLE` replays it (src/forensics/analyse.ts). Pure: no I/O here.
 */
import { digestHex, sameDigest, type Digest } from '../voter/hash.ts';
import type { VoteRecord } from '../voter/core.ts';
import { stepDigest, type StepRecord } from './recorder.ts';

export const BUNDLE_FORMAT = 'ftc-forensics/1';

export interface BundleStep {
  /** The cycle whose vote carried this step's digest (null: none of the votes kept did). */
  cycle: number | null;
  inputs: number[];
  outputs: number[];
  /** base64 of encode(state stepped from), when it was not the previous step's result. */
  before: string | null;
  /** base64 of encode(state after). */
  after: string | null;
  digest: string | null;
}

export interface ForensicsBundle {
  format: typeof BUNDLE_FORMAT;
  board: string;
  boot: number;
  /** The cycle at which the board stepped down, and why (outvoted, catchUpMismatch). */
  cycle: number;
  reason: string;
  /** The board's clock (monotonic ms) when written; the event log's 'forensics' entry has the wall time. */
  atMs: number;
  workload: { name: string; version: string | null; id: number | null; codeHash: string | null; modulePath: string | null; options: Record<string, unknown> };
  /** SHA-256 (hex) of the board's configuration, as its shell read it; null when it has none. */
  configHash: string | null;
  votes: Array<{ cycle: number; digests: Record<string, string>; majority: string | null }>;
  steps: BundleStep[];
}

export interface BundleParts {
  board: string;
  boards: readonly string[];
  selfIdx: number;
  boot: number;
  cycle: number;
  reason: string;
  atMs: number;
  workload: ForensicsBundle['workload'];
  configHash: string | null;
  votes: readonly VoteRecord[];
  steps: readonly StepRecord[];
}

const b64 = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));

export function buildBundle(p: BundleParts): ForensicsBundle {
  const mine = p.votes.filter((v) => v.digests[p.selfIdx] !== undefined);
  const cycleOf = (d: Digest | null): number | null => (d === null ? null : mine.find((v) => sameDigest(v.digests[p.selfIdx]!, d))?.cycle ?? null);
  return {
    format: BUNDLE_FORMAT, board: p.board, boot: p.boot, cycle: p.cycle, reason: p.reason, atMs: p.atMs,
    workload: p.workload, configHash: p.configHash,
    votes: p.votes.map((v) => ({
      cycle: v.cycle,
      digests: Object.fromEntries(Object.entries(v.digests).map(([i, d]) => [p.boards[Number(i)] ?? `#${i}`, digestHex(d)])),
      majority: v.majority === null ? null : digestHex(v.majority),
    })),
    steps: p.steps.map((s) => {
      const d = stepDigest(s);
      return { cycle: cycleOf(d), inputs: s.inputs, outputs: s.outputs, before: b64(s.before), after: b64(s.after), digest: d === null ? null : digestHex(d) };
    }),
  };
}

export class BundleError extends Error {
  override name = 'BundleError';
}

/** A bundle read back: checked enough that the analysis can trust its shape. */
export function parseBundle(text: string, source: string): ForensicsBundle {
  let b: Partial<ForensicsBundle>;
  try {
    b = JSON.parse(text) as Partial<ForensicsBundle>;
  } catch (e) {
    throw new BundleError(`${source}: not JSON (${(e as Error).message}); fix: give a forensics-*.json file a board wrote`);
  }
  if (b.format !== BUNDLE_FORMAT) throw new BundleError(`${source}: format ${JSON.stringify(b.format)} is not ${BUNDLE_FORMAT}; fix: give a forensics-*.json file a board wrote (an ftc of another version reads its own)`);
  if (!Array.isArray(b.steps) || !Array.isArray(b.votes) || typeof b.workload !== 'object') throw new BundleError(`${source}: steps, votes or workload missing; the file is damaged`);
  return b as ForensicsBundle;
}

export const fromB64 = (s: string | null): Uint8Array | null => (s === null ? null : new Uint8Array(Buffer.from(s, 'base64')));
