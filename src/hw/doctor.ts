/**
 * `ftc doctor`: does this machine have what the board config needs? sysfs GPIO with the chip
 * bases the hardware definition expects, the I²C bus, the serial ports, a watchdog nobody else
 * holds, the rig network (UDP bind address, an interface on the peers' subnet), the rig key, the
 * event-log directory, group memberships, Node version, a monotonic clock (NTP sync: optional).
 *
 * Given a hardware definition (hw/boards/*.yaml) instead, `runHardwareDoctor` checks only what
 * that definition promises, for a fresh board that has no board config yet.
 *
 * Every problem says what was checked, what was found and the fix. The filesystem root is
 * injectable so tests run against fixture trees. Read-only: it never opens the watchdog (opening
 * /dev/watchdog arms it) and never exports a GPIO.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import type { BoardConfig } from '../config/board.ts';
import { loadHardwareDefs, type HardwareDef, type HardwareName, type UartDef } from '../config/hardware.ts';
import { readSysfsGpioChips } from './gpio-chips.ts';

export interface Problem {
  check: string;
  found: string;
  fix: string;
  /** error: ftc will not run (or not safely); warning: runs, but look at it. */
  severity: 'error' | 'warning';
}

export interface DoctorEnv {
  /** Filesystem root ('/' on a board; a fixture tree in tests). */
  root: string;
  nodeVersion: string;
  /** null when the platform has no uid (then group checks are skipped). */
  uid: number | null;
  gids: readonly number[];
  hardwareDefs: ReadonlyMap<HardwareName, HardwareDef>;
  /** Monotonic clock in ns (process.hrtime.bigint). */
  monotonicNs: () => bigint;
  /** May this user read and write `path`? (access(2); injectable because root passes every check.) */
  canReadWrite: (path: string) => boolean;
  /** os.networkInterfaces(), injectable for tests. */
  interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export const NODE_VERSION_MIN = '20.11.0';
/** Scanning /proc for watchdog holders: bound the work on a busy machine. */
const PROC_ENTRIES_MAX = 4096;
const FDS_PER_PROCESS_MAX = 1024;

/** Everything but the hardware definitions, which a hardware-definition check does not need. */
type MachineEnv = Omit<DoctorEnv, 'hardwareDefs'>;

function defaultEnv(): MachineEnv {
  return {
    root: '/',
    nodeVersion: process.versions.node,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    gids: typeof process.getgroups === 'function' ? process.getgroups() : [],
    monotonicNs: () => process.hrtime.bigint(),
    canReadWrite,
    interfaces: networkInterfaces,
  };
}

function versionAtLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function canReadWrite(path: string): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** /etc/group → name → { gid, members }. */
function readGroups(root: string): Map<string, { gid: number; members: string[] }> {
  const groups = new Map<string, { gid: number; members: string[] }>();
  for (const line of (readText(join(root, 'etc/group')) ?? '').split('\n')) {
    const [name, , gid, members] = line.split(':');
    if (name && gid !== undefined) groups.set(name, { gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
  }
  return groups;
}

/** One doctor run: its environment, paths under its root, and the problems found so far. */
interface Checkup {
  env: MachineEnv;
  at: (path: string) => string;
  problems: Problem[];
  error: (check: string, found: string, fix: string) => void;
  warn: (check: string, found: string, fix: string) => void;
}

function startCheckup(env: MachineEnv): Checkup {
  const problems: Problem[] = [];
  return {
    env,
    at: (p) => join(env.root, p),
    problems,
    error: (check, found, fix) => problems.push({ check, found, fix, severity: 'error' }),
    warn: (check, found, fix) => problems.push({ check, found, fix, severity: 'warning' }),
  };
}

function checkNodeVersion({ env, error }: Checkup): void {
  if (!versionAtLeast(env.nodeVersion, NODE_VERSION_MIN)) {
    error('node version', `Node ${env.nodeVersion}`, `install Node >= ${NODE_VERSION_MIN} (package.json engines; NodeSource or nvm on Raspberry Pi OS)`);
  }
}

/** Lockstep timing reads the monotonic clock only; wall time only stamps the event log. */
function checkMonotonicClock({ env, error }: Checkup): void {
  const t0 = env.monotonicNs();
  const t1 = env.monotonicNs();
  if (!(t0 > 0n) || t1 < t0) error('monotonic clock', `CLOCK_MONOTONIC read ${t0} then ${t1}`, 'this kernel/libc has no usable CLOCK_MONOTONIC; ftc cannot time cycles');
}

/**
 * sysfs GPIO (onoff hard-codes /sys/class/gpio) and, with `hw`, the chips it lists: labels, bases,
 * line counts. Returns the gpio directory when it exists.
 */
function checkSysfsGpio({ env, at, error, warn }: Checkup, hw: HardwareDef | undefined): string | undefined {
  const gpioDir = at('sys/class/gpio');
  if (!existsSync(gpioDir)) {
    error('sysfs GPIO', `${gpioDir} does not exist`, 'boot a kernel with CONFIG_GPIO_SYSFS (Raspberry Pi OS and BeagleBone Debian have it); containers need /sys/class/gpio mounted');
    return undefined;
  }
  if (!hw) return gpioDir;
  const chips = readSysfsGpioChips(env.root);
  for (const def of hw.gpio.chips) {
    const found = chips.find((c) => def.labels.includes(c.label));
    if (!found) {
      error('GPIO chip', `no gpiochip labelled ${def.labels.join(' or ')} (have: ${chips.map((c) => `${c.dir} "${c.label}"`).join(', ') || 'none'})`, `check that this is a ${hw.model} (hardware: ${hw.name}) or fix hw/boards/${hw.name}.yaml`);
      continue;
    }
    if (!def.sysfsBases.includes(found.base)) {
      warn('GPIO chip base', `${found.dir} "${found.label}" has base ${found.base}, hw/boards/${hw.name}.yaml lists ${def.sysfsBases.join(', ')}`, `ftc uses the real base at start-up; add ${found.base} to sysfsBases in hw/boards/${hw.name}.yaml`);
    }
    if (found.lines < def.lines) error('GPIO chip lines', `${found.dir} has ${found.lines} lines, expected ${def.lines}`, `fix hw/boards/${hw.name}.yaml or check the board model`);
  }
  return gpioDir;
}

/** Reports a missing /dev/i2c-N; returns the device path when it exists. */
function checkI2cBus({ at, problems }: Checkup, bus: number, note: string | undefined, severity: Problem['severity']): string | undefined {
  const dev = at(`dev/i2c-${bus}`);
  if (existsSync(dev)) return dev;
  problems.push({ check: 'I²C bus', found: `${dev} does not exist`, fix: `enable the bus${note ? ` (${note})` : ''} and load i2c-dev (echo i2c-dev | sudo tee /etc/modules-load.d/i2c-dev.conf)`, severity });
  return undefined;
}

function enableUartFix(uart: UartDef | undefined): string | undefined {
  return uart?.note ? `enable ${uart.name}: ${uart.note}; reboot` : undefined;
}

/** Reports a missing watchdog device (existence only: opening it would arm it); true when present. */
function checkWatchdogDevice({ at, error }: Checkup, device: string, hw: HardwareDef | undefined): boolean {
  const dev = at(device);
  if (existsSync(dev)) return true;
  error('watchdog device', `${dev} does not exist`, hw ? `load the ${hw.watchdog.driver} driver (Raspberry Pi: dtparam=watchdog=on in config.txt)` : 'load the board\'s watchdog driver');
  return false;
}

const WATCHDOG_MAX_TIMEOUT_PATH = 'sys/class/watchdog/watchdog0/max_timeout';

/** The kernel's max_timeout in s, or undefined when the driver does not say. */
function watchdogMaxTimeoutS({ at }: Checkup): number | undefined {
  const maxS = Number(readText(at(WATCHDOG_MAX_TIMEOUT_PATH)));
  return Number.isFinite(maxS) && maxS > 0 ? maxS : undefined;
}

export function runDoctor(config: BoardConfig, envOverrides: Partial<DoctorEnv> = {}): Problem[] {
  const env: DoctorEnv = { ...defaultEnv(), hardwareDefs: envOverrides.hardwareDefs ?? loadHardwareDefs(), ...envOverrides };
  const checkup = startCheckup(env);
  const { at, problems, error, warn } = checkup;
  const canReadWrite = env.canReadWrite;
  const hw = env.hardwareDefs.get(config.hardware);

  checkNodeVersion(checkup);
  checkMonotonicClock(checkup);
  if (!existsSync(at('run/systemd/timesync/synchronized'))) {
    warn('NTP sync', `${at('run/systemd/timesync/synchronized')} is absent (not synchronised, or not systemd-timesyncd)`, 'enable systemd-timesyncd or chrony so event-log timestamps line up across boards (voting does not use wall time)');
  }

  // Groups (only meaningful for a non-root user).
  const groups = readGroups(env.root);
  const inGroup = (name: string) => {
    const g = groups.get(name);
    return env.uid === 0 || env.uid === null || (g !== undefined && env.gids.includes(g.gid));
  };
  const groupHint = (name: string) => (inGroup(name) ? '' : ` and add the ftc user to group ${name} (sudo usermod -aG ${name} ftc; log in again)`);

  const gpioDir = checkSysfsGpio(checkup, hw);
  if (gpioDir && hw && !canReadWrite(join(gpioDir, 'export'))) {
    error('GPIO permissions', `${join(gpioDir, 'export')} is not writable by this user`, `install hw/udev/99-ftc.rules${groupHint('gpio')}`);
  }

  // I²C.
  const wantsI2c = config.i2c.ina219.length > 0 || config.i2c.eeprom24c02 !== undefined || config.i2c.mcp23017 !== undefined;
  if (wantsI2c) {
    const i2cDev = checkI2cBus(checkup, config.i2c.bus, hw?.i2c.find((b) => b.bus === config.i2c.bus)?.note, 'error');
    if (i2cDev && !canReadWrite(i2cDev)) {
      error('I²C permissions', `${i2cDev} is not readable and writable by this user`, `install hw/udev/99-ftc.rules${groupHint('i2c')}`);
    }
  }

  // Serial ports.
  const serial = config.links.serial.map((l) => ({ path: l.path, what: `link to ${l.peer}` }));
  if (config.console.serialPath) serial.push({ path: config.console.serialPath, what: 'console' });
  for (const s of serial) {
    const dev = at(s.path);
    if (!existsSync(dev)) {
      const uart = hw?.uarts.find((u) => u.device === s.path);
      error('serial port', `${dev} (${s.what}) does not exist`, enableUartFix(uart) ?? 'plug in the adapter or fix the path in the board config');
    } else if (!canReadWrite(dev)) {
      error('serial permissions', `${dev} (${s.what}) is not readable and writable by this user`, `install hw/udev/99-ftc.rules${groupHint('dialout')}`);
    }
  }

  // Watchdog.
  const wd = config.watchdog;
  if (wd.kind === 'dev') {
    if (checkWatchdogDevice(checkup, wd.device, hw)) {
      const dev = at(wd.device);
      if (!canReadWrite(dev)) error('watchdog permissions', `${dev} is not writable by this user`, `install hw/udev/99-ftc.rules${groupHint('watchdog')}`);
      const holder = watchdogHolder(env.root, wd.device);
      if (holder) error('watchdog busy', `${wd.device} is held by ${holder} (only one process may open it)`, 'stop it, or set kind: systemd to let systemd own the device');
      const maxS = watchdogMaxTimeoutS(checkup);
      if (maxS !== undefined && wd.timeoutMs > maxS * 1000) {
        error('watchdog timeout', `watchdog.timeoutMs ${wd.timeoutMs} over the device max_timeout ${maxS} s`, `write watchdog.timeoutMs <= ${maxS * 1000}`);
      }
    }
    const runtime = systemdRuntimeWatchdog(env.root);
    if (runtime) error('watchdog busy', `systemd RuntimeWatchdogSec=${runtime} (systemd holds ${wd.device}; our open fails with EBUSY)`, 'set RuntimeWatchdogSec=off in /etc/systemd/system.conf, or use watchdog kind: systemd');
  } else if (wd.kind === 'systemd') {
    if (!existsSync(at('run/systemd/system'))) error('systemd watchdog', 'systemd is not the init system (no /run/systemd/system)', 'use watchdog kind: dev, or run under systemd with hw/systemd/ftc.service');
  } else if (wd.kind === 'sim') {
    warn('watchdog', 'watchdog.kind is sim: nothing resets this board if ftc hangs', 'use kind: dev (or systemd) on a real board');
  }

  // Network: the UDP bind address exists here, and some interface is on each peer's subnet.
  const addrs = Object.entries(env.interfaces()).flatMap(([name, list]) => (list ?? []).map((a) => ({ name, ...a })));
  const bind = config.links.udp.bind;
  if (bind !== '0.0.0.0' && bind !== '::' && !addrs.some((a) => a.address === bind)) {
    error('UDP bind address', `links.udp.bind ${bind} is on no interface (have: ${addrs.map((a) => `${a.name} ${a.address}`).join(', ') || 'none'})`, `give this board ${bind} (e.g. nmcli / dhcpcd static address) or bind 0.0.0.0`);
  }
  for (const peer of config.links.udp.peers) {
    if (!isIPv4(peer.address)) continue; // IPv6 on-link checks need prefix math on scopes: skip
    const onLink = addrs.some((a) => a.family === 'IPv4' && !a.internal && sameSubnet(a.address, peer.address, a.netmask));
    if (!onLink) {
      error('network', `no interface is on the subnet of peer ${peer.id} (${peer.address}); have: ${addrs.filter((a) => a.family === 'IPv4' && !a.internal).map((a) => `${a.name} ${a.cidr ?? a.address}`).join(', ') || 'none'}`, 'connect the rig network and give this board an address on it (lockstep frames go over UDP as well as UART)');
    }
  }

  // Auth key.
  if (config.auth.kind === 'key-file') {
    const keyPath = at(config.auth.keyFile);
    try {
      const st = statSync(keyPath);
      if (st.size < 32) error('rig key', `${keyPath} is ${st.size} bytes`, 'write 32 random bytes: head -c 32 /dev/urandom > rig.key, the same file on every board');
      if ((st.mode & 0o077) !== 0) warn('rig key', `${keyPath} has mode ${(st.mode & 0o777).toString(8)}`, `chmod 600 ${config.auth.keyFile} (owner ftc)`);
      accessSync(keyPath, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code) error('rig key', `${keyPath}: ${code}`, 'run hw/install.sh with the rig key, or copy it from another board (same file on all three)');
    }
  } else if (config.auth.kind === 'none-lab') {
    warn('rig key', 'auth: none-lab — frames are not authenticated', 'only on an isolated bench network; use keyFile on a plant');
  }

  // Event log directory.
  const logDir = at(config.eventLog.dir);
  const logParent = join(logDir, '..');
  if (existsSync(logDir) ? !canReadWrite(logDir) : !existsSync(logParent) || !canReadWrite(logParent)) {
    error('event log', `${logDir} is missing or not writable`, `sudo install -d -o ftc -g ftc ${config.eventLog.dir} (hw/install.sh does it)`);
  }

  return problems;
}

/**
 * `ftc doctor` given a hardware definition: does this machine have what hw/boards/<name>.yaml
 * promises? For a fresh board before any board config exists, so nothing a board config decides
 * is checked (links, network, rig key, permissions, who holds the watchdog).
 */
export function runHardwareDoctor(hw: HardwareDef, envOverrides: Partial<DoctorEnv> = {}): Problem[] {
  const checkup = startCheckup({ ...defaultEnv(), ...envOverrides });
  const { at, problems, warn } = checkup;
  checkNodeVersion(checkup);
  checkMonotonicClock(checkup);
  checkSysfsGpio(checkup, hw);

  // A board config uses one bus (BBB: bus 2 is on by default, bus 1 needs an overlay), so a
  // missing bus stops ftc only when none of them is there.
  const anyI2c = hw.i2c.some((b) => existsSync(at(`dev/i2c-${b.bus}`)));
  for (const b of hw.i2c) checkI2cBus(checkup, b.bus, b.note, anyI2c ? 'warning' : 'error');

  // A board config uses only some UARTs (two peer links, maybe a console): a missing one is a warning.
  for (const uart of hw.uarts) {
    const dev = at(uart.device);
    if (!existsSync(dev)) warn('serial port', `${dev} (${uart.name}) does not exist`, enableUartFix(uart) ?? `enable ${uart.name} if a board config uses it`);
  }

  if (checkWatchdogDevice(checkup, hw.watchdog.device, hw)) {
    // Board configs' watchdog.timeoutMs is validated against timeoutMaxMs, so a wrong figure
    // there lets a config through that the kernel would clamp (or refuse).
    const maxS = watchdogMaxTimeoutS(checkup);
    if (maxS !== undefined && maxS * 1000 !== hw.watchdog.timeoutMaxMs) {
      warn('watchdog max timeout', `${at(WATCHDOG_MAX_TIMEOUT_PATH)} is ${maxS} s, hw/boards/${hw.name}.yaml has timeoutMaxMs ${hw.watchdog.timeoutMaxMs}`, `check that this is a ${hw.model}, then set timeoutMaxMs: ${maxS * 1000} in hw/boards/${hw.name}.yaml`);
    }
  }
  return problems;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => (n << 8) | Number(octet), 0) >>> 0;
}

function sameSubnet(a: string, b: string, netmask: string): boolean {
  const mask = ipv4ToInt(netmask);
  return ((ipv4ToInt(a) & mask) >>> 0) === ((ipv4ToInt(b) & mask) >>> 0);
}

/** "pid 812 (watchdog)" if some process has `device` open (read-only scan of /proc). */
function watchdogHolder(root: string, device: string): string | undefined {
  let pids: string[];
  try {
    pids = readdirSync(join(root, 'proc')).filter((d) => /^\d+$/.test(d)).slice(0, PROC_ENTRIES_MAX);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid && root === '/') continue;
    let fds: string[];
    try {
      fds = readdirSync(join(root, 'proc', pid, 'fd')).slice(0, FDS_PER_PROCESS_MAX);
    } catch {
      continue; // other users' processes: EACCES unless root
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(join(root, 'proc', pid, 'fd', fd));
      } catch {
        continue;
      }
      if (target === device) return `pid ${pid} (${readText(join(root, 'proc', pid, 'comm')) ?? '?'})`;
    }
  }
  return undefined;
}

/** systemd's RuntimeWatchdogSec from system.conf and system.conf.d, if set to something other than off/0. */
function systemdRuntimeWatchdog(root: string): string | undefined {
  const files = [join(root, 'etc/systemd/system.conf')];
  const dropIns = join(root, 'etc/systemd/system.conf.d');
  try {
    files.push(...readdirSync(dropIns).filter((f) => f.endsWith('.conf')).sort().map((f) => join(dropIns, f)));
  } catch {
    // no drop-ins
  }
  let value: string | undefined;
  for (const file of files) {
    for (const line of (readText(file) ?? '').split('\n')) {
      const m = /^\s*RuntimeWatchdogSec\s*=\s*(\S*)/.exec(line);
      if (m) value = m[1]; // later files override earlier ones, as in systemd
    }
  }
  return value === undefined || value === '' || value === '0' || value === 'off' ? undefined : value;
}

/** Human-readable report for `ftc doctor`. */
export function formatDoctorReport(problems: readonly Problem[]): string {
  if (problems.length === 0) return 'ftc doctor: every check passed';
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const lines = [`ftc doctor: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`];
  const sorted = [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  for (const p of sorted) {
    lines.push(`${p.severity === 'error' ? 'ERROR' : 'warn '} ${p.check}: ${p.found}`);
    lines.push(`      fix: ${p.fix}`);
  }
  return lines.join('\n');
}
