/**
 * The faults of the whole-board simulator, as seeded data: what happens to which board, when and
 * for how long. Times are ms from cycle 0 of the rig (the first cycle of its first boot).
 */
export type BoardFaultKind =
  // the board's process
  | 'crash' // kill -9; the hardware watchdog resets the board SIM_WATCHDOG_TIMEOUT_MS later
  | 'restart' // the process restarts at once (a reboot): start-up time, then it rejoins
  | 'hang' // SIGSTOP for forMs, then SIGCONT (a long one ends in a watchdog reset)
  | 'stall' // the event loop busy for forMs (the same, from the outside)
  // the machine it runs on
  | 'lateWake' // one process held lateMs (the kernel ran something else)
  | 'lateTogether' // the processes of `boards` held lateMs at once
  | 'gcPause' // a stop-the-world pause of lateMs
  | 'clockSlew' // the local clock runs ppm fast (negative: slow) for forMs
  | 'clockStep' // the local clock jumps forward stepMs
  // its links
  | 'serialCut' // the cable to `peer` cut for forMs (UDP carries on)
  | 'udpCut' // datagrams to and from `peer` dropped for forMs (serial carries on)
  | 'partition' // cut off from both peers, every medium, for forMs
  | 'partitionIn' // hears nobody, is heard, for forMs
  | 'partitionOut' // is heard by nobody, hears, for forMs
  | 'corrupt' // bit errors at `ber` on the cable to `peer` for forMs
  | 'loss' // each chunk and datagram to and from the board lost with p, for forMs
  | 'duplicate' // ... duplicated with p
  | 'reorder' // ... delayed by up to lateMs so later ones overtake
  | 'delay' // ... delayed by lateMs
  // its state and sensors
  | 'bitflip' // one bit of the workload state
  | 'lie' // a bit of the state flipped every cycle for forMs (a board computing garbage)
  | 'sensorStuck' // its sensors read a fixed value for forMs
  | 'sensorNoisy' // its sensors read noise for forMs
  // its supplies and NICs (non-fatal: an active board hands its role away)
  | 'psu' // supply `rail` lost for forMs
  | 'nic' // bond slave `iface` down for forMs
  // its operator (the maintenance button, the console)
  | 'service' // taken out for service; back after forMs (no forMs: stays out)
  | 'handover' // asked to hand the active role away (a short press)
  // the whole rig
  | 'pauseAll' // every process held lateMs (the machine stalled)
  | 'powerCut'; // every board loses power; each comes back cold after forMs (+ a little)

export interface BoardFault {
  kind: BoardFaultKind;
  /** Board index, or 'active' (the board active when the fault fires); -1 for rig-wide faults. */
  board: number | 'active';
  atMs: number;
  forMs?: number;
  lateMs?: number;
  boards?: number[];
  peer?: number;
  p?: number;
  ber?: number;
  ppm?: number;
  stepMs?: number;
  bit?: number;
  rail?: 'a' | 'b';
  iface?: string;
}

export const RIG_WIDE_KINDS: ReadonlySet<BoardFaultKind> = new Set(['pauseAll', 'powerCut', 'lateTogether']);

/** One fault as a short string for logs and failure reports: `crash:b1@3000ms`. */
export function describeBoardFault(f: BoardFault, names: readonly string[]): string {
  const who = f.board === 'active' ? 'active' : f.board === -1 ? (f.boards ? f.boards.map((b) => names[b]).join('+') : 'rig') : names[f.board] ?? `#${f.board}`;
  const extra = [
    f.peer !== undefined ? `peer ${names[f.peer]}` : '',
    f.lateMs !== undefined ? `${Math.round(f.lateMs * 10) / 10}ms late` : '',
    f.p !== undefined ? `p=${Math.round(f.p * 100) / 100}` : '',
    f.ber !== undefined ? `ber=${f.ber.toExponential(0)}` : '',
    f.ppm !== undefined ? `${Math.round(f.ppm)}ppm` : '',
    f.stepMs !== undefined ? `+${Math.round(f.stepMs)}ms` : '',
    f.rail !== undefined ? `rail ${f.rail}` : '',
    f.iface !== undefined ? f.iface : '',
  ].filter(Boolean).join(' ');
  return `${f.kind}:${who}@${Math.round(f.atMs)}ms${f.forMs !== undefined ? `+${Math.round(f.forMs)}ms` : ''}${extra ? ` (${extra})` : ''}`;
}
