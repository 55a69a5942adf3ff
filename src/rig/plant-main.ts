/**
 * The plant process of `ftc sim`: the workload's simulated world (its plant, or seeded inputs), and the output stage.
 *
 * The output stage models the hardware 2-out-of-3 select relays: board X's outputs for cycle k
 * reach the actuators only if at least two boards assert select(k) = X. Each board selects at most
 * one board per cycle, so two boards can never both pass (2 + 2 > 3); `dualDriven` stays a count
 * of what the plant actually received, as ground truth. Cycle k is closed as soon as it is decided,
 * or at t0 + (k + 1.5) periods at the latest (then nobody drove it: safe outputs, a lost cycle);
 * the readings for cycle k + 2 are published when k closes, ahead of that cycle's start.
 *
 * The trace (JSON Lines, one record per board whose outputs reached the actuators for a cycle):
 * `{cycle, board, outputs: {name: value}, presented: {b1: {name: value}, …}, tMs}`, where
 * `presented` holds every board's non-safe outputs that had arrived when the cycle closed (the
 * run summary judges `outputs` against their majority). Lost cycles have no record.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { openDatagramLink } from '../adapters/real/udp.ts';
import { simWorld } from '../sim/plant.ts';
import { loadWorkload } from '../workload/loader.ts';
import { defaultVoterConfig } from '../voter/config.ts';
import { attachToSupervisor, emitEvent } from './child.ts';
import { monoMs, simPorts, type PlantMsg, type SimChildConfig, SIM_BOARDS } from './sim-protocol.ts';

/** The output stage gives up on cycle k at t0 + (k + CLOSE_FRAC) periods: the voter's outputDeadlineFrac (its boards' late commits count until then). */
const CLOSE_FRAC = defaultVoterConfig.outputDeadlineFrac;
/** How often the readings of the next two cycles are sent again (for boards that just started). */
const REPUBLISH_MS = 200;
/** Cycles of select/output records kept ahead of the closing point (late and early datagrams). */
const pendingCyclesMax = 64;

interface Pending {
  sel: Map<string, string | null>;
  out: Map<string, number[]>;
  /** A checkpoint workload's epoch, where a board presents an earlier epoch's committed outputs. */
  epoch: Map<string, number>;
}

export async function plantMain(cfg: SimChildConfig): Promise<void> {
  let resolveStart: (t0Ms: number) => void = () => {};
  const started = new Promise<number>((res) => (resolveStart = res));
  attachToSupervisor((m) => {
    if (m.t === 'start' && typeof m.t0Ms === 'number') resolveStart(m.t0Ms);
  });
  try {
    setPriority(-10); // the plant closes cycles on deadlines too (see board-main.ts)
  } catch {
    /* not permitted: run at normal priority */
  }
  const periodMs = 1000 / cfg.rateHz;
  const ports = simPorts(cfg.basePort);
  const loaded = await loadWorkload(cfg.workload, cfg.workloadOptions);
  const plant = simWorld(loaded, periodMs / 1000).plantFor(cfg.seed);
  const inputNames = loaded.workload.inputs.map((i) => i.name);
  const link = await openDatagramLink({ host: '127.0.0.1', port: ports.plant });
  const boards = SIM_BOARDS.map((b, i) => ({ name: b, addr: `127.0.0.1:${ports.boardPlant(i)}` }));
  const pending = new Map<number, Pending>();
  const outputNames = loaded.workload.outputs.map((o) => o.name);
  if (cfg.traceFile) writeFileSync(cfg.traceFile, '');
  let traceBuf = '';
  let next = 0; // the next cycle to close
  let lastBoard: string | null = null;
  let done = false;
  const stats = { accepted: 0, lost: 0, dualDriven: 0, late: 0 };

  // What the plant's sensors read now, by name (for the dashboard), to 4 decimals.
  const readInputs = () => Object.fromEntries(plant.sensorsFor(0, next).map((v, i) => [inputNames[i], Math.round(v * 1e4) / 1e4]));
  const publish = (cycle: number) => {
    const values = [...plant.sensorsFor(0, cycle)];
    const bytes = Buffer.from(JSON.stringify({ t: 'sens', cycle, values } satisfies PlantMsg));
    for (const b of boards) link.send(bytes, b.addr);
  };
  const rec = (cycle: number): Pending => {
    let p = pending.get(cycle);
    if (!p) pending.set(cycle, (p = { sel: new Map(), out: new Map(), epoch: new Map() }));
    return p;
  };

  link.onMessage((data) => {
    let m: PlantMsg;
    try {
      m = JSON.parse(Buffer.from(data).toString('utf8')) as PlantMsg;
    } catch {
      return;
    }
    if (m.t === 'sens' || typeof m.cycle !== 'number') return;
    if (m.cycle < next) {
      stats.late++;
      return;
    }
    if (m.cycle >= next + pendingCyclesMax) return;
    const p = rec(m.cycle);
    if (m.t === 'sel') p.sel.set(m.b, m.sel);
    // Safe outputs replace what the board presented before: a board that fails safe after its
    // count (no two digests agree) withdraws the outputs it latched at compute time, so a select
    // of it drives the safe outputs, never the disputed ones.
    else if (m.t === 'out') {
      p.out.set(m.b, m.outputs);
      if (m.epoch !== undefined) p.epoch.set(m.b, m.epoch);
    }
    closeDecided();
  });

  /** The board selected by >= 2 boards for a cycle whose outputs have arrived, if any. */
  const decided = (p: Pending | undefined): string[] => {
    if (!p) return [];
    const votes = new Map<string, number>();
    for (const s of p.sel.values()) if (s !== null) votes.set(s, (votes.get(s) ?? 0) + 1);
    return [...votes].filter(([b, n]) => n >= 2 && p.out.has(b)).map(([b]) => b);
  };

  const close = (cycle: number, drivers: string[]) => {
    const p = pending.get(cycle);
    pending.delete(cycle);
    const tMs = monoMs() - t0Ms;
    if (drivers.length > 1) stats.dualDriven++;
    const board = drivers[0];
    const outputs = board !== undefined ? p!.out.get(board)! : null;
    if (cycle < cfg.cycles && drivers.length > 0) {
      const named = (o: number[]) => Object.fromEntries(outputNames.map((n, i) => [n, o[i]]));
      // What every board presented for the cycle (non-safe outputs that had arrived when it
      // closed): the run summary judges the accepted outputs against their majority.
      const presented = Object.fromEntries([...p!.out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([b, o]) => [b, named(o)]));
      for (const d of drivers) {
        const epoch = p!.epoch.get(d);
        traceBuf += JSON.stringify({ cycle, board: d, outputs: named(p!.out.get(d)!), presented, tMs: Math.round(tMs * 1000) / 1000, ...(epoch !== undefined ? { epoch } : {}) }) + '\n';
      }
    }
    plant.step(outputs);
    if (board === undefined) {
      stats.lost++;
      // What the output stage had when it gave up on the cycle: which boards selected whom, and
      // whose outputs were latched (a lost cycle is then readable from the event alone).
      const sel = p ? Object.fromEntries(p.sel) : {};
      emitEvent({ kind: 'lost-cycle', cycle, sel, outputsFrom: p ? [...p.out.keys()] : [], lateMs: Math.round((monoMs() - t0Ms - (cycle + CLOSE_FRAC) * periodMs) * 10) / 10 });
    } else {
      stats.accepted++;
      // One line per accepted cycle for the supervisor's gap histogram (not printed).
      emitEvent({ kind: 'outputs', cycle, board, tMs: Math.round(tMs * 10) / 10 });
      if (lastBoard !== null && board !== lastBoard) emitEvent({ kind: 'driver-change', cycle, from: lastBoard, to: board });
      lastBoard = board;
    }
    next = cycle + 1;
    publish(cycle + 2);
  };

  function closeDecided(): void {
    for (;;) {
      const d = decided(pending.get(next));
      if (d.length === 0) return;
      close(next, d);
    }
  }

  emitEvent({ kind: 'ready', board: 'plant' });
  const t0Ms = await started;
  // The first readings, before cycle 0 starts.
  publish(0);
  publish(1);
  let republishedAt = -Infinity;
  const tick = () => {
    const now = monoMs();
    // Re-publish the readings boards need next every REPUBLISH_MS: a board that (re)started after
    // they were first sent must not sample stale values for long. (Every period it would be
    // two datagrams a cycle per board for nothing: readings go out once, when a cycle closes.)
    if (now - republishedAt >= REPUBLISH_MS) {
      republishedAt = now;
      publish(next);
      publish(next + 1);
    }
    closeDecided();
    // Close overdue cycles: nobody drove them in time. Timers run before the poll phase, so when
    // this process itself was woken late the boards' datagrams that arrived in time are still
    // unread: let the poll phase read them first (setImmediate runs after it), then close.
    if (now >= t0Ms + (next + CLOSE_FRAC) * periodMs) setImmediate(closeOverdue, now);
    else afterTick(now);
  };
  const closeOverdue = (now: number) => {
    while (now >= t0Ms + (next + CLOSE_FRAC) * periodMs) close(next, decided(pending.get(next)));
    afterTick(now);
  };
  const afterTick = (now: number) => {
    if (traceBuf && cfg.traceFile) {
      appendFileSync(cfg.traceFile, traceBuf);
      traceBuf = '';
    }
    if (next >= cfg.cycles + 2 && !done) {
      done = true;
      emitEvent({ kind: 'plant-done', ...stats, inputs: readInputs() });
    }
    const wake = t0Ms + (next + CLOSE_FRAC) * periodMs;
    setTimeout(tick, Math.max(1, Math.min(periodMs, wake - now)));
  };
  setInterval(() => emitEvent({ kind: 'plant', cycle: next, inputs: readInputs(), ...stats }), 250).unref();
  tick();
}
