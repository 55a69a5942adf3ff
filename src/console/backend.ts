/**
 * What a board exposes to its serial console. The board process implements ConsoleBackend;
 * the console (src/console/session.ts) only formats and checks permissions.
 *
 * Methods may return a value or a promise. A method that throws or rejects is an operating
 * error: the console prints one `error:` line and keeps serving.
 */
import type { LogEvent } from '../eventlog/eventlog.ts';
import type { FaultSpec } from '../rig/faultspec.ts';

export type { LogEvent } from '../eventlog/eventlog.ts';
export type { FaultSpec } from '../rig/faultspec.ts';

type MaybePromise<T> = T | Promise<T>;

/** 'service': taken out of the voting set by an operator (button, `service leave`, a clean stop). */
export type BoardRole = 'active' | 'standby' | 'fenced' | 'joining' | 'service' | 'down';
export type MemberState = 'member' | 'joining' | 'service' | 'fenced' | 'down' | 'unknown';
export type VoteOutcome = 'unanimous' | 'majority' | 'split' | 'single' | 'none';
export type Health = 'ok' | 'degraded' | 'failed';

export interface StatusInfo {
  board: string;
  /** Boot count / epoch of this process. */
  boot: number;
  /** Why this boot happened: power-on, watchdog, restart, crash. */
  bootReason: string;
  uptimeMs: number;
  cycle: number;
  rateHz: number;
  /** Membership epoch (bumps on every agreed membership change). */
  epoch: number;
  role: BoardRole;
  activeBoard: string | null;
  /** Redundancy mode, e.g. "TMR", "duplex", "simplex", "safe". */
  mode: string;
  /** The workload the rig runs, and its class (lockstep, checkpoint). */
  workload?: { name: string; class: string };
  members: string[];
  health: Health;
  lastVote: VoteInfo | null;
}

export interface MemberInfo {
  board: string;
  state: MemberState;
  role: BoardRole;
  boot: number | null;
  cycle: number | null;
  /** Time since the last frame from that board (null: never, or this board). */
  lastSeenAgoMs: number | null;
  health: Health;
}

export interface VoteInfo {
  cycle: number;
  outcome: VoteOutcome;
  agree: string[];
  dissent: string[];
  missing: string[];
  /** Digest of the winning (inputs, outputs, state) tuple, 16 hex digits (FNV-1a 64); "" if none. */
  digest: string;
}

export interface LinkInfo {
  peer: string;
  medium: 'serial' | 'udp';
  state: 'up' | 'degraded' | 'down';
  rttMs: number | null;
  /** Frames lost or rejected over the recent window, percent. */
  lossPct: number;
  crcErrors: number;
  authErrors: number;
  framesRx: number;
  framesTx: number;
  lastRxAgoMs: number | null;
}

export interface WdtCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface WdtInfo {
  /** e.g. "/dev/watchdog", "systemd", "sim". */
  device: string;
  armed: boolean;
  timeoutMs: number;
  timeleftMs: number | null;
  lastFeedAgoMs: number | null;
  /** False while the supervision gate withholds feeding (the board will reset). */
  feeding: boolean;
  withheldReason: string | null;
  checks: WdtCheck[];
}

export interface PsuInfo {
  supplies: Array<{ name: string; ok: boolean; volts: number | null; amps: number | null; detail: string }>;
}

export interface NicInfo {
  bond: string | null;
  mode: string | null;
  activeSlave: string | null;
  interfaces: Array<{ name: string; up: boolean; speedMbps: number | null; rxErrors: number; txErrors: number }>;
}

export interface FaultInfo {
  /** When it fired or was seen, ms since this board's start; null if pending. */
  atMs: number | null;
  source: 'injected' | 'detected';
  /** Fault spec text for injected faults, a short description for detected ones. */
  what: string;
  state: 'pending' | 'active' | 'cleared';
}

export type ServiceAction = 'leave' | 'return';
export const SERVICE_ACTIONS: readonly ServiceAction[] = ['leave', 'return'];

export interface ActionResult {
  ok: boolean;
  message: string;
}

export interface ConsoleBackend {
  status(): MaybePromise<StatusInfo>;
  members(): MaybePromise<MemberInfo[]>;
  /** The last n votes, oldest first. */
  votes(n: number): MaybePromise<VoteInfo[]>;
  links(): MaybePromise<LinkInfo[]>;
  wdt(): MaybePromise<WdtInfo>;
  psu(): MaybePromise<PsuInfo>;
  nic(): MaybePromise<NicInfo>;
  /** The last n events of this board's event log, oldest first. */
  log(n: number): MaybePromise<LogEvent[]>;
  faults(): MaybePromise<FaultInfo[]>;
  handover(board: string): MaybePromise<ActionResult>;
  /** Take this board out of the voting set for service, or bring it back. */
  service(action: ServiceAction): MaybePromise<ActionResult>;
  fence(board: string): MaybePromise<ActionResult>;
  /** A fault to inject now (times relative to now). Only called if the config enables it. */
  inject(spec: FaultSpec): MaybePromise<ActionResult>;
}
