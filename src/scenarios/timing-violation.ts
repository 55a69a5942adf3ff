/**
 * Was a simulator run's lost cycle the fault's doing, or the machine's? (pure)
 *
 * The protocol assumes that at most one board is faulty at a time, and a board woken later than
 * `lateMaxMs` for a phase is faulty for that cycle (README, "What the protocol assumes"). The
 * simulator's boards are processes sharing two cores with the plant and the pty relays; now and
 * then the OS delays two of them by 25-40 ms at once, which is a second fault the rig is not
 * built to mask, and the cycle is lost. Each board logs such a wake (`late`, with the cycle), so
 * the run can say so itself: a lost cycle is the environment's when a board other than the ones
 * the scenario's process faults name (a link fault delays no process) logged a late wake within
 * one cycle of it. Every lost cycle must be
 * explained that way, and the wrong outputs must fit after the first one (a lost cycle makes the
 * plant diverge from the reference, so every later output differs): otherwise it is a real failure.
 */

export interface TimingVerdict {
  /** True when every lost cycle is explained by late wakes of boards the faults did not touch. */
  environment: boolean;
  detail: string;
}

type Ev = Record<string, unknown>;

/** Boards named by the scenario's fault lines (`{"kind":"fault","spec":"kill:b1"}`), resolved by the simulator. */
export function faultBoards(events: readonly Ev[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) if (e.kind === 'fault' && typeof e.spec === 'string') for (const m of e.spec.matchAll(/\bb[0-9]+\b/g)) out.add(m[0]);
  return out;
}

/**
 * The boards whose late wakes a scenario's faults explain: those a process fault froze, stalled,
 * killed or restarted. A link fault (cut, corrupt, partition) or a PSU/NIC fault makes nobody's
 * process wake late: a late wake of a board it names is the machine's, as anywhere else.
 */
export function lateFaultBoards(events: readonly Ev[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'fault' || typeof e.spec !== 'string' || !/^(kill|hang|stall|restart|flip|button|sensor):/.test(e.spec)) continue;
    for (const m of e.spec.matchAll(/\bb[0-9]+\b/g)) out.add(m[0]);
  }
  return out;
}

export function judgeLostCycles(events: readonly Ev[], summary: { cycles: number; lostCycles: number; wrongOutputs: number }): TimingVerdict {
  const lost = events.filter((e) => e.kind === 'lost-cycle' && typeof e.cycle === 'number').map((e) => e.cycle as number);
  if (summary.lostCycles === 0 || lost.length === 0) return { environment: false, detail: 'no lost cycle to explain' };
  const touched = lateFaultBoards(events);
  const late = events.filter((e) => e.kind === 'late' && typeof e.cycle === 'number' && typeof e.board === 'string' && !touched.has(e.board));
  const explained: string[] = [];
  for (const c of lost) {
    const near = late.filter((e) => Math.abs((e.cycle as number) - c) <= 1);
    if (near.length === 0) return { environment: false, detail: `cycle ${c} was lost with no healthy board late near it` };
    explained.push(`cycle ${c}: ${near.map((e) => `${String(e.board)} ${String(e.detail ?? 'late')}`).join(', ')}`);
  }
  const firstLost = Math.min(...lost);
  if (summary.wrongOutputs > summary.cycles - firstLost) {
    return { environment: false, detail: `${summary.wrongOutputs} wrong outputs cannot all follow the first lost cycle (${firstLost} of ${summary.cycles})` };
  }
  return { environment: true, detail: `the OS woke healthy boards too late (${explained.join('; ')})` };
}
