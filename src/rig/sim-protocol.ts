/**
 * What the processes of `ftc sim` say to each other, in one place: the port layout on loopback,
 * the plant's datagrams (simulated sensor wiring, actuator outputs and the 2oo3 select lines) and
 * the supervisor's control messages to a board (faults that happen inside a process).
 * Board-to-board traffic is NOT here: it goes through the real frame layer (src/bus).
 */
import type { FieldConfig } from '../field/config.ts';
import type { ProcessSpec } from '../process/spec.ts';

export const SIM_BOARDS = ['b1', 'b2', 'b3'] as const;
export type SimBoard = (typeof SIM_BOARDS)[number];

/** b1 -> 0 (voter id); the frame layer's source ids are voter id + 1. */
export function boardIndex(name: string): number {
  const i = SIM_BOARDS.indexOf(name as SimBoard);
  if (i < 0) throw new RangeError(`unknown board ${JSON.stringify(name)}; use one of ${SIM_BOARDS.join(', ')}`);
  return i;
}
export const boardName = (index: number): SimBoard => {
  const n = SIM_BOARDS[index];
  if (n === undefined) throw new RangeError(`board index ${index} out of range`);
  return n;
};

/** Loopback ports from one base: the boards' bus sockets, their plant sockets, and the plant's. */
export function simPorts(basePort: number) {
  return {
    bus: (i: number) => basePort + 1 + i,
    boardPlant: (i: number) => basePort + 11 + i,
    plant: basePort + 20,
  };
}

/** Everything a sim child needs, passed as JSON in FTC_SIM (the supervisor adds boot/reason). */
export interface SimChildConfig {
  seed: number;
  rateHz: number;
  /** Cycles in the run: the plant stops recording after this. */
  cycles: number;
  basePort: number;
  runDir: string;
  logDir: string;
  /** Per board: the slave pty path of the serial cable to each peer, and its console pty. */
  serial: Record<string, Record<string, string>>;
  console: Record<string, string>;
  /** Hex rig key: the sim uses authenticated frames like a real rig. */
  keyHex: string;
  traceFile: string | null;
  /** Simulated watchdog timeout of each board. */
  watchdogTimeoutMs: number;
  /** The workload module (absolute path) every board and the plant load, and its options. */
  workload: string;
  workloadOptions: Record<string, unknown>;
  /**
   * The workload's field I/O on every board (`ftc sim --io FILE`): sources on the board's own
   * simulated I²C bus and GPIO, fed from the plant's readings (src/field/sim-bench.ts). Absent:
   * every signal travels over the plant link, as before.
   */
  io?: FieldConfig;
  /** The process class (`ftc sim --process CMD`): the program each board runs while primary, and the state directory every board starts with. */
  process?: { spec: ProcessSpec; stateDirInit: string | null };
  /** `ftc sim --metrics-base-port P`: board bN serves OpenMetrics on 127.0.0.1:P+N-1. */
  metricsBasePort?: number;
}

// ---- plant datagrams (JSON; the plant is simulated wiring, not a board-to-board link)
export type PlantMsg =
  /** `epoch`: a checkpoint workload's committed epoch, re-released at a later cycle after a failover. */
  | { t: 'out'; b: string; cycle: number; outputs: number[]; safe: boolean; epoch?: number }
  | { t: 'sel'; b: string; cycle: number; sel: string | null }
  | { t: 'sens'; cycle: number; values: number[] };

// ---- supervisor -> board control (JSON lines on the board's stdin)
export type BoardControl =
  /** Cycle 0 starts at t0Ms (sent once every process of the rig is up, and to every restarted one). */
  | { t: 'start'; t0Ms: number }
  | { t: 'stall'; ms: number }
  | { t: 'flip'; bit: number }
  | { t: 'udp-block'; peers: string[] }
  | { t: 'psu'; rail: 'a' | 'b'; ok: boolean }
  | { t: 'nic'; slave: string; up: boolean }
  /** The SoC's temperature, °C; null: back to normal. */
  | { t: 'temp'; c: number | null }
  | { t: 'handover'; to?: string }
  /** The maintenance button held down for `ms` (short: hand the role away; >= 3 s: out for service, or back). */
  | { t: 'button'; ms: number }
  /** A field sensor of the board's bench fails (nack, stuck) or is repaired (ok): ftc sim --io. */
  | { t: 'sensor'; signal: string; mode: 'nack' | 'stuck' | 'ok' };

/** CLOCK_MONOTONIC in ms: comparable between the processes of one machine (performance.now is not). */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
