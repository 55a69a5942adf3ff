/**
 * `ftc run --config <board.yaml>`: the controller on a real board (ring 3 wiring). Everything is
 * the real adapter: onoff GPIO (power-good inputs, reset lines of the peers, johnny-five LEDs,
 * relays and button through our IO plugin), i2c-bus (INA219 rail monitors), serialport UARTs and
 * UDP to the peers, /dev/watchdog or systemd or a GPIO-kicked WDT chip, the bond's /proc file.
 *
 * The workload (config `workload.module`) reads its inputs and drives its outputs where the
 * config's `io:` maps them (src/field): the board's own GPIO lines, I²C sensors and ADCs,
 * johnny-five relays, or the plant over UDP (`--plant host:port`: a plant model on a lab PC,
 * hardware in the loop). Without `io:` every signal goes over the plant link. Start-up order: config check (exit 2, nothing started), then each
 * device opened with a named error (exit 1), then the tick loop. SIGTERM (systemctl stop) or
 * SIGINT stops it in order (BoardController.shutdown), then exit 0; a second signal exits at once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { openOnoffGpioChip } from '../adapters/real/gpio-onoff.ts';
import { openI2cBus } from '../adapters/real/i2c.ts';
import { openSerialLink } from '../adapters/real/serial.ts';
import { openDatagramLink, parseHostPort } from '../adapters/real/udp.ts';
import { createHmacSha256 } from '../bus/auth-node.ts';
import type { FrameAuth } from '../bus/frame.ts';
import { loadBoardConfig, loadHardwareDefs, type BoardConfig } from '../config/index.ts';
import { EventLog } from '../eventlog/eventlog.ts';
import { sysfsPinMapper } from '../hw/gpio-chips.ts';
import { monotonicClock } from '../ports/clock.ts';
import { timerScheduler } from '../ports/scheduler.ts';
import type { GpioLine } from '../ports/gpio.ts';
import { voterTimingFor } from '../voter/timing.ts';
import { createHwWatchdog, withSystemdNotify } from '../watchdog/drivers.ts';
import type { PsuRailWiring } from '../watchdog/psu-monitor.ts';
import { defaultWorkloadPath, PROGRAM_WORKLOAD_PATH } from '../workload/default.ts';
import { makeProcessSpec, type ProcessSpec } from '../process/spec.ts';
import { lookupUser } from '../process/user.ts';

/** Where a board keeps its copy of a process's state directory unless process.stateDir says. */
const PROCESS_STATE_DIR_DEFAULT = '/var/lib/ftc/process';
import { loadWorkload, WorkloadLoadError } from '../workload/loader.ts';
import type { BoardController } from './board.ts';
import { UdpPlantIo } from './plant-io.ts';
import { startMetricsServer } from '../metrics/board-metrics.ts';
import { checkFieldMapping, fieldResources, usesPlant } from '../field/config.ts';
import { FieldIo } from '../field/field-io.ts';
import { openField } from '../field/open.ts';
import { openSerialPeers, wireBoard } from './wire-board.ts';

export class RunError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/**
 * Longest an orderly stop may take before the process exits anyway (code 1). The stop itself is a
 * few cycles; this is far inside the unit's TimeoutStopSec=10s (hw/systemd/ftc.service), after
 * which systemd SIGKILLs ftc with the watchdog still armed and the board resets.
 */
const shutdownBoundMs = 5000;

export interface RunBoardOptions {
  configPath: string;
  /** host:port of the plant (field I/O) over UDP. */
  plant: string | null;
}

/** Boot count, persisted beside the event log: the frame layer's epoch must grow at every start. */
function nextBoot(dir: string): number {
  const file = join(dir, 'boot-count');
  let boot = 0;
  try {
    boot = Number.parseInt(readFileSync(file, 'utf8'), 10) || 0;
  } catch {
    /* first boot */
  }
  boot += 1;
  writeFileSync(file, `${boot}\n`);
  return boot;
}

function frameAuth(config: BoardConfig): FrameAuth {
  switch (config.auth.kind) {
    case 'none-lab':
      return { mode: 'none-lab' };
    case 'key-hex':
      return { mode: 'hmac', key: Buffer.from(config.auth.keyHex, 'hex'), mac: createHmacSha256() };
    case 'key-file': {
      let text: string;
      try {
        text = readFileSync(config.auth.keyFile, 'utf8').trim();
      } catch (e) {
        throw new RunError(`auth.keyFile: cannot read ${config.auth.keyFile} (${(e as NodeJS.ErrnoException).code}); fix: copy the rig key there (hw/install.sh), mode 600, owner ftc`, 1);
      }
      const key = /^[0-9a-fA-F]+$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'utf8');
      return { mode: 'hmac', key, mac: createHmacSha256() };
    }
  }
}

export async function runBoard(o: RunBoardOptions): Promise<BoardController<unknown>> {
  const loaded = loadBoardConfig(o.configPath);
  if (!loaded.ok) throw new RunError(`${o.configPath}: ${loaded.errors.length} problem(s):\n${loaded.errors.map((e) => `  ${e}`).join('\n')}`, 2);
  const config = loaded.config;
  // A process does its own I/O: no plant, no field signals.
  const needPlant = !config.process && usesPlant(config.io);
  if (!o.plant && needPlant) throw new RunError(`--plant: missing; fix: give the host:port of the plant that carries ${config.io ? 'the signals io: maps to plant' : 'the workload\'s field I/O (no io: section in the config)'} (e.g. --plant 10.77.0.10:47200)`, 2);
  let plantAddr: string | null = null;
  if (o.plant) {
    try {
      const hp = parseHostPort(o.plant);
      plantAddr = `${hp.host}:${hp.port}`;
    } catch (e) {
      throw new RunError(`--plant: ${JSON.stringify(o.plant)} is not host:port (${(e as Error).message}); fix: e.g. --plant 10.77.0.10:47200`, 2);
    }
  }
  // The workload before any hardware is touched: a module that does not load stops here.
  let workload;
  let identity;
  let modulePath;
  try {
    modulePath = config.process ? PROGRAM_WORKLOAD_PATH : config.workload ? resolve(dirname(o.configPath), config.workload.module) : defaultWorkloadPath();
    ({ workload, identity } = await loadWorkload(modulePath, config.workload?.options ?? {}));
  } catch (e) {
    if (e instanceof WorkloadLoadError) throw new RunError(`workload.module: ${e.message}`, 2);
    throw e;
  }
  if (config.io) {
    const problems = checkFieldMapping(config.io, workload.inputs, workload.outputs, o.configPath);
    if (problems.length) throw new RunError(`${o.configPath}: io does not fit workload ${workload.name}: ${problems.length} problem(s):\n${problems.map((e) => `  ${e}`).join('\n')}`, 2);
  }
  // The process class: its spec (checked with the config), its user, its copy of the state directory.
  let processParts: { spec: ProcessSpec; stateDir: string } | undefined;
  if (config.process) {
    const spec = makeProcessSpec({ ...config.process.spec, argv: config.process.argv, cwd: config.process.spec.cwd ?? dirname(resolve(o.configPath)) }, 1000 / config.cycleHz);
    if (spec.user !== undefined) {
      try {
        lookupUser(spec.user);
      } catch (e) {
        throw new RunError((e as Error).message, 2);
      }
    }
    processParts = { spec, stateDir: config.process.stateDir ?? PROCESS_STATE_DIR_DEFAULT };
  }
  const hw = loadHardwareDefs().get(config.hardware);
  if (!hw) throw new RunError(`hardware: no definition for ${config.hardware}; fix: add hw/boards/${config.hardware}.yaml`, 2);
  const boards = [...config.rig.peers].sort((a, b) => a.rank - b.rank).map((p) => p.id as string);
  const self = config.board;
  const clock = monotonicClock;

  mkdirSync(config.eventLog.dir, { recursive: true });
  const boot = nextBoot(config.eventLog.dir);
  const log = new EventLog({ dir: config.eventLog.dir, board: self, boot, bytesMax: config.eventLog.bytesMax, filesMax: config.eventLog.filesMax, clock });
  const auth = frameAuth(config);
  log.append('boot', { pid: process.pid, config: o.configPath, auth: auth.mode === 'none-lab' ? 'none-lab: frames NOT authenticated (lab setting)' : 'hmac' });

  let chip;
  try {
    chip = await openOnoffGpioChip();
  } catch (e) {
    throw new RunError(`gpio: ${(e as Error).message} (run \`ftc doctor --config ${o.configPath}\` for every check)`, 1);
  }
  const toChip = sysfsPinMapper(hw);

  // ---- links: every UART to a peer, and UDP on the bond
  const udp = await openDatagramLink({ host: config.links.udp.bind, port: config.links.udp.port });
  const serial = await openSerialPeers(config.links.serial.filter((x) => x.peer !== self), openSerialLink, log);
  const udpPeers = config.links.udp.peers.filter((u) => u.id !== self).map((u) => ({ peer: u.id as string, address: `${u.address}:${u.port ?? config.links.udp.port}` }));

  // ---- reset lines of the peers (fencing), held released until the voter's majority says so
  const resetLines = new Map<string, GpioLine>();
  for (const r of config.gpio.resetLines) resetLines.set(r.peer, chip.open(toChip(r.pin), r.activeLow ? 'high' : 'low', 'none', { activeLow: r.activeLow }));

  // ---- PSU rails: power-good lines, INA219 monitors when fitted
  const fieldOnI2c = config.io ? fieldResources(config.io).addresses.length > 0 : false;
  const i2c = config.i2c.ina219.length || fieldOnI2c ? await openI2cBus(config.i2c.bus) : null;
  const rail = (name: string, pin: { pin: number; activeLow: boolean }, ina?: { address: number; shuntMilliohms: number }): PsuRailWiring => ({
    name, powerGoodPin: toChip(pin.pin), activeLow: pin.activeLow,
    ...(ina && i2c ? { monitor: { bus: i2c, address: ina.address, shuntMilliOhm: ina.shuntMilliohms } } : {}),
  });
  const psuRails = [rail('psu-a', config.gpio.powerGoodA, config.i2c.ina219[0]), rail('psu-b', config.gpio.powerGoodB, config.i2c.ina219[1])];

  // ---- watchdog
  const wd = config.watchdog;
  const hwWatchdog = wd.kind === 'dev' ? createHwWatchdog({ kind: 'dev', device: wd.device, timeoutMs: wd.timeoutMs })
    : wd.kind === 'systemd' ? createHwWatchdog({ kind: 'systemd' })
      : wd.kind === 'gpio-kick' && config.gpio.watchdogKick ? createHwWatchdog({ kind: 'gpio-kick', kick: chip.open(toChip(config.gpio.watchdogKick.pin), 'low'), timeoutMs: wd.timeoutMs })
        : null;
  if (!hwWatchdog) throw new RunError(`watchdog.kind: ${wd.kind} cannot run on a board (sim is for ftc sim; gpio-kick needs gpio.watchdogKick); fix: use dev, systemd or gpio-kick`, 2);
  // Under ftc.service (Type=notify, WatchdogSec=) systemd is told READY=1 and WATCHDOG=1 as well.
  const boardWatchdog = withSystemdNotify(hwWatchdog);

  // ---- console, field I/O, and the board itself
  const consoleLink = config.console.serialPath ? await openSerialLink({ path: config.console.serialPath }) : null;
  const plantIo = plantAddr ? await openDatagramLink({ host: config.links.udp.bind, port: config.links.udp.port + 1 }) : null;
  let field;
  try {
    field = config.io ? await openField(config.io, workload.inputs, workload.outputs, { chip, toChipPin: toChip, i2c }) : null;
  } catch (e) {
    throw new RunError(`io: ${(e as Error).message} (run \`ftc doctor --config ${o.configPath}\` for every check)`, 1);
  }
  const t0Ms = Math.ceil(clock.nowMs() / 1000) * 1000 + 1000;
  const controller = await wireBoard({
    self, boards, boot, resetReason: boot === 1 ? 'power-on' : 'restart', rateHz: config.cycleHz, t0Ms,
    // Real boards boot at different times with unrelated clocks: listen, align, then snapshot or re-form.
    startAs: 'cold',
    // Bounds that scale with the period (src/voter/timing.ts), not defaultVoterConfig's 100 Hz figures.
    voter: { ...voterTimingFor(1000 / config.cycleHz), policy: { allowDuplex: config.redundancy.allowDuplex }, cleanCyclesToRejoin: config.redundancy.cleanCyclesToRejoin },
    workload, ...(processParts ? { process: processParts } : {}),
    // An outvoted board writes what it knew beside its event log (ftc forensics).
    forensics: {
      dir: join(config.eventLog.dir, 'forensics'),
      workload: { name: identity.name, version: identity.version, id: workload.id ?? null, codeHash: identity.codeHash, modulePath, options: config.workload?.options ?? {} },
      configHash: createHash('sha256').update(readFileSync(o.configPath)).digest('hex'),
    },
    clock, scheduler: timerScheduler(clock), log, auth,
    links: { serial, udp: { link: udp, peers: udpPeers } },
    gpio: chip, psuRails, nic: { bond: 'bond0' }, thermal: { ...config.thermal },
    watchdog: { hw: boardWatchdog, timeoutMs: wd.timeoutMs, feedPeriodMs: wd.feedPeriodMs },
    console: consoleLink ? { link: consoleLink, passwordHash: config.console.passwordHash ?? null, allowInject: config.console.allowInject } : null,
    peripherals: { gpio: config.gpio, toChipPin: toChip },
    // The 2oo3 relay ladder: this board closes its relays while it backs a driver (not failing safe).
    io: (peripherals) => {
      const onSelect = (sel: string | null) => peripherals?.setAllOutputSelect(sel !== null);
      const plant = plantIo && plantAddr ? new UdpPlantIo(self, plantIo, plantAddr, onSelect, workload.inputs.length) : null;
      if (processParts && !plant) return { sensors: () => [], present: () => {}, select: (_c: unknown, sel: string | null) => onSelect(sel) };
      if (!field) return plant!; // no io: section: usesPlant() made --plant required above
      // Without a plant the select relays still follow this board's select line.
      const io = new FieldIo({
        inputs: workload.inputs, outputs: workload.outputs, sources: field.sources, sinks: field.sinks,
        plant: plant ?? { sensors: () => [], present: () => {}, select: (_c, sel) => onSelect(sel) },
        kickAhead: true, onFault: (signal, what) => log.append('field', { signal, what }),
      });
      return io;
    },
    pullResetLine: (target) => {
      const line = resetLines.get(target);
      if (!line) return void log.append('fence-error', { target, error: 'no reset line to that board in gpio.resetLines' });
      // A reset pulse long enough for the PMIC's RUN input (Pi: >= 10 ms held low).
      line.write(1);
      setTimeout(() => line.write(0), 100);
    },
  });
  if (config.metrics) {
    const hp = parseHostPort(config.metrics.listen);
    try {
      const m = await startMetricsServer(controller as BoardController<unknown>, self, { host: hp.host, port: hp.port });
      log.append('metrics', { url: `http://${m.address}/metrics` });
    } catch (e) {
      throw new RunError(`metrics.listen: cannot listen on ${config.metrics.listen} (${(e as Error).message}); fix: a free port, or an address of this board`, 1);
    }
  }
  stopOnSignals(controller, log);
  return controller;
}

/**
 * Without this, SIGTERM kills the process: /dev/watchdog is closed without the magic 'V' (the
 * board resets a timeout later) and the peers, hearing nothing, fence it as a crashed member.
 */
function stopOnSignals(controller: BoardController<unknown>, log: EventLog): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + osConstants.signals[signal];
    if (stopping) {
      // The operator insists: go now (the watchdog stays armed, the board resets).
      log.append('shutdown', { reason: `${signal} again`, exit: code });
      process.exit(code);
    }
    stopping = true;
    log.append('signal', { signal, action: 'orderly stop' });
    setTimeout(() => {
      log.append('shutdown', { reason: `${signal}: not done within ${shutdownBoundMs} ms`, exit: 1 });
      process.exit(1);
    }, shutdownBoundMs).unref();
    controller.shutdown(signal).then(
      () => process.exit(0),
      (e: unknown) => {
        log.append('shutdown', { reason: signal, error: e instanceof Error ? e.message : String(e), exit: 1 });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
