/**
 * `ftc sim`: three board processes and a plant process on one machine (ring 3).
 *
 * Real parts wherever a board would have them: each board is an OS process (kill -9 is a real
 * crash, SIGSTOP a real hang), each pair of boards is joined by a null-modem cable of two real
 * pseudo-terminals opened through serialport's native binding, "Ethernet" is UDP on loopback,
 * and every frame is authenticated. Simulated: GPIO (power-good, select lines), the plant, and
 * the watchdog's reset, which restarts the process. This process relays the pty cables (which is
 * where serial cuts and bit errors are injected), schedules the faults, pulls the reset line of a
 * fenced board, draws the dashboard and computes the summary from the plant's own trace.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { writeReport } from '../report/index.ts';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PtyCable } from '../adapters/sim/pty-cable.ts';
import { writeConsolePath } from '../console/client.ts';
import { Prng } from '../sim/prng.ts';
import { runReference, simWorld } from '../sim/plant.ts';
import type { FieldConfig } from '../field/config.ts';
import { loadFieldFile } from '../field/load.ts';
import { fieldWorld } from '../field/sim-quantise.ts';
import { benchProblems } from '../field/sim-bench.ts';
import { defaultWorkloadPath, PACKAGE_ROOT, PROGRAM_WORKLOAD_PATH } from '../workload/default.ts';
import { makeProcessSpec, ProcessSpecError, splitCommand, type ProcessSpec } from '../process/spec.ts';
import { programSummary } from './summary.ts';
import { readStateDir, StateDirTooLarge } from '../process/state-dir.ts';
import { loadProcessFile } from '../process/config.ts';
import { lookupUser } from '../process/user.ts';
import { loadWorkload, WorkloadLoadError } from '../workload/loader.ts';
import { UsageError, type SimOptions } from './actions.ts';
import { makeVoterConfig } from '../voter/config.ts';
import { ensureBuilt } from './build.ts';
import { SIM_FENCE_GRACE_MS, SIM_RESTART_DELAY_MS, SIM_START_DELAY_MS, SIM_WATCHDOG_TIMEOUT_MS } from './sim-board.ts';
import { simVoterTiming } from './sim-timing.ts';
import { addGap, dashboardWanted, emptyGapHistogram, startDashboard, type DashboardFault, type DashboardState } from './dashboard.ts';
import { formatFaultSpec, type FaultSpec } from './faultspec.ts';
import { SIM_BOARDS, monoMs, simPorts, type BoardControl, type SimChildConfig } from './sim-protocol.ts';
import { summarize, parseTrace, type Summary } from './summary.ts';
import { Supervisor } from './supervisor.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Processes that are not ready by then: the run is abandoned with a clear message. */
const readyTimeoutMs = 60_000;
const startDelayMs = SIM_START_DELAY_MS;
const watchdogTimeoutMs = SIM_WATCHDOG_TIMEOUT_MS;
const fenceGraceMs = SIM_FENCE_GRACE_MS;
/** Notable events printed after the dashboard closes. */
const recapLinesMax = 60;
/** Events kept for the summary and the dashboard. */
const eventsKeptMax = 100_000;

async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 400) * 100;
    const ports = simPorts(base);
    const wanted = [0, 1, 2].flatMap((i) => [ports.bus(i), ports.boardPlant(i)]).concat(ports.plant);
    const ok = await Promise.all(wanted.map((p) => new Promise<boolean>((res) => {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); res(false); });
      s.bind(p, '127.0.0.1', () => { s.close(); res(true); });
    })));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free block of UDP ports on 127.0.0.1 (tried 20)');
}

interface BoardView {
  role: string; mode: string; cycle: number; active: string | null; members: string[]; boot: number;
  psu: string; nic: string; health: string;
  psuRails?: Array<{ name: string; ok: boolean }>;
  links: Array<{ peer: string; medium: string; state: string; lossPct: number }>;
  lastVote: VoteView | null;
  recentVotes?: VoteView[];
}
interface VoteView { cycle: number; outcome: string; dissent: string[]; missing: string[] }

export async function runSim(o: SimOptions, out: NodeJS.WriteStream = process.stdout): Promise<{ code: number; summary: Summary }> {
  const periodMs = 1000 / o.rateHz;
  const cycles = Math.floor(o.durationMs / periodMs);
  try {
    makeVoterConfig({ self: 0, ...simVoterTiming(periodMs) }); // the boards would refuse it: say so now
  } catch (e) {
    throw new UsageError(`--rate-hz ${o.rateHz}: ${(e as Error).message}`);
  }
  // The workload first: a module that does not load or is not shaped right stops here, before
  // any process is started (the boards and the plant load the same file).
  if (o.process !== undefined && o.workload !== undefined) throw new UsageError('--process and --workload: give one (a program, or a workload module)');
  if (o.stateDir !== undefined && o.process === undefined) throw new UsageError('--state-dir: only with --process (the program\'s state directory)');
  let processSpec: ProcessSpec | undefined;
  if (o.process !== undefined) {
    if (/\.ya?ml$/.test(o.process)) {
      // A process section of its own: command, limits, probe, address (src/process/config.ts).
      if (!existsSync(o.process)) throw new UsageError(`--process: ${o.process} does not exist; fix: give the process config file, or the command itself`);
      const r = loadProcessFile(o.process, 1000 / o.rateHz);
      if ('errors' in r) throw new UsageError(`--process: ${r.errors.length} problem(s):\n${r.errors.map((e) => `  ${e}`).join('\n')}`);
      // Relative paths in the command are the config file's.
      processSpec = { ...r.spec, cwd: r.spec.cwd ?? dirname(resolve(o.process)) };
      if (processSpec.user !== undefined) {
        try {
          lookupUser(processSpec.user);
        } catch (e) {
          throw new UsageError(`--process: ${(e as Error).message}`);
        }
      }
    } else {
      try {
        // Relative paths in the command are the user's, as typed in this directory.
        processSpec = makeProcessSpec({ argv: splitCommand(o.process), cwd: process.cwd() }, 1000 / o.rateHz);
      } catch (e) {
        if (e instanceof ProcessSpecError) throw new UsageError(e.message);
        throw e;
      }
    }
    if (o.stateDir !== undefined && !existsSync(o.stateDir)) throw new UsageError(`--state-dir: ${o.stateDir} does not exist; fix: give the directory the program starts with, or leave it out (an empty one)`);
    if (o.stateDir !== undefined) {
      try {
        readStateDir(o.stateDir, processSpec.stateBytesMax, processSpec.stateFilesMax);
      } catch (e) {
        if (e instanceof StateDirTooLarge) throw new UsageError(`--state-dir: ${e.message}`);
        throw e;
      }
    }
  }
  const workloadPath = o.workload ?? (processSpec ? PROGRAM_WORKLOAD_PATH : defaultWorkloadPath());
  let loaded;
  try {
    loaded = await loadWorkload(workloadPath, o.workloadOptions ?? {});
  } catch (e) {
    if (e instanceof WorkloadLoadError) throw new UsageError(`--workload: ${e.message}`);
    throw e;
  }
  let io: FieldConfig | undefined;
  if (o.io !== undefined) {
    const r = loadFieldFile(o.io, loaded.workload);
    const errors = r.ok ? benchProblems(r.io, o.io) : r.errors;
    if (!r.ok || errors.length) throw new UsageError(`--io: ${errors.length} problem(s):\n${errors.map((e) => `  ${e}`).join('\n')}`);
    io = r.io;
  }
  for (const f of o.faults) {
    if (f.kind !== 'sensor') continue;
    const c = io?.inputs[f.signal];
    if (!c || c.kind === 'plant') {
      const field = io ? Object.keys(io.inputs).filter((n) => io.inputs[n]!.kind !== 'plant') : [];
      throw new UsageError(`--fault ${formatFaultSpec(f)}: ${io ? `${f.signal} is not read from a sensor of the io mapping (sensors: ${field.join(', ') || 'none'})` : 'sensor faults need --io FILE (the boards\' own simulated sensors)'}`);
    }
  }
  mkdirSync(o.runDir, { recursive: true });
  mkdirSync(o.logDir, { recursive: true });
  // Bundles of boards outvoted in this run (the directory keeps those of earlier runs too).
  const forensicsDir = join(resolve(o.logDir), 'forensics');
  const bundlesBefore = new Set(existsSync(forensicsDir) ? readdirSync(forensicsDir) : []);
  const traceFile = resolve(o.traceFile ?? join(o.runDir, 'trace.jsonl'));
  const basePort = await freeBasePort();
  if (o.metricsBasePort !== undefined && !o.json) {
    out.write(`metrics: ${SIM_BOARDS.map((b, i) => `${b} http://127.0.0.1:${o.metricsBasePort! + i}/metrics`).join(', ')}\n`);
  }

  // ---- cables: one per pair of boards, one per board for its console
  const cables = new Map<string, PtyCable>();
  const serial: Record<string, Record<string, string>> = Object.fromEntries(SIM_BOARDS.map((b) => [b, {}]));
  for (let i = 0; i < SIM_BOARDS.length; i++) {
    for (let j = i + 1; j < SIM_BOARDS.length; j++) {
      const a = SIM_BOARDS[i]!, b = SIM_BOARDS[j]!;
      const cable = await PtyCable.open();
      cables.set(`${a}-${b}`, cable);
      serial[a]![b] = cable.pathA;
      serial[b]![a] = cable.pathB;
    }
  }
  const consoles: Record<string, string> = {};
  const consoleCables: PtyCable[] = [];
  for (const b of SIM_BOARDS) {
    const cable = await PtyCable.open();
    consoleCables.push(cable);
    consoles[b] = cable.pathA;
    writeConsolePath(o.runDir, b, cable.pathB);
  }
  const cableOf = (a: string, b: string) => cables.get(a < b ? `${a}-${b}` : `${b}-${a}`);

  let t0Ms = Infinity;
  const ready = new Set<string>();
  let allReady: () => void = () => {};
  const readyPromise = new Promise<void>((res) => (allReady = res));
  const childCfg: SimChildConfig = {
    seed: o.seed, rateHz: o.rateHz, cycles, basePort, runDir: resolve(o.runDir), logDir: resolve(o.logDir),
    serial, console: consoles, keyHex: randomBytes(32).toString('hex'), traceFile, watchdogTimeoutMs,
    workload: loaded.path, workloadOptions: { ...loaded.options }, ...(io ? { io } : {}),
    ...(processSpec ? { process: { spec: processSpec, stateDirInit: o.stateDir === undefined ? null : resolve(o.stateDir) } } : {}),
    ...(o.metricsBasePort !== undefined ? { metricsBasePort: o.metricsBasePort } : {}),
  };

  // ---- what the children say
  const events: Array<Record<string, unknown>> = [];
  const views = new Map<string, BoardView>();
  const plantView = { cycle: 0, lost: 0, dualDriven: 0, accepted: 0, done: false, inputs: {} as Record<string, number> };
  // Gaps between consecutive outputs at the plant: one period when all is well.
  const gapBoundsMs = [...new Set([periodMs * 1.2, periodMs * 2, periodMs * 5, 500, 1000].map((x) => Math.round(x)))].sort((a, b) => a - b);
  const gapHistogram = emptyGapHistogram(gapBoundsMs);
  let lastOutputTMs: number | null = null;
  let maxGapMs = 0;
  const recentVotes: Array<{ cycle: number; outcome: string; dissent: string[]; missing: string[] }> = [];
  const fenced = new Map<string, number>();
  let printEvents = false; // without --json and without the dashboard: notable events as text
  const emit = (ev: Record<string, unknown>) => {
    if (events.length < eventsKeptMax) events.push(Number.isFinite(t0Ms) ? { ...ev, tRunMs: monoMs() - t0Ms } : ev);
    if (o.json) out.write(JSON.stringify(ev) + '\n');
    else if (printEvents) {
      const line = describeEvent(ev, Number.isFinite(t0Ms) ? monoMs() - t0Ms : 0);
      if (line) out.write(line + '\n');
    }
  };
  // The children run the compiled JavaScript (dist/, rebuilt here if src/ changed since), or
  // the sources through tsx if there is no usable build (src/rig/build.ts says why).
  const buildState = ensureBuilt(repoRoot);
  if (!buildState.compiled) emit({ kind: 'build', note: buildState.note });
  const childEntry = buildState.compiled ? [join(repoRoot, 'dist/rig/sim-child.js')] : ['--import', 'tsx', join(repoRoot, 'src/rig/sim-child.ts')];
  const sup = new Supervisor(
    ['plant', ...SIM_BOARDS].map((name) => ({
      name,
      command: process.execPath,
      // A board allocates little: a 1 MB young generation (V8's default is 16 MB) costs a
      // scavenge every few seconds and ~8 MB less memory per process (docs/timing.md).
      // FTC_CHILD_NODE_ARGS: extra node options for the children (profiling: --perf-basic-prof, --prof).
      args: ['--max-semi-space-size=1', ...(process.env.FTC_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean), ...childEntry],
      cwd: repoRoot,
      env: { FTC_SIM: JSON.stringify(childCfg) },
      // A board running a program: the program is part of the board (killed and frozen with it).
      ...(processSpec && name !== 'plant' ? { group: true } : {}),
    })),
    {
      restartDelayMs: SIM_RESTART_DELAY_MS,
      exitOnSignal: true,
      onEvent: (name, ev) => {
        if (ev.kind === 'status') {
          // Each board's view five times a second: the dashboard's source, and in --json the
          // stream of vote results (lastVote) and membership.
          const view = ev as unknown as BoardView;
          const was = views.get(name);
          // Kept for the report (not the stream): each change of a board's role or of who is active.
          if (Number.isFinite(t0Ms) && events.length < eventsKeptMax && (was?.role !== view.role || was?.active !== view.active)) {
            events.push({ kind: 'role', board: name, role: view.role, active: view.active, tRunMs: monoMs() - t0Ms });
          }
          views.set(name, view);
          for (const v of view.role === 'member' ? view.recentVotes ?? (view.lastVote ? [view.lastVote] : []) : []) {
            if (recentVotes.some((r) => r.cycle === v.cycle) || (recentVotes.length >= 8 && v.cycle < recentVotes[0]!.cycle)) continue;
            recentVotes.push({ cycle: v.cycle, outcome: v.outcome, dissent: v.dissent, missing: v.missing });
            recentVotes.sort((a, b) => a.cycle - b.cycle);
            if (recentVotes.length > 8) recentVotes.shift();
          }
          if (o.json) out.write(JSON.stringify(ev) + '\n');
          return;
        }
        if (ev.kind === 'plant') {
          Object.assign(plantView, { cycle: ev.cycle, lost: ev.lost, dualDriven: ev.dualDriven, accepted: ev.accepted, inputs: ev.inputs });
          return;
        }
        if (ev.kind === 'plant-done') plantView.done = true;
        if (ev.kind === 'ready') {
          // A restarted board learns the rig's time base like the first time.
          if (Number.isFinite(t0Ms)) sup.send(name, { t: 'start', t0Ms } satisfies BoardControl);
          else if (ready.add(name).size === SIM_BOARDS.length + 1) allReady();
        }
        if (ev.kind === 'outputs' && typeof ev.tMs === 'number') {
          if (lastOutputTMs !== null) {
            const gap = ev.tMs - lastOutputTMs;
            addGap(gapHistogram, gap);
            if (gap > maxGapMs) maxGapMs = gap;
          }
          lastOutputTMs = ev.tMs;
          return;
        }
        if (ev.kind === 'pull-reset' && typeof ev.target === 'string') {
          // The majority fenced a board. A board that is merely hung or stalled resets itself
          // through its own watchdog; the reset line is pulled only if it has not done so within
          // the grace period (a board that keeps running but is wrong, or is dead without a WDT).
          const target = ev.target;
          const boot = sup.status(target).boot;
          const last = fenced.get(target) ?? -Infinity;
          if (monoMs() - last > fenceGraceMs) {
            fenced.set(target, monoMs());
            setTimeout(() => {
              const st = sup.status(target);
              if (st.boot !== boot) return; // it reset itself (watchdog) or was restarted meanwhile
              if (views.get(target)?.role === 'member' && views.get(target)?.boot === boot) return; // it rejoined: healthy again
              emit({ kind: 'reset-line', board: target, by: name, tMs: Math.round(monoMs() - t0Ms) });
              sup.restart(target);
            }, fenceGraceMs);
          }
        }
        emit({ board: name, ...ev });
      },
      onOutput: (name, line, stream) => {
        if (stream === 'stderr') emit({ kind: 'stderr', board: name, line });
      },
      // Stamped with the monotonic clock the boards' events carry (one machine): a board's death ends its program.
      onLifecycle: (ev) => emit({ ...ev, kind: `process-${ev.kind}`, child: ev.name, mono: monoMs() }),
    },
  );

  // ---- faults
  const prng = new Prng(o.seed ^ 0x5eed);
  const faultView: DashboardFault[] = o.faults.map((f) => ({ atMs: f.atMs, spec: formatFaultSpec(f), state: 'pending' }));
  const udpBlocks = new Map<string, Map<string, number>>(SIM_BOARDS.map((b) => [b, new Map()]));
  const blockUdp = (a: string, b: string, on: boolean) => {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const m = udpBlocks.get(x)!;
      m.set(y, (m.get(y) ?? 0) + (on ? 1 : -1));
      sup.send(x, { t: 'udp-block', peers: [...m].filter(([, n]) => n > 0).map(([p]) => p) } satisfies BoardControl);
    }
  };
  const serialCuts = new Map<string, number>();
  const cutSerial = (a: string, b: string, on: boolean) => {
    const k = a < b ? `${a}-${b}` : `${b}-${a}`;
    const n = (serialCuts.get(k) ?? 0) + (on ? 1 : -1);
    serialCuts.set(k, n);
    cableOf(a, b)?.cut(n > 0);
  };
  const activeBoard = (): string => {
    for (const v of views.values()) if (v.active && v.role === 'member') return v.active;
    return 'b1';
  };
  const boardOf = (ref: string) => (ref === 'active' ? activeBoard() : ref);
  const timers: NodeJS.Timeout[] = [];
  const at = (ms: number, fn: () => void) => timers.push(setTimeout(fn, Math.max(0, t0Ms + ms - monoMs())));
  const apply = (f: FaultSpec, i: number) => {
    const view = faultView[i]!;
    const forMs = 'forMs' in f ? f.forMs : null;
    const end = (fn: () => void) => {
      if (forMs !== null) at(f.atMs + forMs, () => { fn(); view.state = 'cleared'; emit({ kind: 'fault-end', spec: view.spec }); });
    };
    at(f.atMs, () => {
      view.state = forMs === null && f.kind !== 'cut' && f.kind !== 'corrupt' && f.kind !== 'partition' && f.kind !== 'psu' && f.kind !== 'nic' && f.kind !== 'temp' ? 'cleared' : 'active';
      switch (f.kind) {
        case 'kill': {
          const b = boardOf(f.board);
          view.spec = `kill:${b}`;
          sup.kill(b);
          // A crashed board stops feeding its hardware watchdog, which resets it.
          at(f.atMs + watchdogTimeoutMs, () => {
            if (!sup.status(b).running) sup.restart(b); // unless the majority already fenced (reset) it
          });
          break;
        }
        case 'restart': sup.restart(boardOf(f.board)); break;
        case 'hang': {
          const b = boardOf(f.board);
          const boot = sup.status(b).boot;
          sup.hang(b, forMs);
          end(() => {});
          // SIGSTOP freezes the simulated watchdog with the board; a hardware one would not be:
          // it resets a board frozen longer than its timeout (and with it the board's program).
          at(f.atMs + watchdogTimeoutMs, () => {
            const st = sup.status(b);
            if (st.stopped && st.boot === boot) {
              emit({ kind: 'watchdog-reset', board: b, reason: `frozen for ${watchdogTimeoutMs} ms: the hardware watchdog resets it` });
              void sup.restart(b, 'watchdog');
            }
          });
          break;
        }
        case 'stall': sup.send(boardOf(f.board), { t: 'stall', ms: forMs ?? 2000 } satisfies BoardControl); break;
        case 'flip': sup.send(boardOf(f.board), { t: 'flip', bit: prng.int(1 << 16) } satisfies BoardControl); break;
        case 'cut':
          if (f.medium === 'serial') { cutSerial(f.a, f.b, true); end(() => cutSerial(f.a, f.b, false)); }
          else { blockUdp(f.a, f.b, true); end(() => blockUdp(f.a, f.b, false)); }
          break;
        case 'corrupt': {
          const cable = cableOf(f.a, f.b);
          cable?.setBitErrorRate(f.bitErrorRate, o.seed);
          end(() => cable?.setBitErrorRate(0, o.seed));
          break;
        }
        case 'partition': {
          const pairs: Array<[string, string]> = [];
          for (let g = 0; g < f.groups.length; g++) for (let h = g + 1; h < f.groups.length; h++) for (const a of f.groups[g]!) for (const b of f.groups[h]!) pairs.push([a, b]);
          for (const [a, b] of pairs) { cutSerial(a, b, true); blockUdp(a, b, true); }
          end(() => { for (const [a, b] of pairs) { cutSerial(a, b, false); blockUdp(a, b, false); } });
          break;
        }
        case 'psu': {
          const b = boardOf(f.board);
          sup.send(b, { t: 'psu', rail: f.supply, ok: false } satisfies BoardControl);
          end(() => sup.send(b, { t: 'psu', rail: f.supply, ok: true } satisfies BoardControl));
          break;
        }
        case 'button': sup.send(boardOf(f.board), { t: 'button', ms: forMs ?? 200 } satisfies BoardControl); break;
        case 'sensor': {
          const b = boardOf(f.board);
          view.spec = `sensor:${b}:${f.signal}:${f.mode}`;
          sup.send(b, { t: 'sensor', signal: f.signal, mode: f.mode } satisfies BoardControl);
          end(() => sup.send(b, { t: 'sensor', signal: f.signal, mode: 'ok' } satisfies BoardControl));
          break;
        }
        case 'temp': {
          const b = boardOf(f.board);
          sup.send(b, { t: 'temp', c: f.celsius } satisfies BoardControl);
          end(() => sup.send(b, { t: 'temp', c: null } satisfies BoardControl));
          break;
        }
        case 'nic': {
          const b = boardOf(f.board);
          sup.send(b, { t: 'nic', slave: f.iface, up: false } satisfies BoardControl);
          end(() => sup.send(b, { t: 'nic', slave: f.iface, up: true } satisfies BoardControl));
          break;
        }
      }
      emit({ kind: 'fault', spec: view.spec, tMs: Math.round(monoMs() - t0Ms) });
    });
  };

  // ---- dashboard
  const dashState = (): DashboardState => {
    const anyView = [...views.values()].find((v) => v.role === 'member') ?? [...views.values()][0];
    const linkState = (a: string, b: string, medium: 'serial' | 'udp') => {
      if (medium === 'serial' && (serialCuts.get(a < b ? `${a}-${b}` : `${b}-${a}`) ?? 0) > 0) return { state: 'cut' as const, lossPct: 100 };
      const l = views.get(a)?.links.find((x) => x.peer === b && x.medium === medium);
      return { state: (l?.state ?? 'down') as 'up' | 'down' | 'degraded', lossPct: l?.lossPct ?? null };
    };
    return {
      elapsedMs: Math.max(0, monoMs() - t0Ms), durationMs: o.durationMs, seed: o.seed, rateHz: o.rateHz,
      cycle: plantView.cycle, activeBoard: anyView?.active ?? null, mode: anyView?.mode ?? '-', members: anyView?.members ?? [],
      boards: SIM_BOARDS.map((b) => {
        const v = views.get(b);
        const st = sup.status(b);
        const role = !st.running ? 'down' : !v ? 'joining' : v.role === 'service' ? 'service' : v.role !== 'member' ? 'joining' : v.active === b ? 'active' : 'standby';
        return { board: b, role, state: st.running ? (v ? v.health : 'booting') : 'down', boot: st.boot, psu: v?.psuRails?.map((r) => ({ name: r.name.replace(/^psu-/, ''), ok: r.ok })) ?? [{ name: 'a', ok: v?.psu === 'redundant' }, { name: 'b', ok: v?.psu === 'redundant' }], nics: [{ name: 'bond0', up: v?.nic !== 'degraded' && v?.nic !== 'down' }] };
      }),
      links: [['b1', 'b2'], ['b1', 'b3'], ['b2', 'b3']].map(([a, b]) => ({ a: a!, b: b!, serial: linkState(a!, b!, 'serial'), udp: linkState(a!, b!, 'udp') })),
      votes: [...recentVotes],
      faults: faultView,
      gapHistogram,
      totals: { lostCycles: plantView.lost, wrongOutputs: 0, dualDriven: plantView.dualDriven, failovers: new Set(events.filter((e) => e.kind === 'failover').map((e) => e.epoch)).size, maxGapMs: Math.round(maxGapMs) },
    };
  };

  sup.start();
  if (!o.json) out.write(`ftc sim: starting 3 boards and the plant (seed ${o.seed}, ${o.rateHz} Hz)...\n`);
  const readyTimer = setTimeout(() => allReady(), readyTimeoutMs);
  await readyPromise;
  clearTimeout(readyTimer);
  if (ready.size < SIM_BOARDS.length + 1) {
    await sup.stop();
    for (const c of [...cables.values(), ...consoleCables]) await c.close();
    throw new Error(`ftc sim: ${['plant', ...SIM_BOARDS].filter((n) => !ready.has(n)).join(', ')} did not start within ${readyTimeoutMs / 1000} s (see the stderr lines above)`);
  }
  t0Ms = monoMs() + startDelayMs;
  for (const n of ready) sup.send(n, { t: 'start', t0Ms } satisfies BoardControl);
  o.faults.forEach(apply);
  const dash = !o.json && dashboardWanted(out, o.dashboard) ? startDashboard(dashState, { intervalMs: 250 }) : null;
  if (!dash && !o.json) {
    printEvents = true;
    out.write(`ftc sim: seed ${o.seed}, ${o.rateHz} Hz, ${cycles} cycles (${o.durationMs / 1000} s), ${o.faults.length} fault(s); starting in ${startDelayMs / 1000} s\n`);
    const runDirOpt = resolve(o.runDir) === resolve('.ftc/run') ? '' : ` --run-dir ${o.runDir}`;
    for (const b of SIM_BOARDS) out.write(`  ${b} console on ${consoleCables[SIM_BOARDS.indexOf(b)]?.pathB}: attach with \`npx ftc console ${b}${runDirOpt}\` (or screen/picocom)\n`);
  }

  // ---- run until the plant has closed the last cycle
  const deadline = t0Ms + o.durationMs + 3000;
  await new Promise<void>((res) => {
    const poll = setInterval(() => {
      if (plantView.done || monoMs() > deadline) { clearInterval(poll); res(); }
    }, 50);
  });
  for (const t of timers) clearTimeout(t);
  if (dash) {
    dash.stop();
    // What happened, once the screen is back: the notable events, one line each.
    const recap = events.map((e) => describeEvent(e, typeof e.tRunMs === 'number' ? e.tRunMs : 0)).filter((l): l is string => l !== null && !l.includes('process exited (SIGTERM)'));
    out.write(`what happened (${recap.length} events; all of them in the logs below):\n`);
    for (const l of recap.slice(0, recapLinesMax)) out.write(l + '\n');
    if (recap.length > recapLinesMax) out.write(`  ... ${recap.length - recapLinesMax} more\n`);
  }
  await sup.stop();
  for (const c of [...cables.values(), ...consoleCables]) await c.close();

  // ---- the summary, from the plant's own trace against the fault-free reference
  const trace = existsSync(traceFile) ? parseTrace(readFileSync(traceFile, 'utf8')).records : [];
  const world = simWorld(loaded, periodMs / 1000);
  // A checkpoint workload is not reproducible: no reference outputs, the presented ones judge a cycle.
  const checkpoint = loaded.workload.class === 'checkpoint';
  const ref = checkpoint ? { outputs: Array.from({ length: cycles }, () => null) } : runReference(io ? fieldWorld(world, io, loaded.workload.inputs) : world, o.seed, cycles);
  const names = loaded.workload.outputs.map((x) => x.name);
  const reference = ref.outputs.map((outputs, cycle) => ({ cycle, outputs: outputs === null ? null : Object.fromEntries(names.map((n, i) => [n, outputs[i]])) }));
  const summary = summarize({ trace, reference, events, periodMs, checkpoint });
  if (processSpec) Object.assign(summary, programSummary(events, SIM_BOARDS, t0Ms + o.durationMs));
  // The run for `ftc report`: its settings, every event kept, and the page itself.
  const runDir = resolve(o.runDir);
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({
    title: `ftc sim, seed ${o.seed}, ${o.rateHz} Hz${o.faults.length ? `, ${o.faults.map((f) => formatFaultSpec(f)).join(' ')}` : ''}`,
    boards: SIM_BOARDS, periodMs, durationMs: o.durationMs, seed: o.seed, summary,
  }, null, 1));
  writeFileSync(join(runDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const report = writeReport(runDir);
  const bundles = (existsSync(forensicsDir) ? readdirSync(forensicsDir) : []).filter((f) => /^forensics-.*\.json$/.test(f) && !bundlesBefore.has(f)).sort().map((f) => join(forensicsDir, f));
  // In --json the boards' own 'forensics' events carry the paths already.
  if (o.json) {
    out.write(`${JSON.stringify({ kind: 'report', path: report })}\n`);
    out.write(JSON.stringify(summary) + '\n');
  } else {
    out.write(`\n${JSON.stringify(summary)}\n`);
    out.write(`trace: ${traceFile}\nevent logs: ${resolve(o.logDir)}/ (one JSON Lines file per board)\n`);
    for (const b of bundles) out.write(`forensics: ${b} (a board was outvoted: ftc forensics ${b})\n`);
    out.write(`report: ${report} (ftc report ${runDir} writes it again)\n`);
  }
  return { code: summary.dualDriven > 0 || summary.wrongOutputs > 0 || (summary.lostCommitted ?? 0) > 0 || (summary.duplicatedOutputs ?? 0) > 0 ? 1 : 0, summary };
}

/** Notable events as one line of text (plain `ftc sim --no-dashboard`); null for the rest. */
export function describeEvent(ev: Record<string, unknown>, tMs: number): string | null {
  const t = `${(tMs / 1000).toFixed(2).padStart(6)} s`;
  const who = typeof ev.board === 'string' ? ev.board : typeof ev.child === 'string' ? ev.child : '';
  const cyc = typeof ev.cycle === 'number' ? ` (cycle ${ev.cycle})` : '';
  switch (ev.kind) {
    case 'fault': return ev.spec !== undefined ? `${t}  FAULT     ${ev.spec}` : `${t}  ${who}: ${ev.what}`;
    case 'fault-end': return `${t}  repaired  ${ev.spec}`;
    case 'failover': return `${t}  ${who}: failover ${ev.from} -> ${ev.to}${cyc}`;
    case 'handover-done': return `${t}  ${who}: handover ${ev.from} -> ${ev.to}${cyc}`;
    case 'votedOut': return `${t}  ${who}: ${ev.target ?? 'a board'} voted out${cyc}`;
    case 'votedIn': return `${t}  ${who}: ${ev.target ?? 'a board'} voted back in${cyc}`;
    case 'demoted': return `${t}  ${who}: stepped down (${ev.detail})${cyc}`;
    case 'caughtUp': return `${t}  ${who}: caught up from a snapshot${cyc}`;
    case 'mode': return `${t}  ${who}: mode ${ev.detail}${cyc}`;
    case 'alarm': return `${t}  ${who}: ALARM ${ev.code}${ev.detail ? ` ${ev.detail}` : ''}${cyc}`;
    case 'reset-line': return `${t}  ${ev.by} pulls the reset line of ${ev.board} (fenced by the majority)`;
    case 'watchdog-reset': return `${t}  ${who}: WATCHDOG RESET ${String(ev.reason).replace(/^watchdog reset /, '')}`;
    case 'button': return `${t}  ${who}: maintenance button: ${ev.action}`;
    case 'service-leave': return `${t}  ${who}: out for service (${ev.cause})${cyc}`;
    case 'service-return': return `${t}  ${who}: back from service (${ev.cause})${cyc}`;
    case 'handover': return `${t}  ${who}: handover to ${ev.target ?? 'the next board'} ${ev.detail ?? ''}${cyc}`;
    case 'health': return `${t}  ${who}: ${ev.what} ${ev.state} (${ev.cause})`;
    case 'lost-cycle': return `${t}  plant: cycle ${ev.cycle} had no output`;
    case 'process-exit': return `${t}  ${who}: process exited (${ev.signal ?? `code ${ev.code}`})`;
    case 'metrics': return `${t}  ${who}: metrics at ${String(ev.url)}`;
    case 'process-spawn': return `${t}  ${who}: process started (boot ${ev.boot}, ${ev.reason})`;
    case 'stderr': return `${t}  ${who} stderr: ${ev.line}`;
    default: return null;
  }
}
