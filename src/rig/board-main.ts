/**
 * One board of `ftc sim`, as a real OS process: the board shell (src/shell/board.ts) with the
 * simulator's parts. Real: the frame layer over real ptys (serialport's native binding) and UDP,
 * authenticated; the supervision gate; the event log; the console on a pty; johnny-five driving
 * the status LED, select relays, alarm and maintenance button. Simulated: GPIO (SimGpioChip),
 * the watchdog (it really resets: the process exits 86 and the supervisor restarts it), the
 * bond's /proc file, and the plant (sensors in, outputs and select lines out, over UDP).
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openSerialLink } from '../adapters/real/serial.ts';
import { openDatagramLink } from '../adapters/real/udp.ts';
import { bondingText } from '../adapters/sim/bonding.ts';
import { SimGpioChip } from '../adapters/sim/gpio.ts';
import { createHmacSha256 } from '../bus/auth-node.ts';
import { EventLog } from '../eventlog/eventlog.ts';
import type { Clock } from '../ports/clock.ts';
import { timerScheduler } from '../ports/scheduler.ts';
import type { DatagramLink } from '../ports/serial.ts';
import { UdpPlantIo } from '../shell/plant-io.ts';
import { boardExercise, warmUp, warmUpTiming } from '../shell/warm-up.ts';
import { FieldIo } from '../field/field-io.ts';
import { startMetricsServer } from '../metrics/board-metrics.ts';
import type { BoardController } from '../shell/board.ts';
import type { ProcessSpec } from '../process/spec.ts';
import { openField } from '../field/open.ts';
import { SimFieldBench } from '../field/sim-bench.ts';
import { openSerialPeers, wireBoard } from '../shell/wire-board.ts';
import { FrameCodec } from '../bus/frame.ts';
import { SimWatchdog, formatResetReason } from '../watchdog/sim-watchdog.ts';
import { loadWorkload } from '../workload/loader.ts';
import { attachToSupervisor, childEnv, emitEvent, watchdogReset } from './child.ts';
import { tickMaxMs } from '../shell/board.ts';
import { SIM_LINK_TIMING, SIM_WATCHDOG_FEED_PERIOD_MS, simPeripheralPins, simPins, simPsuRails, SIM_TEMP_NORMAL_C } from './sim-board.ts';
import { startCpuProfileIfAsked, traceGcIfAsked } from './cpu-profile.ts';
import { simVoterTiming } from './sim-timing.ts';
import { SIM_BOARDS, boardIndex, monoMs, simPorts, type BoardControl, type SimChildConfig } from './sim-protocol.ts';

/** Status lines to the supervisor (dashboard), per second. */
const statusPeriodMs = 200;
const monoClock: Clock = { nowMs: monoMs };

/** A DatagramLink that drops traffic to and from blocked peers: `cut:b1-b2/udp` and partitions. */
class BlockableDatagramLink implements DatagramLink {
  blocked = new Set<string>();
  constructor(readonly inner: DatagramLink) {}
  get localAddress() { return this.inner.localAddress; }
  get datagramBytesMax() { return this.inner.datagramBytesMax; }
  get stats() { return this.inner.stats; }
  send(data: Uint8Array, to: string): boolean {
    if (this.blocked.has(to)) return true; // the wire eats it: the sender cannot tell
    return this.inner.send(data, to);
  }
  onMessage(listener: (data: Uint8Array, from: string) => void): void {
    this.inner.onMessage((d, from) => {
      if (!this.blocked.has(from)) listener(d, from);
    });
  }
  close() { return this.inner.close(); }
}

/**
 * A controller wants the CPU when its deadline comes, not after a test suite's time slice: on a
 * board the unit runs with CPUSchedulingPolicy/Nice; here raise our priority when allowed (root).
 *
 * The simulator's boards share this machine's cores, real boards do not: a board that is
 * starting (loading modules, compiling, its first garbage) would take CPU from the running ones
 * and make them late, a second fault that real hardware never has. So a board boots below the
 * running boards (nice +5) and takes their priority once warm (raisePriority after warmUp).
 * Lowering the niceness back needs the same permission as raising it; without it the board
 * stays at the priority it was started with.
 */
const niceRunning = -10;
const niceBooting = 5;
function bootPriority(): { priority: string; raise: () => string } {
  try {
    setPriority(niceRunning); // the permission test: only where it works do we boot below it
    setPriority(niceBooting);
    return { priority: `nice ${niceBooting} until warm`, raise: () => (setPriority(niceRunning), `nice ${niceRunning}`) };
  } catch {
    const priority = 'nice 0 (not permitted: run as root or grant CAP_SYS_NICE for steadier deadlines)';
    return { priority, raise: () => priority };
  }
}

export async function boardMain(cfg: SimChildConfig): Promise<void> {
  const { priority, raise: raisePriority } = bootPriority();
  const env = childEnv();
  const self = env.name ?? 'b1';
  const selfIdx = boardIndex(self);
  const ports = simPorts(cfg.basePort);

  // ---- event log: every event also goes to the supervisor (ftc sim --json reads the same events)
  const log = new EventLog({ dir: cfg.logDir, board: self, boot: env.boot, clock: monoClock });
  log.onAppend((e) => emitEvent(e as unknown as Record<string, unknown>));
  log.append('boot', { reason: env.resetReason, pid: process.pid, priority });

  // ---- control from the supervisor (faults inside the process); the first is the rig's t0
  const pendingControl: BoardControl[] = [];
  let resolveStart: (t0Ms: number) => void = () => {};
  const started = new Promise<number>((res) => (resolveStart = res));
  let applyControl: ((c: BoardControl) => void) | null = null;
  attachToSupervisor((m) => {
    const c = m as unknown as BoardControl;
    if (c.t === 'start') resolveStart(c.t0Ms);
    else if (applyControl) applyControl(c);
    else pendingControl.push(c);
  });

  // ---- links: a pty to each peer (serialport's real binding) + one UDP socket, redundantly
  const udp = new BlockableDatagramLink(await openDatagramLink({ host: '127.0.0.1', port: ports.bus(selfIdx) }));
  const peerNames = SIM_BOARDS.filter((b) => b !== self);
  const serial = await openSerialPeers(peerNames.flatMap((peer) => {
    const path = cfg.serial[self]?.[peer];
    return path ? [{ peer, path }] : [];
  }), openSerialLink, log);
  const udpPeers = peerNames.map((peer) => ({ peer, address: `127.0.0.1:${ports.bus(boardIndex(peer))}` }));

  // ---- simulated GPIO: power-good lines (good = low), the bond file, johnny-five parts
  const gpio = new SimGpioChip({ clock: monoClock, name: `${self}-gpio` });
  gpio.drive(simPins.pgoodA, 0);
  gpio.drive(simPins.pgoodB, 0);
  gpio.drive(simPins.button, 0);
  const nicRoot = join(cfg.runDir, self, 'nic');
  const slaves: Record<string, boolean> = { eth0: true, eth1: true };
  const writeBond = () => {
    mkdirSync(join(nicRoot, 'proc/net/bonding'), { recursive: true });
    writeFileSync(join(nicRoot, 'proc/net/bonding/bond0'), bondingText(slaves));
  };
  writeBond();
  // The SoC's thermal zone, as sysfs has it (millidegrees): 45 °C until a temp: fault.
  const thermalRoot = join(cfg.runDir, self, 'thermal');
  const writeTemp = (c: number) => {
    mkdirSync(join(thermalRoot, 'sys/class/thermal/thermal_zone0'), { recursive: true });
    writeFileSync(join(thermalRoot, 'sys/class/thermal/thermal_zone0/temp'), `${Math.round(c * 1000)}\n`);
  };
  writeTemp(SIM_TEMP_NORMAL_C);
  const hw = new SimWatchdog({
    clock: monoClock,
    timeoutMs: cfg.watchdogTimeoutMs,
    onReset: (r) => {
      log.append('watchdog-reset', { reason: formatResetReason(r) });
      watchdogReset(formatResetReason(r));
    },
  });

  // ---- warm up (JIT, lazy loading, start-up garbage) until this process keeps its deadlines
  const voter = simVoterTiming(1000 / cfg.rateHz);
  const auth = { mode: 'hmac', key: Buffer.from(cfg.keyHex, 'hex'), mac: createHmacSha256() } as const;
  // The supervisor loaded the module before it started anyone: a failure here is a programmer error.
  const { workload, identity } = await loadWorkload(cfg.workload, cfg.workloadOptions);
  const warm = await warmUp({
    clock: monoClock, scheduler: timerScheduler(monoClock), ...warmUpTiming(voter.periodMs!, voter.lateMaxMs!),
    exercise: boardExercise(new FrameCodec(auth), workload),
  });
  log.append('warm-up', { priority: raisePriority(), warm: warm.warm, tookMs: Math.round(warm.tookMs), wakes: warm.wakes, lateMaxMs: Math.round(warm.lateMaxMs * 10) / 10 });

  // ---- wait for the rig's time base, then run
  startCpuProfileIfAsked(self);
  await traceGcIfAsked(emitEvent);
  emitEvent({ kind: 'ready', board: self });
  const t0Ms = await started;
  const plantIo = await openDatagramLink({ host: '127.0.0.1', port: ports.boardPlant(selfIdx) });
  // The console on its pty: the same interpreter as on a board's UART (no password in the sim).
  let consoleLink = null;
  const consolePath = cfg.console[self];
  if (consolePath) {
    try {
      consoleLink = await openSerialLink({ path: consolePath });
    } catch (e) {
      log.append('console-error', { error: (e as Error).message });
    }
  }
  // ---- field I/O (ftc sim --io): the board's own simulated sensors and lines, fed by the plant
  const bench = cfg.io ? new SimFieldBench(cfg.io, workload.inputs, workload.outputs, gpio, `${self}-i2c`) : null;
  const field = cfg.io && bench ? await openField(cfg.io, workload.inputs, workload.outputs, { chip: gpio, toChipPin: (p) => p, i2c: bench.bus }) : null;
  if (field) {
    log.append('field', {
      inputs: workload.inputs.map((x, i) => `${x.name} <- ${field.sources[i]?.describe ?? 'plant'}`).join(', '),
      outputs: workload.outputs.map((x, i) => `${x.name} -> ${field.sinks[i]?.describe ?? 'plant'}`).join(', '),
    });
  }
  // ---- the process class (ftc sim --process): this board's own state directory, kept across its restarts (its disk)
  let processParts: { spec: ProcessSpec; stateDir: string } | undefined;
  if (cfg.process) {
    const stateDir = join(cfg.runDir, self, 'state');
    if (!existsSync(stateDir) && cfg.process.stateDirInit) cpSync(cfg.process.stateDirInit, stateDir, { recursive: true });
    processParts = { spec: cfg.process.spec, stateDir };
  }
  const controller = await wireBoard({
    self, boards: SIM_BOARDS, ...(processParts ? { process: processParts } : {}), boot: env.boot, resetReason: env.resetReason, rateHz: cfg.rateHz, t0Ms,
    voter, workload, clock: monoClock, scheduler: timerScheduler(monoClock), log, auth,
    // Bundles beside the event logs: `ftc forensics <log dir>/forensics/<file>`.
    forensics: {
      dir: join(cfg.logDir, 'forensics'),
      workload: { name: identity.name, version: identity.version, id: workload.id ?? null, codeHash: identity.codeHash, modulePath: cfg.workload, options: cfg.workloadOptions ?? {} },
      configHash: createHash('sha256').update(JSON.stringify({ rateHz: cfg.rateHz, workload: cfg.workload, options: cfg.workloadOptions ?? {} })).digest('hex'),
    },
    links: { serial, udp: { link: udp, peers: udpPeers }, ...SIM_LINK_TIMING },
    gpio,
    psuRails: simPsuRails,
    nic: { bond: 'bond0', root: nicRoot, source: 'proc' },
    thermal: { root: thermalRoot },
    watchdog: { hw, timeoutMs: cfg.watchdogTimeoutMs, feedPeriodMs: SIM_WATCHDOG_FEED_PERIOD_MS },
    console: consoleLink ? { link: consoleLink, passwordHash: null, allowInject: true } : null,
    peripherals: { gpio: simPeripheralPins },
    // The simulator's select relays, one per board, driven through johnny-five.
    io: (peripherals) => {
      const plant = new UdpPlantIo(self, plantIo, `127.0.0.1:${ports.plant}`, (sel) => {
        for (const b of SIM_BOARDS) peripherals?.setOutputSelect(`sel-${b}`, b === sel);
      }, workload.inputs.length, bench ? (c, v) => bench.feed(c, v) : undefined);
      if (!bench || !field) return plant;
      // --io: the board reads its own simulated sensors and drives its own lines (src/field).
      const fio = new FieldIo({
        inputs: workload.inputs, outputs: workload.outputs, sources: field.sources, sinks: field.sinks,
        plant: bench.plantThroughLines(plant), kickAhead: false,
        onFault: (signal, what) => log.append('field', { signal, what }),
      });
      bench.attach(fio);
      return fio;
    },
    // The reset line of a fenced board: the supervisor owns it in the simulator.
    pullResetLine: (target) => emitEvent({ kind: 'pull-reset', target, by: self }),
    injectExternal: (spec) => {
      if (spec.kind === 'psu') { control({ t: 'psu', rail: spec.supply, ok: false }); return { ok: true, message: `psu ${spec.supply} lost` }; }
      if (spec.kind === 'nic') { control({ t: 'nic', slave: spec.iface, up: false }); return { ok: true, message: `${spec.iface} down` }; }
      if (spec.kind === 'button') { control({ t: 'button', ms: spec.forMs ?? 200 }); return { ok: true, message: `maintenance button held ${spec.forMs ?? 200} ms` }; }
      return { ok: false, message: `${spec.kind} is injected by the simulator (ftc sim --fault ...), not from a board's console` };
    },
  });

  if (cfg.metricsBasePort !== undefined) {
    const m = await startMetricsServer(controller as BoardController<unknown>, self, { host: '127.0.0.1', port: cfg.metricsBasePort + selfIdx });
    emitEvent({ kind: 'metrics', board: self, url: `http://${m.address}/metrics` });
  }

  function control(c: BoardControl): void {
    switch (c.t) {
      case 'start': break;
      case 'stall': controller.stall(c.ms); break;
      case 'flip': controller.flip(c.bit); break;
      case 'udp-block':
        udp.blocked = new Set(c.peers.map((p) => `127.0.0.1:${ports.bus(boardIndex(p))}`));
        log.append('fault', { what: c.peers.length ? `udp to ${c.peers.join(',')} cut` : 'udp restored' });
        break;
      case 'psu':
        gpio.drive(c.rail === 'a' ? simPins.pgoodA : simPins.pgoodB, c.ok ? 0 : 1);
        controller.noteFault({ source: 'injected', what: `psu ${c.rail} ${c.ok ? 'restored' : 'lost'}`, state: c.ok ? 'cleared' : 'active' });
        break;
      case 'nic':
        slaves[c.slave] = c.up;
        writeBond();
        controller.noteFault({ source: 'injected', what: `nic ${c.slave} ${c.up ? 'up' : 'down'}`, state: c.up ? 'cleared' : 'active' });
        break;
      case 'temp':
        writeTemp(c.c ?? SIM_TEMP_NORMAL_C);
        controller.noteFault({ source: 'injected', what: c.c === null ? 'temperature back to normal' : `SoC at ${c.c} °C`, state: c.c === null ? 'cleared' : 'active' });
        break;
      case 'handover': controller.requestHandover(c.to); break;
      case 'sensor':
        if (bench) {
          const what = bench.fault(c.signal, c.mode);
          log.append('fault', { what });
          controller.noteFault({ source: 'injected', what, state: c.mode === 'ok' ? 'cleared' : 'active' });
        }
        break;
      case 'button': {
        // The maintenance button pressed for `ms` (johnny-five debounces and times it). The sim
        // GPIO chip debounces on the clock: poll() delivers edges that have become stable, so it
        // runs while a press is under way (and a little after), not all the time.
        gpio.drive(simPins.button, 1);
        setTimeout(() => gpio.drive(simPins.button, 0), c.ms);
        const poller = setInterval(() => gpio.poll(), tickMaxMs);
        setTimeout(() => clearInterval(poller), c.ms + 10 * tickMaxMs);
        break;
      }
    }
  }

  // Control messages are applied as they arrive, between ticks (a stall busies the loop, as a
  // real one would).
  applyControl = control;
  while (pendingControl.length) control(pendingControl.shift()!);
  setInterval(() => emitEvent({ ...controller.takeStatusLine(), led: controller.peripherals?.ledPattern ?? 'off' }), statusPeriodMs);
}
