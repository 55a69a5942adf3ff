/**
 * Every kind of event a board writes, with its fields: one declared list (after F´'s Svc/Health
 * event lists). The event log, the console's `log`, `ftc sim --json` and `ftc report` all read
 * events of these kinds; `BoardLog.append` accepts only a kind declared here, with its fields.
 * Each event also carries EventBase (t, mono, board, boot, seq, kind: src/eventlog/eventlog.ts).
 */
import type { EventCode } from '../voter/core.ts';

/** The voter core's own events (src/voter/core.ts EventCode), as the board logs them. */
export interface CoreEventFields {
  cycle: number;
  /** The board the event is about (the one voted out, accused, snapshotted, ...). */
  target: string | undefined;
  detail: string | undefined;
}

type Err = { error: string };
type Address = { cidr: string; dev?: string };

export interface BoardEventFields {
  // ---- the board's life
  boot: { pid?: number; reason?: string; config?: string; auth?: string; priority?: string };
  'warm-up': { priority?: string; warm: boolean; tookMs: number; wakes: number; lateMaxMs?: number };
  shutdown: { reason: string; service?: string; watchdog?: string; error?: string; exit?: number };
  signal: { signal: string; action: string };
  'watchdog-reset': { reason: string };
  'watchdog-withheld': { reason: string };
  health: { what: string; state: string; cause: string };
  button: { action: string; ok: boolean; detail?: string };
  'service-leave': { cause: string; cycle: number };
  'service-return': { cause: string; cycle: number };
  metrics: { url: string };
  'console-error': Err;
  // ---- links
  'link-up': { peer: string; transport: string };
  'link-down': { peer: string; transport: string };
  'link-error': { peer: string; medium: string; path: string; error: string };
  // ---- roles, votes, fencing
  failover: { from: string; to: string; cycle: number; epoch: string };
  'handover-done': { from: string; to: string; cycle: number; epoch: string };
  fence: { target: string; cycle: number };
  'fence-error': { target: string; error: string };
  alarm: { code: string; cycle: number; target: string | undefined; detail: string | undefined };
  forensics: { cycle: number; reason: string; bundle: string };
  'forensics-error': { cycle: number; error: string };
  // ---- faults injected (ftc sim, the console's inject), field I/O
  fault: { what: string; applied?: boolean; [k: string]: unknown };
  /** A field signal's fault (signal, what), or at start the mapping (inputs, outputs). */
  field: { signal?: string; what?: string; inputs?: string; outputs?: string };
  // ---- checkpoint and process classes
  resumed: { epoch: number; term: number; stateDir?: string };
  'workload-error': { epoch: number; error: string };
  'checkpoint-primary': { detail: string | undefined };
  'checkpoint-demoted': { detail: string | undefined };
  'program-start': { pid: number | null; argv: string };
  'program-exit': { pid: number | null; code: number | null; signal: string | null };
  'program-stop': { pid: number | null; why: string; signal: 'SIGTERM' | 'SIGKILL' };
  'program-stopped': { pid: number | null };
  'program-move': { why: string };
  'program-wait': { ms: number; why: string };
  'program-probe-failed': { failures: number; error: string | null };
  'program-ready': { pid: number | null; status?: string };
  'program-watchdog': { pid: number | null; silentMs: number; watchdogMs: number };
  'program-error': Err;
  'program-state-too-large': Err;
  'program-sync-error': Err;
  'address-claimed': Address;
  'address-released': Address;
  'address-error': Address & Err;
  'address-arp-error': Address & Err;
}

export type EventFields = BoardEventFields & { [K in EventCode]: CoreEventFields };
export type EventKind = keyof EventFields;
