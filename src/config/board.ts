/**
 * Board configuration (one YAML file per board, e.g. hw/examples/b1.yaml): which board this is,
 * its rig, links, key, pins, I²C devices, watchdog, rates and policies.
 *
 * `parseBoardConfig` never throws for bad input: it returns every problem found, each naming the
 * file, line, field path, the value found and the fix. Defaults live in defaults.ts.
 */
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fieldResources, fieldSpec, type FieldConfig } from '../field/config.ts';
import { processSectionSpec, processSpecOf, type ProcessSection } from '../process/config.ts';
import { checkWatchdogConfig } from '../watchdog/core-gate.ts';
import { WatchdogConfigError } from '../watchdog/core-config-error.ts';
import { DEFAULTS } from './defaults.ts';
import { HARDWARE_NAMES, chipOf, loadHardwareDefs, pinLabel, type HardwareDef, type HardwareName } from './hardware.ts';
import { PASSWORD_HASH_PATTERN } from './password.ts';
import {
  plainMapping,
  INVALID,
  bool,
  int,
  num,
  list,
  obj,
  oneOf,
  optional,
  reportDuplicates,
  str,
  withDefault,
  type Issues,
  type Path,
  type Spec,
} from './schema.ts';
import { readYamlFileData, readYamlText } from './yaml-source.ts';

export const BOARD_IDS = ['b1', 'b2', 'b3'] as const;
export type BoardId = (typeof BOARD_IDS)[number];

export const WATCHDOG_KINDS = ['dev', 'systemd', 'gpio-kick', 'sim'] as const;
export type WatchdogKind = (typeof WATCHDOG_KINDS)[number];

/** A GPIO line in the board's own numbering (see the hardware definition's `gpio.numbering`). */
export interface PinConfig {
  pin: number;
  /** The line's active level is low (open-drain power-good, button to ground, low-side LED). */
  activeLow: boolean;
}

export interface PeerConfig {
  id: BoardId;
  /** Lower rank wins ties (who becomes active first, who fences whom when two disagree). */
  rank: number;
}

export interface SerialLinkConfig {
  peer: BoardId;
  path: string;
  baudRate: number;
}

export interface UdpPeerConfig {
  id: BoardId;
  address: string;
  port: number;
}

export type AuthConfig =
  | { kind: 'key-file'; keyFile: string }
  | { kind: 'key-hex'; keyHex: string }
  /** Unauthenticated frames: a bench rig on an isolated network only, never a plant. */
  | { kind: 'none-lab' };

export interface ResetLineConfig extends PinConfig {
  /** The peer this line holds in reset (fencing). */
  peer: BoardId;
}

export interface RelayConfig extends PinConfig {
  name: string;
}

export interface ButtonConfig extends PinConfig {
  holdMs: number;
  debounceMs: number;
}

export interface GpioConfig {
  powerGoodA: PinConfig;
  powerGoodB: PinConfig;
  /** Kick line of an external watchdog chip (required when watchdog.kind is gpio-kick). */
  watchdogKick?: PinConfig;
  resetLines: ResetLineConfig[];
  statusLeds: { role: PinConfig; fault?: PinConfig };
  outputSelect: RelayConfig[];
  maintenanceButton: ButtonConfig;
  alarm?: PinConfig;
}

export interface Ina219Config {
  rail: string;
  address: number;
  shuntMilliohms: number;
}

export interface I2cConfig {
  bus: number;
  ina219: Ina219Config[];
  eeprom24c02?: { address: number };
  mcp23017?: { address: number };
}

export interface WatchdogConfig {
  kind: WatchdogKind;
  device: string;
  timeoutMs: number;
  feedPeriodMs: number;
}

export interface BoardConfig {
  board: BoardId;
  hardware: HardwareName;
  rig: { name: string; peers: PeerConfig[] };
  links: {
    serial: SerialLinkConfig[];
    udp: { bind: string; port: number; peers: UdpPeerConfig[] };
  };
  auth: AuthConfig;
  gpio: GpioConfig;
  i2c: I2cConfig;
  watchdog: WatchdogConfig;
  /** The workload module and its options (default: the package's default workload). */
  workload?: { module: string; options: Record<string, unknown> };
  /** The workload's signals on this board's own sensors and lines (src/field/config.ts); absent: all over the plant link. */
  io?: FieldConfig;
  /** OpenMetrics for Prometheus at http://listen/metrics (src/metrics/board-metrics.ts). */
  metrics?: { listen: string };
  /** The process class (src/process/config.ts): this program runs on one board of the rig at a time, instead of a workload. */
  process?: ProcessSection;
  /** The SoC's temperature: a board at handOverC or above hands its work over (src/watchdog/core-thermal.ts). */
  thermal: { zone: string; handOverC: number; clearC: number };
  cycleHz: number;
  redundancy: { allowDuplex: boolean; allowSimplex: boolean; cleanCyclesToRejoin: number };
  console: { serialPath?: string; passwordHash?: string; allowInject: boolean };
  eventLog: { dir: string; bytesMax: number; filesMax: number };
}

// ---------------------------------------------------------------- field specs

const boardId = oneOf(BOARD_IDS);
const pinNumber = int({ min: 0, max: 4095 });
const port = int({ min: 1, max: 65535 });
const absolutePath = str({ pattern: /^\//, expect: 'an absolute path' });
const devicePath = str({ pattern: /^\/dev\//, expect: 'a device path under /dev' });

/** `{ pin: 17, activeLow: true }`, or just `17` for an active-high line. */
function pinSpec<E extends Record<string, Spec<unknown>>>(extra?: E): Spec<PinConfig & { [K in keyof E]: E[K] extends Spec<infer T> ? T : never }> {
  const full = obj({ pin: pinNumber, activeLow: withDefault(bool(), false), ...(extra ?? {}) } as Record<string, Spec<unknown>>);
  return {
    expect: `{ pin: <GPIO number>, activeLow: true|false${extra ? Object.keys(extra).map((k) => `, ${k}: …`).join('') : ''} }`,
    read(value, path, issues) {
      const v = typeof value === 'number' ? { pin: value } : value;
      return full.read(v, path, issues) as never;
    },
  };
}

const AUTH_EXPECT = '{ keyFile: /etc/ftc/rig.key } or { keyHex: <64-128 hex digits> } or the lab setting none-lab';
const authSpec: Spec<AuthConfig> = {
  expect: AUTH_EXPECT,
  read(value, path, issues) {
    if (value === 'none-lab') return { kind: 'none-lab' };
    if (typeof value === 'string') {
      issues.add(path, value, 'is not a known auth setting', `write ${AUTH_EXPECT}`);
      return INVALID;
    }
    const r = obj({
      keyFile: optional(absolutePath),
      keyHex: optional(str({ pattern: /^(?:[0-9a-fA-F]{2}){32,64}$/, expect: '32 to 64 bytes as hex digits (openssl rand -hex 32)' })),
    }).read(value, path, issues);
    if (r === INVALID) return INVALID;
    if ((r.keyFile === undefined) === (r.keyHex === undefined)) {
      issues.add(path, value, 'must set exactly one of keyFile, keyHex', 'keep keyFile (preferred: the key stays out of the config) or keyHex, not both');
      return INVALID;
    }
    return r.keyFile !== undefined ? { kind: 'key-file', keyFile: r.keyFile } : { kind: 'key-hex', keyHex: r.keyHex!.toLowerCase() };
  },
};

const boardSpec = obj({
  board: boardId,
  hardware: oneOf(HARDWARE_NAMES),
  rig: obj({
    name: str({ pattern: /^[a-z0-9][a-z0-9_-]*$/, expect: 'a short lower-case name like lab', lengthMax: 32 }),
    peers: list(obj({ id: boardId, rank: int({ min: 1, max: 3 }) }), { min: 2, max: 3 }),
  }),
  links: obj({
    serial: list(obj({ peer: boardId, path: devicePath, baudRate: withDefault(int({ min: 9600, max: 4_000_000, unit: 'baud' }), DEFAULTS.serialBaudRate) }), {
      min: 0,
      max: 2,
    }),
    udp: obj({
      bind: withDefault(str({ expect: 'an IP address to bind, e.g. 0.0.0.0' }), DEFAULTS.udpBind),
      port: withDefault(port, DEFAULTS.udpPort),
      peers: list(obj({ id: boardId, address: str({ expect: 'the peer IP address, e.g. 10.77.0.2' }), port: withDefault(port, DEFAULTS.udpPort) }), { min: 0, max: 2 }),
    }),
  }),
  auth: authSpec,
  gpio: obj({
    powerGoodA: pinSpec(),
    powerGoodB: pinSpec(),
    watchdogKick: optional(pinSpec()),
    resetLines: list(pinSpec({ peer: boardId }), { min: 0, max: 2 }),
    statusLeds: obj({ role: pinSpec(), fault: optional(pinSpec()) }),
    outputSelect: list(pinSpec({ name: str({ pattern: /^[A-Za-z][A-Za-z0-9_-]*$/, expect: 'a relay name like voteA', lengthMax: 32 }) }), { min: 1, max: 4 }),
    maintenanceButton: pinSpec({
      holdMs: withDefault(int({ min: 500, max: 30_000, unit: 'ms' }), DEFAULTS.button.holdMs),
      debounceMs: withDefault(int({ min: 0, max: 500, unit: 'ms' }), DEFAULTS.button.debounceMs),
    }),
    alarm: optional(pinSpec()),
  }),
  i2c: obj({
    bus: int({ min: 0, max: 255 }),
    // INA219 A0/A1 straps give 16 addresses 0x40-0x4F (TI SBOS448G §8.5.5.1, Table 2).
    ina219: list(
      obj({
        rail: str({ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, expect: 'a rail name like 5V-A', lengthMax: 32 }),
        address: int({ min: 0x40, max: 0x4f, hex: true }),
        shuntMilliohms: withDefault(int({ min: 1, max: 10_000, unit: 'mΩ' }), DEFAULTS.ina219ShuntMilliohms),
      }),
      { min: 0, max: 4 },
    ),
    // 24C02: 1010 A2 A1 A0 -> 0x50-0x57. MCP23017: 0100 A2 A1 A0 -> 0x20-0x27 (DS20001952 §3.3.1).
    eeprom24c02: optional(obj({ address: int({ min: 0x50, max: 0x57, hex: true }) })),
    mcp23017: optional(obj({ address: int({ min: 0x20, max: 0x27, hex: true }) })),
  }),
  watchdog: withDefault(
    obj({
      kind: withDefault(oneOf(WATCHDOG_KINDS), DEFAULTS.watchdog.kind),
      device: withDefault(devicePath, DEFAULTS.watchdog.device),
      timeoutMs: withDefault(int({ min: 1000, max: 86_400_000, unit: 'ms' }), DEFAULTS.watchdog.timeoutMs),
      feedPeriodMs: withDefault(int({ min: 10, max: 60_000, unit: 'ms' }), DEFAULTS.watchdog.feedPeriodMs),
    }),
    { ...DEFAULTS.watchdog },
  ),
  // The user's workload: a module path (absolute, or relative to this file) and its options.
  workload: optional(obj({
    module: str({ pattern: /\.(m?js|cjs|m?ts)$/, expect: 'the path of a .js, .mjs or .ts workload module, e.g. /opt/ftc/workloads/thermostat.mjs', lengthMax: 4096 }),
    options: withDefault(plainMapping(), {}),
  })),
  io: optional(fieldSpec),
  metrics: optional(obj({ listen: str({ pattern: /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, expect: 'HOST:PORT to serve /metrics on, e.g. 0.0.0.0:9464', lengthMax: 256 }) })),
  process: optional(processSectionSpec),
  thermal: withDefault(obj({
    zone: withDefault(str({ pattern: /^thermal_zone\d{1,3}$/, expect: 'a zone under /sys/class/thermal, e.g. thermal_zone0' }), DEFAULTS.thermal.zone),
    handOverC: withDefault(num({ min: 30, max: 125, unit: '°C' }), DEFAULTS.thermal.handOverC),
    clearC: withDefault(num({ min: 20, max: 120, unit: '°C' }), DEFAULTS.thermal.clearC),
  }), { ...DEFAULTS.thermal }),
  cycleHz: withDefault(int({ min: 1, max: 1000, unit: 'Hz' }), DEFAULTS.cycleHz),
  redundancy: withDefault(
    obj({
      allowDuplex: withDefault(bool(), DEFAULTS.redundancy.allowDuplex),
      allowSimplex: withDefault(bool(), DEFAULTS.redundancy.allowSimplex),
      cleanCyclesToRejoin: withDefault(int({ min: 1, max: 1_000_000, unit: 'cycles' }), DEFAULTS.redundancy.cleanCyclesToRejoin),
    }),
    { ...DEFAULTS.redundancy },
  ),
  console: withDefault(
    obj({
      serialPath: optional(devicePath),
      passwordHash: optional(str({ pattern: PASSWORD_HASH_PATTERN, expect: 'a hash made by hashConsolePassword() (scrypt$N$r$p$salt$hash)' })),
      allowInject: withDefault(bool(), DEFAULTS.console.allowInject),
    }),
    { serialPath: undefined, passwordHash: undefined, ...DEFAULTS.console },
  ),
  eventLog: withDefault(
    obj({
      dir: withDefault(absolutePath, DEFAULTS.eventLog.dir),
      bytesMax: withDefault(int({ min: 64 * 1024, max: 1 << 30, unit: 'bytes' }), DEFAULTS.eventLog.bytesMax),
      filesMax: withDefault(int({ min: 1, max: 1000 }), DEFAULTS.eventLog.filesMax),
    }),
    { ...DEFAULTS.eventLog },
  ),
}) satisfies Spec<BoardConfig>;

// ---------------------------------------------------------------- cross-field checks

/** Serial devices that are not on-board UARTs but are fine: USB adapters, and ptys for the simulator. */
const EXTRA_SERIAL_PATH = /^\/dev\/(?:ttyUSB\d+|ttyACM\d+|serial\/by-(?:id|path)\/.+|pts\/\d+)$/;

/**
 * Cross-field checks. They run on every section that parsed, so one typo does not hide the
 * other problems: each group needs only the sections it reads (and the hardware definition when
 * `hardware` is valid).
 */
function checkBoardConfig(c: Partial<BoardConfig>, hw: HardwareDef | undefined, issues: Issues): void {
  const { board, rig, links, gpio: g, i2c, watchdog: w, cycleHz, redundancy, console: con, auth, io } = c;
  const field = io ? fieldResources(io) : { pins: [], addresses: [] };

  if (c.thermal && c.thermal.clearC >= c.thermal.handOverC) issues.add(['thermal', 'clearC'], c.thermal.clearC, `is not below thermal.handOverC (${c.thermal.handOverC})`, `give a clearC a few degrees under handOverC, e.g. ${c.thermal.handOverC - 5}: the board is ok again only below it`);

  // The process class: its limits against the cycle (a probe once a cycle at most), and no workload beside it.
  if (c.process) {
    processSpecOf(c.process, 1000 / (cycleHz ?? DEFAULTS.cycleHz), ['process'], issues);
    if (c.workload) issues.add(['workload'], c.workload.module, 'is set beside process', 'give one: a workload module (lockstep or checkpoint) or a process (any program)');
    if (io) issues.add(['io'], 'io', 'is set beside process', 'remove io: a process does its own I/O');
  }

  // Rig: this board is a member, ids and ranks distinct.
  if (board && rig) {
    if (!rig.peers.some((p) => p.id === board)) {
      issues.add(['rig', 'peers'], rig.peers.map((p) => p.id), `does not list this board (${board})`, `add { id: ${board}, rank: <1-3> } to rig.peers`);
    }
    reportDuplicates(rig.peers.map((p, i) => ({ path: ['rig', 'peers', i, 'id'], value: p.id, what: `rig.peers[${i}]` })), issues, () => 'give each board one entry');
    reportDuplicates(rig.peers.map((p, i) => ({ path: ['rig', 'peers', i, 'rank'], value: p.rank, what: `rig.peers[${i}] (${p.id})` })), issues, () => 'give each board a different rank');
  }

  // One link entry per other peer, none to ourselves or strangers.
  if (board && rig) {
    const others = rig.peers.map((p) => p.id).filter((id) => id !== board);
    const perPeer = (section: string, items: { peer: BoardId; path: Path }[], what: string) => {
      const missing = others.filter((peer) => !items.some((it) => it.peer === peer));
      // An entry naming the wrong board usually *is* the missing one: say so once, on the entry.
      const instead = missing.length ? `write ${missing.join(' or ')}` : `use one of ${others.join(', ')}`;
      let misnamed = 0;
      for (const item of items) {
        if (item.peer === board) issues.add(item.path, item.peer, `is this board itself (${what} goes to a peer)`, instead);
        else if (!others.includes(item.peer)) issues.add(item.path, item.peer, 'is not in rig.peers', `${instead} or add it to rig.peers`);
        else continue;
        misnamed++;
      }
      const dups = items.filter((it, i) => items.findIndex((x) => x.peer === it.peer) !== i).length;
      reportDuplicates(items.map((it) => ({ path: it.path, value: it.peer, what: formatAt(it.path) })), issues, () => instead);
      if (missing.length > misnamed + dups) {
        for (const peer of missing) issues.add([...section.split('.')], items.map((it) => it.peer), `has no entry for peer ${peer}`, `add ${what} for ${peer}`);
      }
    };
    if (links) {
      perPeer('links.serial', links.serial.map((s, i) => ({ peer: s.peer, path: ['links', 'serial', i, 'peer'] })), 'a serial link');
      perPeer('links.udp.peers', links.udp.peers.map((s, i) => ({ peer: s.id, path: ['links', 'udp', 'peers', i, 'id'] })), 'a UDP peer');
    }
    if (g) perPeer('gpio.resetLines', g.resetLines.map((s, i) => ({ peer: s.peer, path: ['gpio', 'resetLines', i, 'peer'] })), 'a reset (fencing) line');
  }

  // Serial paths: an on-board UART of this hardware, or a USB adapter / pty.
  const serialPaths: { path: Path; value: string; what: string }[] = [];
  links?.serial.forEach((s, i) => serialPaths.push({ path: ['links', 'serial', i, 'path'], value: s.path, what: `links.serial[${i}]` }));
  if (con?.serialPath) serialPaths.push({ path: ['console', 'serialPath'], value: con.serialPath, what: 'console.serialPath' });
  if (hw) {
    const uartList = hw.uarts.map((u) => `${u.device} (${u.name})`).join(', ');
    for (const s of serialPaths) {
      if (!hw.uarts.some((u) => u.device === s.value) && !EXTRA_SERIAL_PATH.test(s.value)) {
        issues.add(s.path, s.value, `is not a UART of ${hw.name} nor a USB serial adapter`, `use one of ${uartList}, or /dev/ttyUSBn, /dev/serial/by-id/…`);
      }
    }
  }
  reportDuplicates(serialPaths, issues, () => 'give each link and the console its own serial port');

  // UDP addresses.
  if (links) {
    if (isIP(links.udp.bind) === 0) issues.add(['links', 'udp', 'bind'], links.udp.bind, 'is not an IP address', 'write 0.0.0.0 (all interfaces) or this board\'s address');
    links.udp.peers.forEach((p, i) => {
      if (isIP(p.address) === 0) issues.add(['links', 'udp', 'peers', i, 'address'], p.address, 'is not an IP address', 'write the peer\'s IPv4 or IPv6 address (no host names: DNS is one more thing to fail)');
    });
    reportDuplicates(links.udp.peers.map((p, i) => ({ path: ['links', 'udp', 'peers', i, 'address'], value: `${p.address}:${p.port}`, what: `links.udp.peers[${i}]` })), issues, () => 'give each peer its own address');
  }

  // GPIO: every pin on the header, on a chip, used once, and not a pin of a UART / I²C bus in use.
  const bus = hw && i2c ? hw.i2c.find((b) => b.bus === i2c.bus) : undefined;
  if (g) {
    const pins: { path: Path; value: number; what: string }[] = [];
    const add = (path: Path, p: PinConfig | undefined, what: string) => {
      if (p) pins.push({ path: [...path, 'pin'], value: p.pin, what });
    };
    add(['gpio', 'powerGoodA'], g.powerGoodA, 'gpio.powerGoodA');
    add(['gpio', 'powerGoodB'], g.powerGoodB, 'gpio.powerGoodB');
    add(['gpio', 'watchdogKick'], g.watchdogKick, 'gpio.watchdogKick');
    g.resetLines.forEach((r, i) => add(['gpio', 'resetLines', i], r, `gpio.resetLines[${i}] (${r.peer})`));
    add(['gpio', 'statusLeds', 'role'], g.statusLeds.role, 'gpio.statusLeds.role');
    add(['gpio', 'statusLeds', 'fault'], g.statusLeds.fault, 'gpio.statusLeds.fault');
    g.outputSelect.forEach((r, i) => add(['gpio', 'outputSelect', i], r, `gpio.outputSelect[${i}] (${r.name})`));
    add(['gpio', 'maintenanceButton'], g.maintenanceButton, 'gpio.maintenanceButton');
    add(['gpio', 'alarm'], g.alarm, 'gpio.alarm');
    pins.push(...field.pins);

    const reserved: { value: number; what: string }[] = [];
    let free = () => '';
    if (hw) {
      const usedUarts = hw.uarts.filter((u) => serialPaths.some((s) => s.value === u.device));
      for (const u of usedUarts) {
        if (u.txPin !== undefined) reserved.push({ value: u.txPin, what: `${u.name} TX (${u.device})` });
        if (u.rxPin !== undefined) reserved.push({ value: u.rxPin, what: `${u.name} RX (${u.device})` });
      }
      if (bus?.sdaPin !== undefined) reserved.push({ value: bus.sdaPin, what: `I²C bus ${bus.bus} SDA` });
      if (bus?.sclPin !== undefined) reserved.push({ value: bus.sclPin, what: `I²C bus ${bus.bus} SCL` });
      const headerPins = Object.keys(hw.gpio.header).map(Number);
      // Suggest pins that no UART or I²C bus of the board could want first, then the rest.
      const peripheralPins = new Set(
        [...hw.uarts.flatMap((u) => [u.txPin, u.rxPin]), ...hw.i2c.flatMap((b) => [b.sdaPin, b.sclPin])].filter((p) => p !== undefined),
      );
      free = () => {
        const taken = new Set([...pins.map((p) => p.value), ...reserved.map((r) => r.value)]);
        const open = headerPins.filter((p) => !taken.has(p));
        return [...open.filter((p) => !peripheralPins.has(p)), ...open.filter((p) => peripheralPins.has(p))].slice(0, 8).join(', ');
      };
      for (const p of pins) {
        if (!chipOf(hw, p.value)) issues.add(p.path, p.value, `is on no GPIO chip of ${hw.name} (${hw.gpio.numbering})`, `use a header pin, e.g. one of ${free()}`);
        else if (headerPins.length && hw.gpio.header[p.value] === undefined) issues.add(p.path, p.value, `is not on the ${hw.name} header`, `use a header pin, e.g. one of ${free()}`);
        const clash = reserved.find((r) => r.value === p.value);
        if (clash) issues.add(p.path, p.value, `is ${pinLabel(hw, p.value)}, used by ${clash.what}`, `move it to a free pin, e.g. one of ${free()}`);
      }
    }
    reportDuplicates(pins, issues, () => (hw ? `give each function its own pin, e.g. one of ${free()}` : 'give each function its own pin'));
    reportDuplicates(g.outputSelect.map((r, i) => ({ path: ['gpio', 'outputSelect', i, 'name'], value: r.name, what: `gpio.outputSelect[${i}]` })), issues, () => 'name each relay once');
  }

  // I²C: the bus exists on this hardware, addresses and rail names are distinct.
  if (i2c) {
    if (hw && !bus) issues.add(['i2c', 'bus'], i2c.bus, `is not an I²C bus of ${hw.name}`, `use one of ${hw.i2c.map((b) => b.bus).join(', ')}`);
    const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
    const addrs: { path: Path; value: string; what: string }[] = i2c.ina219.map((d, i) => ({ path: ['i2c', 'ina219', i, 'address'], value: hex(d.address), what: `INA219 ${d.rail}` }));
    if (i2c.eeprom24c02) addrs.push({ path: ['i2c', 'eeprom24c02', 'address'], value: hex(i2c.eeprom24c02.address), what: '24C02' });
    if (i2c.mcp23017) addrs.push({ path: ['i2c', 'mcp23017', 'address'], value: hex(i2c.mcp23017.address), what: 'MCP23017' });
    for (const a of field.addresses) addrs.push({ path: a.path, value: hex(a.value), what: a.what });
    reportDuplicates(addrs, issues, () => 'strap each device to its own address');
    reportDuplicates(i2c.ina219.map((d, i) => ({ path: ['i2c', 'ina219', i, 'rail'], value: d.rail, what: `i2c.ina219[${i}]` })), issues, () => 'name each rail once');
  }

  // Watchdog.
  if (w) {
    // The same rule the feed gate applies at start against the opened device (core-gate.ts),
    // here against the hardware definition, so a bad timeout is reported before anything starts.
    const limits = { name: hw && w.kind === 'dev' ? hw.watchdog.driver : w.kind, timeoutMaxMs: hw && w.kind === 'dev' ? hw.watchdog.timeoutMaxMs : Number.MAX_SAFE_INTEGER };
    try {
      checkWatchdogConfig({ timeoutMs: w.timeoutMs, feedPeriodMs: w.feedPeriodMs }, limits);
    } catch (e) {
      if (!(e instanceof WatchdogConfigError)) throw e;
      issues.add(e.field.split('.'), e.value, e.problem, e.fix);
    }
    // Policy on top of what the gate can survive: one late feed must not reset the board.
    if (w.feedPeriodMs * 2 > w.timeoutMs && w.feedPeriodMs < w.timeoutMs) {
      issues.add(['watchdog', 'feedPeriodMs'], w.feedPeriodMs, `is over half of watchdog.timeoutMs (${w.timeoutMs})`, `write at most ${Math.floor(w.timeoutMs / 2)} so one late feed does not reset the board`);
    }
    if (g && w.kind === 'gpio-kick' && !g.watchdogKick) {
      issues.add(['gpio', 'watchdogKick'], undefined, 'is required when watchdog.kind is gpio-kick', 'add gpio.watchdogKick: { pin: <GPIO wired to the watchdog chip WDI> }');
    }
    if (cycleHz !== undefined && w.feedPeriodMs < 1000 / cycleHz) {
      const cyclePeriodMs = 1000 / cycleHz;
      issues.add(['watchdog', 'feedPeriodMs'], w.feedPeriodMs, `is shorter than one cycle (${cyclePeriodMs} ms at ${cycleHz} Hz)`, `write at least ${Math.ceil(cyclePeriodMs)}: the gate feeds at most once per cycle`);
    }
  }

  // Policies.
  if (redundancy && redundancy.allowSimplex && !redundancy.allowDuplex) {
    issues.add(['redundancy', 'allowSimplex'], true, 'is set while allowDuplex is false (a rig cannot go from three boards to one without passing two)', 'set allowDuplex: true or allowSimplex: false');
  }
  if (con && auth) {
    if (con.serialPath && !con.passwordHash && auth.kind !== 'none-lab') {
      issues.add(['console', 'passwordHash'], undefined, 'is required when console.serialPath is set', 'add console.passwordHash made with hashConsolePassword() (or remove console.serialPath)');
    }
    if (rig && con.allowInject && auth.kind !== 'none-lab' && rig.name !== 'lab') {
      issues.add(['console', 'allowInject'], true, `is on for rig "${rig.name}" (fault injection is for lab rigs)`, 'set allowInject: false, or name the rig lab');
    }
  }
}

function formatAt(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
}

// ---------------------------------------------------------------- entry points

export type BoardConfigResult = { ok: true; config: BoardConfig } | { ok: false; errors: string[] };

export interface BoardConfigOptions {
  /** Hardware definitions to check against; default: the repository's hw/boards/*.yaml. */
  hardwareDefs?: ReadonlyMap<HardwareName, HardwareDef>;
}

function finish(data: unknown, issues: Issues, options: BoardConfigOptions): BoardConfigResult {
  if (!issues.ok) return { ok: false, errors: issues.messages }; // unreadable or not YAML
  const { value, complete } = boardSpec.readPartial(data, [], issues);
  if (value) {
    const hw = value.hardware === undefined ? undefined : (options.hardwareDefs ?? loadHardwareDefs()).get(value.hardware);
    if (value.hardware !== undefined && !hw) issues.add(['hardware'], value.hardware, 'has no hardware definition', `add hw/boards/${value.hardware}.yaml`);
    checkBoardConfig(value, hw, issues);
  }
  return complete && issues.ok ? { ok: true, config: value as BoardConfig } : { ok: false, errors: issues.messages };
}

export function parseBoardConfig(text: string, sourceName: string, options: BoardConfigOptions = {}): BoardConfigResult {
  const { data, issues } = readYamlText(text, sourceName);
  return finish(data, issues, options);
}

/**
 * `io: ./io.yaml` names a file holding the mapping (one per workload, shared by the three
 * boards' configs): it is read relative to the config and checked as if written inline.
 */
export function loadBoardConfig(path: string, options: BoardConfigOptions = {}): BoardConfigResult {
  const { data, issues } = readYamlFileData(path);
  if (issues.ok && data !== null && typeof data === 'object' && typeof (data as { io?: unknown }).io === 'string') {
    const file = resolve(dirname(path), (data as { io: string }).io);
    const inner = readYamlFileData(file);
    if (!inner.issues.ok) return { ok: false, errors: inner.issues.messages.map((m) => `${path}: io: ${m}`) };
    const d = inner.data as { io?: unknown } | null;
    (data as { io: unknown }).io = d !== null && typeof d === 'object' && 'io' in d ? d.io : d;
  }
  return finish(data, issues, options);
}
