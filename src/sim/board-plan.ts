/**
 * Seeded fault plans for the whole-board simulator. Every plan is a pure function of its seed:
 *
 * - seed % 10 === 4: rig-wide (the machine stalls every process, a few boards late together,
 *   or the whole rig loses power): lost cycles are excused, recovery within a bound is not;
 * - seed % 10 === 7: `ftc demo`'s fault sequence at its own times, with single machine faults
 *   (late wakes, GC pauses) in the quiet spells between its faults;
 * - seed % 10 === 9: two faults on two boards overlapping (outside the single-fault hypothesis:
 *   safety must hold, the rig must recover);
 * - the rest: one to three single faults one after another, each repaired and its board back
 *   before the next.
 * Seeds alternate between a quiet machine and a busy one (src/sim/machine.ts).
 */
import { DEFAULTS } from '../config/defaults.ts';
import { DEMO_DURATION_MS, DEMO_FAULTS } from '../rig/demo-script.ts';
import { parseFaultSpec, type FaultSpec } from '../rig/faultspec.ts';
import { SIM_BOARDS } from '../rig/sim-protocol.ts';
import { SIM_FENCE_GRACE_MS, SIM_RESTART_DELAY_MS, SIM_WATCHDOG_TIMEOUT_MS } from '../rig/sim-board.ts';
import type { BoardFault, BoardFaultKind } from './board-faults.ts';
import { BUSY_MACHINE, QUIET_MACHINE, type MachineProfile } from './machine.ts';
import { Prng } from './prng.ts';

/** The maintenance button's hold time (the default configuration's, as ftc sim's boards use). */
const BUTTON_HOLD_MS = DEFAULTS.button.holdMs;

export interface BoardSeedPlan {
  seed: number;
  rateHz: number;
  cycles: number;
  kind: 'single' | 'double' | 'rig-wide' | 'demo';
  machine: MachineProfile;
  faults: BoardFault[];
}

/** How long a plan runs (s) unless it is the demo's. */
export const BOARD_SEED_DURATION_MS = 15_000;

type Group = 'proc' | 'machine' | 'link' | 'state' | 'sensor' | 'health' | 'operator';
const groups: ReadonlyArray<[Group, number, readonly BoardFaultKind[]]> = [
  ['proc', 0.3, ['crash', 'restart', 'hang', 'stall']],
  ['machine', 0.2, ['lateWake', 'gcPause', 'clockSlew', 'clockStep']],
  ['link', 0.25, ['serialCut', 'udpCut', 'partition', 'partitionIn', 'partitionOut', 'corrupt', 'loss', 'duplicate', 'reorder', 'delay']],
  ['state', 0.1, ['bitflip', 'lie']],
  ['sensor', 0.05, ['sensorStuck', 'sensorNoisy']],
  ['health', 0.05, ['psu', 'nic']],
  ['operator', 0.05, ['service', 'handover']],
];

function logUniform(rng: Prng, lo: number, hi: number): number {
  return Math.exp(rng.range(Math.log(lo), Math.log(hi)));
}

function drawKind(rng: Prng): BoardFaultKind {
  let u = rng.next();
  for (const [, w, kinds] of groups) {
    if (u < w) return rng.pick(kinds);
    u -= w;
  }
  return 'crash';
}

/** One fault of `kind` on `board` at `atMs`, with its parameters drawn. */
export function drawFault(rng: Prng, kind: BoardFaultKind, board: number, atMs: number): BoardFault {
  const f: BoardFault = { kind, board, atMs };
  const peer = (board + 1 + rng.int(2)) % 3;
  switch (kind) {
    case 'hang': case 'stall': f.forMs = logUniform(rng, 30, 3000); break;
    case 'lateWake': f.lateMs = rng.range(10, 50); break;
    case 'gcPause': f.lateMs = rng.range(5, 30); break;
    case 'clockSlew':
      f.ppm = (rng.chance(0.5) ? 1 : -1) * (rng.chance(0.6) ? rng.range(100, 1500) : rng.range(20_000, 50_000));
      f.forMs = rng.range(1000, 5000);
      break;
    case 'clockStep': f.stepMs = logUniform(rng, 1, 100); break;
    case 'serialCut': case 'udpCut': f.peer = peer; f.forMs = rng.range(300, 4000); break;
    case 'corrupt': f.peer = peer; f.ber = logUniform(rng, 1e-4, 1e-2); f.forMs = rng.range(300, 4000); break;
    case 'partition': case 'partitionIn': case 'partitionOut': f.forMs = rng.range(300, 4000); break;
    case 'loss': f.p = rng.range(0.05, 0.6); f.forMs = rng.range(300, 3000); break;
    case 'duplicate': f.p = rng.range(0.1, 1); f.forMs = rng.range(300, 3000); break;
    case 'reorder': f.lateMs = rng.range(0.5, 3); f.forMs = rng.range(300, 3000); break;
    case 'delay': f.lateMs = rng.range(2, 20); f.forMs = rng.range(300, 3000); break;
    case 'bitflip': f.bit = rng.int(192); break;
    case 'lie': f.forMs = rng.range(100, 2000); break;
    case 'sensorStuck': case 'sensorNoisy': f.forMs = rng.range(300, 3000); break;
    case 'psu': f.rail = rng.chance(0.5) ? 'a' : 'b'; f.forMs = rng.range(1000, 4000); if (rng.chance(0.5)) f.board = 'active'; break;
    case 'nic': f.iface = rng.chance(0.5) ? 'eth0' : 'eth1'; f.forMs = rng.range(1000, 4000); if (rng.chance(0.5)) f.board = 'active'; break;
    case 'service': f.forMs = rng.range(300, 4000); if (rng.chance(0.5)) f.board = 'active'; break;
    case 'handover': f.board = 'active'; break;
    default: break;
  }
  return f;
}

/** When the board hit by `f` is repaired and back, at the latest (for spacing the next fault). */
export function settledByMs(f: BoardFault, periodMs: number): number {
  const startup = BUSY_MACHINE.startupMs[1] + BUSY_MACHINE.warmupMs;
  const rejoin = 1000 + 10 * periodMs + 500;
  const end = f.atMs + (f.forMs ?? 0) + (f.lateMs ?? 0);
  switch (f.kind) {
    case 'crash': return end + SIM_WATCHDOG_TIMEOUT_MS + startup + rejoin;
    case 'restart': return end + startup + rejoin;
    // A long hang ends in a watchdog reset and a restart.
    case 'hang': case 'stall': return end + ((f.forMs ?? 0) > SIM_WATCHDOG_TIMEOUT_MS / 2 ? startup + rejoin + SIM_WATCHDOG_TIMEOUT_MS : rejoin);
    // Cut off (or nearly): voted out and fenced; the reset line is pulled once it is heard again,
    // no sooner than the fence grace after the vote-out.
    case 'partition': case 'partitionIn': case 'partitionOut': case 'loss':
      return Math.max(end, f.atMs + SIM_FENCE_GRACE_MS) + SIM_RESTART_DELAY_MS + startup + rejoin;
    // A flipped board is fenced and reset if it does not reset itself; so is one whose clock ran
    // or jumped off the grid (swarm seed 2795: the next fault came while it was still rejoining).
    case 'bitflip': case 'lie': case 'clockSlew': case 'clockStep': return end + 3000 + startup + rejoin;
    default: return end + rejoin;
  }
}

/** `ftc demo`'s script (src/rig/demo-script.ts) as board faults. */
export function demoFaults(): BoardFault[] {
  return DEMO_FAULTS.map((s) => fromSpec(parseFaultSpec(s)));
}

/** A fault spec of `ftc sim --fault` as a board fault. */
export function fromSpec(s: FaultSpec): BoardFault {
  const idx = (b: string) => SIM_BOARDS.indexOf(b as (typeof SIM_BOARDS)[number]);
  const board = (b: string): number | 'active' => (b === 'active' ? 'active' : idx(b));
  switch (s.kind) {
    case 'kill': return { kind: 'crash', board: board(s.board), atMs: s.atMs };
    case 'restart': return { kind: 'restart', board: board(s.board), atMs: s.atMs };
    case 'hang': return { kind: 'hang', board: board(s.board), atMs: s.atMs, forMs: s.forMs ?? 500 };
    case 'stall': return { kind: 'stall', board: board(s.board), atMs: s.atMs, forMs: s.forMs ?? 2000 };
    case 'flip': return { kind: 'bitflip', board: board(s.board), atMs: s.atMs, bit: 17 };
    case 'cut': return { kind: s.medium === 'serial' ? 'serialCut' : 'udpCut', board: idx(s.a), peer: idx(s.b), atMs: s.atMs, forMs: s.forMs ?? 1e9 };
    case 'corrupt': return { kind: 'corrupt', board: idx(s.a), peer: idx(s.b), atMs: s.atMs, ber: s.bitErrorRate, forMs: s.forMs ?? 1e9 };
    case 'psu': return { kind: 'psu', board: board(s.board), atMs: s.atMs, rail: s.supply, forMs: s.forMs ?? 1e9 };
    case 'nic': return { kind: 'nic', board: board(s.board), atMs: s.atMs, iface: s.iface, forMs: s.forMs ?? 1e9 };
    case 'sensor': throw new RangeError('the board simulator has no field I/O: run sensor faults with ftc sim --io');
    case 'temp': throw new RangeError('the board simulator has no thermal zone: run temp faults with ftc sim');
    case 'partition': {
      if (s.groups.length !== 2 || s.groups.every((g) => g.length !== 1)) throw new RangeError('the board simulator takes partitions of one board from the other two');
      const lone = s.groups.find((g) => g.length === 1)![0]!;
      return { kind: 'partition', board: idx(lone), atMs: s.atMs, forMs: s.forMs ?? 1e9 };
    }
    // The button's debouncing (johnny-five, on wall time) is not simulated: what it asks for is.
    // A hold of the hold time or more toggles service; ftc sim's run starts with every board in.
    case 'button': return (s.forMs ?? 0) >= BUTTON_HOLD_MS ? { kind: 'service', board: board(s.board), atMs: s.atMs + BUTTON_HOLD_MS } : { kind: 'handover', board: board(s.board), atMs: s.atMs + (s.forMs ?? 0) };
  }
}

/**
 * The plan of `seed`: its machine and its faults, drawn from the seed; or `given` faults (ftc
 * sim's --fault specs, say) on the seed's machine for BOARD_SEED_DURATION_MS.
 */
export function planBoardSeed(seed: number, rateHz: number, given?: readonly BoardFault[]): BoardSeedPlan {
  const rng = new Prng(seed ^ 0x5eedb0a2);
  const periodMs = 1000 / rateHz;
  const machine = seed % 2 === 0 ? BUSY_MACHINE : QUIET_MACHINE;
  if (given) {
    const kind = given.some((f) => f.board === -1) ? 'rig-wide' : 'single';
    return { seed, rateHz, cycles: Math.round(BOARD_SEED_DURATION_MS / periodMs), kind, machine, faults: [...given].sort((x, y) => x.atMs - y.atMs) };
  }
  const cls = seed % 10;
  const pickBoard = () => (rng.chance(0.45) ? 0 : rng.int(3));
  const faults: BoardFault[] = [];
  let durationMs = BOARD_SEED_DURATION_MS;
  let kind: BoardSeedPlan['kind'] = 'single';
  if (cls === 4) {
    kind = 'rig-wide';
    const at = rng.range(1000, 4000);
    const r = rng.next();
    if (r < 0.35) faults.push({ kind: 'pauseAll', board: -1, atMs: at, lateMs: rng.chance(0.5) ? rng.range(0.2, 2.9) * periodMs : rng.range(6, 25) * periodMs });
    else if (r < 0.7) faults.push({ kind: 'lateTogether', board: -1, atMs: at, boards: rng.chance(0.5) ? [0, 1, 2] : [[0, 1], [0, 2], [1, 2]][rng.int(3)]!, lateMs: rng.range(10, 50) });
    else faults.push({ kind: 'powerCut', board: -1, atMs: at, forMs: rng.range(100, 3000) });
  } else if (cls === 7) {
    kind = 'demo';
    durationMs = DEMO_DURATION_MS;
    faults.push(...demoFaults());
    // Single machine faults in the quiet spells: after one fault's board is back, before the next fault.
    const spans = faults.map((f) => [f.atMs, settledByMs(f, periodMs)] as const);
    for (let i = 0; i < 4; i++) {
      const at = rng.range(1000, durationMs - 1000);
      if (spans.some(([a, b]) => at >= a - 1000 && at <= b)) continue;
      faults.push(rng.chance(0.5) ? { kind: 'lateWake', board: pickBoard(), atMs: at, lateMs: rng.range(10, 50) } : { kind: 'gcPause', board: pickBoard(), atMs: at, lateMs: rng.range(5, 30) });
    }
  } else if (cls === 9) {
    kind = 'double';
    const a = pickBoard();
    const b = (a + 1 + rng.int(2)) % 3;
    const at = rng.range(1000, 5000);
    faults.push(drawFault(rng, drawKind(rng), a, at));
    faults.push(drawFault(rng, drawKind(rng), b, at + rng.range(0, 800)));
  } else {
    let at = rng.range(1000, 3000);
    for (let i = 0; i < 3; i++) {
      const f = drawFault(rng, drawKind(rng), pickBoard(), at);
      const settled = settledByMs(f, periodMs);
      if (settled > durationMs - 500) break;
      faults.push(f);
      at = settled + rng.range(200, 1500);
    }
  }
  faults.sort((x, y) => x.atMs - y.atMs);
  return { seed, rateHz, cycles: Math.round(durationMs / periodMs), kind, machine, faults };
}
