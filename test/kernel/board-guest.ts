/**
 * The whole board on a real kernel (run by test/kernel/guest.sh in the QEMU guest, suite
 * `board`; not by ava, because it ends in a watchdog reset). Three `ftc run` processes form a
 * rig inside the guest, each on its own gpio-sim chips labelled as its hardware's SoC GPIO
 * (b1 a Raspberry Pi 4, b2 a Pi 5, b3 a BeagleBone Black: `ftc run` finds each chip's sysfs
 * base by its label, as on the boards), linked over real ptys and UDP on the guest's loopback.
 * Each runs the sequencer example on its own GPIO switches and valves. b1 has the real
 * devices: /dev/watchdog (softdog) behind its supervision gate, its PSU A's INA219 on i2c-stub.
 * b2 and b3 use the systemd watchdog driver (silent without NOTIFY_SOCKET): there is one softdog.
 *
 * It prints TAP (`ok N - whole board: ...`), then stalls b1's event loop through b1's console:
 * the feeds stop and softdog must reset the guest. The runner (test/kernel/run.ts) fails on any
 * `not ok`, on fewer checks than planned, and when the reset does not come.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openI2cBus } from '../../src/adapters/real/i2c.ts';
import { PtyCable } from '../../src/adapters/sim/pty-cable.ts';
import { runConsoleCommand } from '../../src/console/client.ts';
import { loadHardwareDefs } from '../../src/config/hardware.ts';
import { sysfsPinMapper } from '../../src/hw/gpio-chips.ts';
import { swap16 } from '../../src/watchdog/core-ina219.ts';
import { SimChip } from './sim-chips.ts';

const checkout = fileURLToPath(new URL('../..', import.meta.url));
const work = '/tmp/ftc-board';
/** Slow on purpose: under TCG three boards share two emulated CPUs, and at 10 Hz they were late by tens of ms. */
const CYCLE_HZ = 2;
const PASSWORD = 'ftc-lab';
/** scrypt hash of "ftc-lab", as in hw/examples/b1.yaml. */
const PASSWORD_HASH = 'scrypt$16384$8$1$09aUgC3koJI1UDfPkL40Ww==$fuFf0fAGzOzmnYTQJpOYcLsAUwfGLjO8BMfaWnPjCQY=';
/** Under TCG three boards start in tens of seconds; a rig not formed by then has failed. */
const FORM_TIMEOUT_MS = 90_000;
const CHECK_TIMEOUT_MS = 30_000;
const PLANNED = 6;

let n = 0;
function check(ok: boolean, name: string, detail = ''): boolean {
  n++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - whole board: ${name}${detail ? ` # ${detail}` : ''}`);
  return ok;
}

/** One board's wiring: its hardware, gpio-sim chip, pins (board numbering) and where pin p sits on the chip. */
interface Wiring {
  id: 'b1' | 'b2' | 'b3';
  hardware: 'rpi4' | 'rpi5' | 'bbb';
  chip: SimChip;
  at(pin: number): [bank: number, line: number];
  pins: { pgA: number; pgB: number; reset: [number, number]; role: number; fault: number; select: [number, number]; button: number; alarm: number; low: number; high: number; door: number; inlet: number; outlet: number; pump: number };
}

const bcm = { pgA: 17, pgB: 27, reset: [23, 24] as [number, number], role: 25, fault: 6, select: [20, 21] as [number, number], button: 16, alarm: 26, low: 9, high: 10, door: 11, inlet: 22, outlet: 19, pump: 18 };
// BeagleBone Black: GPIO numbers = bank × 32 + line (hw/boards/bbb.yaml), all on its header.
const bbb = { pgA: 60, pgB: 61, reset: [65, 66] as [number, number], role: 67, fault: 68, select: [69, 112] as [number, number], button: 115, alarm: 26, low: 44, high: 45, door: 46, inlet: 47, outlet: 48, pump: 49 };

function wire(): Wiring[] {
  return [
    { id: 'b1', hardware: 'rpi4', chip: SimChip.create('ftc-b1', [{ label: 'pinctrl-bcm2711', lines: 58 }]), at: (p) => [0, p], pins: bcm },
    { id: 'b2', hardware: 'rpi5', chip: SimChip.create('ftc-b2', [{ label: 'pinctrl-rp1', lines: 54 }]), at: (p) => [0, p], pins: bcm },
    {
      id: 'b3', hardware: 'bbb',
      chip: SimChip.create('ftc-b3', [0, 1, 2, 3].map((b) => ({ label: `gpio-${b * 32}-${b * 32 + 31}`, lines: 32 }))),
      at: (p) => [Math.floor(p / 32), p % 32], pins: bbb,
    },
  ];
}

const pull = (w: Wiring, pin: number, high: boolean) => w.chip.pull(...w.at(pin), high);
const level = (w: Wiring, pin: number) => w.chip.value(...w.at(pin));

function config(w: Wiring, all: Wiring[], serial: Map<string, string>, consolePath: string, i2cBus: number): string {
  const others = all.filter((o) => o.id !== w.id);
  const p = w.pins;
  const cfg = {
    board: w.id,
    hardware: w.hardware,
    rig: { name: 'lab', peers: all.map((o, i) => ({ id: o.id, rank: i + 1 })) },
    links: {
      serial: others.map((o) => ({ peer: o.id, path: serial.get(`${w.id}-${o.id}`)!, baudRate: 115200 })),
      udp: { bind: '127.0.0.1', port: 47110 + 10 * all.indexOf(w), peers: others.map((o) => ({ id: o.id, address: '127.0.0.1', port: 47110 + 10 * all.indexOf(o) })) },
    },
    auth: { keyHex: 'f7c0de'.repeat(10) + 'f7c0' }, // 32 bytes, the same on all three: a test key
    gpio: {
      powerGoodA: { pin: p.pgA, activeLow: true },
      powerGoodB: { pin: p.pgB, activeLow: true },
      resetLines: others.map((o, i) => ({ peer: o.id, pin: p.reset[i] })),
      statusLeds: { role: { pin: p.role }, fault: { pin: p.fault } },
      outputSelect: [{ name: 'voteA', pin: p.select[0] }, { name: 'voteB', pin: p.select[1] }],
      maintenanceButton: { pin: p.button, activeLow: false, holdMs: 3000, debounceMs: 20 },
      alarm: { pin: p.alarm },
    },
    i2c: { bus: i2cBus, ina219: w.id === 'b1' ? [{ rail: '5V-A', address: 0x40, shuntMilliohms: 100 }] : [] },
    watchdog: w.id === 'b1' ? { kind: 'dev', device: '/dev/watchdog', timeoutMs: 5000, feedPeriodMs: 1000 } : { kind: 'systemd' },
    cycleHz: CYCLE_HZ,
    // In cycles: the default 500 is 10 s at 50 Hz but over 4 minutes at this rate.
    redundancy: { allowDuplex: true, allowSimplex: false, cleanCyclesToRejoin: 6 },
    console: { serialPath: consolePath, passwordHash: PASSWORD_HASH, allowInject: true },
    eventLog: { dir: join(work, `events-${w.id}`), bytesMax: 4 << 20, filesMax: 4 },
    workload: { module: join(checkout, 'examples/sequencer/workload.ts'), options: { idleCycles: 4 } },
    io: {
      inputs: {
        levelLow: { gpio: { pin: p.low, activeLow: true, debounceMs: 5 } },
        levelHigh: { gpio: { pin: p.high, activeLow: true, debounceMs: 5 } },
        doorClosed: { gpio: { pin: p.door, activeLow: true, debounceMs: 5 } },
      },
      outputs: { inletValve: { gpio: { pin: p.inlet } }, outletValve: { gpio: { pin: p.outlet } }, pump: { relay: { pin: p.pump } } },
    },
  };
  const file = join(work, `${w.id}.yaml`);
  writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`); // JSON is YAML
  return file;
}

/** i2c-stub's bus, seen as /dev/i2c-<bus> (the number the hardware definitions use). */
async function i2cStubAs(bus: number): Promise<void> {
  const stub = readdirSync('/sys/bus/i2c/devices').find((d) => /^i2c-\d+$/.test(d) && readFileSync(`/sys/bus/i2c/devices/${d}/name`, 'utf8').includes('stub'));
  if (!stub) throw new Error('no i2c-stub adapter in /sys/bus/i2c/devices');
  if (stub !== `i2c-${bus}`) symlinkSync(`/dev/${stub}`, `/dev/i2c-${bus}`);
  // The INA219 on PSU A reads 5.000 V and 50 mV over its 100 mΩ shunt (0.5 A). i2c-stub keeps
  // what is written as plain words; the INA219 sends MSB first (datasheet SBOS448, 8.5.6), so
  // words are stored byte-swapped, as our driver reads them (src/watchdog/core-ina219.ts).
  const i2c = await openI2cBus(bus);
  await i2c.writeWord(0x40, 0x02, swap16((5000 / 4) << 3 | 0x2)); // bus voltage, 4 mV/bit from bit 3, CNVR
  await i2c.writeWord(0x40, 0x01, swap16(5000)); // shunt voltage, 10 µV/bit
  await i2c.close();
}

async function consoleJson<T>(path: string, line: string): Promise<T> {
  const reply = await runConsoleCommand({ path, line, timeoutMs: 10_000 });
  const json = reply.split('\n').map((l) => l.trim()).find((l) => l.startsWith('{') || l.startsWith('['));
  if (!json) throw new Error(`console ${line}: no JSON in ${JSON.stringify(reply)}`);
  return JSON.parse(json) as T;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<{ value: T | undefined; ms: number }> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await probe();
      if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    } catch (e) {
      last = e;
    }
    await sleep(500);
  }
  console.log(`# ${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
  return { value: undefined, ms: Date.now() - t0 };
}

interface Status { members: string[]; activeBoard: string | null; mode: string; cycle: number }
interface Wdt { device: string; armed: boolean; feeding: boolean; timeoutMs: number }
interface Psu { supplies: Array<{ name: string; ok: boolean; volts: number | null; amps: number | null }> }

mkdirSync(work, { recursive: true });
console.log(`1..${PLANNED}`);
await i2cStubAs(1);
const boards = wire();
const b1 = boards[0]!;
// The sequencer's switches: door closed, vessel empty (active-low switches: pulled up = open).
for (const w of boards) {
  pull(w, w.pins.door, false);
  pull(w, w.pins.low, true);
  pull(w, w.pins.high, true);
}
// The cables relay from this process: keep them referenced while the boards run.
const cables = new Map<string, PtyCable>();
const serial = new Map<string, string>();
for (const [a, b] of [['b1', 'b2'], ['b1', 'b3'], ['b2', 'b3']] as const) {
  const c = await PtyCable.open();
  cables.set(`${a}-${b}`, c);
  serial.set(`${a}-${b}`, c.pathA);
  serial.set(`${b}-${a}`, c.pathB);
}
const consoles = new Map<string, PtyCable>();
const children: ChildProcess[] = [];
for (const w of boards) {
  const con = await PtyCable.open();
  consoles.set(w.id, con);
  const file = config(w, boards, serial, con.pathA, 1);
  const out = createWriteStream(join(work, `${w.id}.out`));
  const child = spawn(process.execPath, [join(checkout, 'bin/ftc.js'), 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  child.on('exit', (code, signal) => console.log(`# ${w.id} exited: ${code ?? signal}`));
  children.push(child);
}
const b1Console = consoles.get('b1')!.pathB;
/** What each board said: its ftc run output and the end of its event log, as TAP comments. */
const showOutputs = () => {
  for (const w of boards) {
    const tail = (f: string, k: number) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter((l) => !l.includes('"kind":"vote"')).slice(-k) : []);
    const lines = [...tail(join(work, `${w.id}.out`), 10), ...tail(join(work, `events-${w.id}`, `${w.id}.events.jsonl`), 25)];
    console.log(`# ${w.id}:\n${lines.map((l) => `#   ${l.slice(0, 300)}`).join('\n')}`);
  }
};
const showRig = async () => {
  for (const line of ['members --json', 'votes --json']) console.log(`# b1 ${line}: ${await runConsoleCommand({ path: b1Console, line, timeoutMs: 10_000 }).then((r) => r.trim().replace(/\s+/g, ' ').slice(0, 1500), (e: Error) => e.message)}`);
  const hw = loadHardwareDefs();
  for (const w of boards) {
    const toSysfs = sysfsPinMapper(hw.get(w.hardware)!);
    const seen = [w.pins.low, w.pins.high, w.pins.door, w.pins.inlet].map((p) => {
      const d = `/sys/class/gpio/gpio${toSysfs(p)}`;
      return existsSync(d) ? `${p}->gpio${toSysfs(p)} ${readFileSync(`${d}/direction`, 'utf8').trim()} value ${readFileSync(`${d}/value`, 'utf8').trim()} active_low ${readFileSync(`${d}/active_low`, 'utf8').trim()}` : `${p}->gpio${toSysfs(p)} not exported`;
    });
    console.log(`# ${w.id} sysfs: ${seen.join('; ')}`);
  }
  for (const w of boards) console.log(`# ${w.id} switch lines low/high/door: ${[w.pins.low, w.pins.high, w.pins.door].map((p) => level(w, p)).join('/')}; valves in/out/pump: ${[w.pins.inlet, w.pins.outlet, w.pins.pump].map((p) => level(w, p)).join('/')}`);
};
const t0 = Date.now();
let lastStatus: unknown;

// 1. The rig forms.
const formed = await until('a rig of three', FORM_TIMEOUT_MS, async () => {
  const s = await consoleJson<Status>(b1Console, 'status --json');
  if (JSON.stringify({ ...s, cycle: 0, uptimeMs: 0, lastVote: 0 }) !== JSON.stringify(lastStatus)) console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: b1 status ${JSON.stringify({ ...s, lastVote: undefined })}`);
  lastStatus = { ...s, cycle: 0, uptimeMs: 0, lastVote: 0 };
  return s.members.length === 3 && s.activeBoard !== null ? s : undefined;
});
if (!check(formed.value !== undefined, 'b1 (Pi 4), b2 (Pi 5) and b3 (BeagleBone) form a rig of three on gpio-sim chips found by label', `${(formed.ms / 1000).toFixed(1)} s after start, mode ${formed.value?.mode}, active ${formed.value?.activeBoard}`)) {
  showOutputs();
  await showRig();
}

// 2. b1's supervision gate feeds the real /dev/watchdog.
const wdt = await consoleJson<Wdt>(b1Console, 'wdt --json').catch(() => undefined);
const state = existsSync('/sys/class/watchdog/watchdog0/state') ? readFileSync('/sys/class/watchdog/watchdog0/state', 'utf8').trim() : 'missing';
check(wdt?.device.startsWith('/dev/watchdog') === true && wdt.armed && wdt.feeding && state === 'active', 'b1 feeds /dev/watchdog (softdog) through its supervision gate', `console: ${JSON.stringify(wdt)}; sysfs state ${state}`);

// 3. The workload on real GPIO: idle (10 cycles), then fill: every board opens its inlet valve.
const filling = await until('inlet valves open', CHECK_TIMEOUT_MS, () => (boards.every((w) => level(w, w.pins.inlet) === 1) ? true : undefined));
if (!check(filling.value === true, 'the sequencer fills: each board drives its inlet valve line on its own chip', `inlet ${boards.map((w) => `${w.id}=${level(w, w.pins.inlet)}`).join(' ')}`)) await showRig();

// 4. The high switch is covered (an edge on each board's input): inlet closes, the pump relay (johnny-five) runs.
for (const w of boards) {
  pull(w, w.pins.low, false);
  pull(w, w.pins.high, false);
}
const mixing = await until('pumps on', CHECK_TIMEOUT_MS, () => (boards.every((w) => level(w, w.pins.pump) === 1 && level(w, w.pins.inlet) === 0) ? true : undefined));
if (!check(mixing.value === true, 'the high switch covered: inlet closed, pump relay on, on every board', `pump ${boards.map((w) => `${w.id}=${level(w, w.pins.pump)}`).join(' ')}`)) showOutputs();

// 5. PSU A of b1: INA219 on i2c-stub, then its power-good line goes inactive (an edge interrupt).
// b1 must report the supply lost and not be the active board afterwards: if it was active it
// hands over, if not (under TCG the boards' roles move now and then, see docs/kernel.md) it must
// not take the role with one supply.
const before = await consoleJson<Psu>(b1Console, 'psu --json').catch(() => undefined);
const railA = before?.supplies.find((s) => s.name === 'psu-a');
const activeBefore = (await until('an active board', CHECK_TIMEOUT_MS, async () => (await consoleJson<Status>(b1Console, 'status --json')).activeBoard ?? undefined)).value;
pull(b1, b1.pins.pgA, true);
const moved = await until('PSU A lost, b1 not active', CHECK_TIMEOUT_MS, async () => {
  const psu = await consoleJson<Psu>(b1Console, 'psu --json');
  const s = await consoleJson<Status>(b1Console, 'status --json');
  return psu.supplies.some((x) => x.name === 'psu-a' && !x.ok) && s.activeBoard !== 'b1' && s.activeBoard !== null ? { psu, s } : undefined;
});
const b1Log = readFileSync(join(work, 'events-b1', 'b1.events.jsonl'), 'utf8');
const degraded = /"what":"psu","state":"degraded","cause":"[^"]*psu-a power-good low/.test(b1Log);
const psuOk = check(
  railA !== undefined && Math.abs((railA.volts ?? 0) - 5) < 0.01 && Math.abs((railA.amps ?? 0) - 0.5) < 0.01 && moved.value !== undefined && degraded,
  'b1 reads its INA219 (5.00 V, 0.50 A), then PSU A\'s power-good line drops: b1 logs the supply degraded and does not hold the active role',
  `before: ${JSON.stringify(railA)}, active ${activeBefore}; after ${(moved.ms / 1000).toFixed(1)} s: ${JSON.stringify(moved.value?.psu.supplies[0])}, active ${moved.value?.s.activeBoard}, logged degraded ${degraded}`,
);
if (!psuOk) showOutputs();

// 6. b2 and b3 still run; then b1's event loop stalls: no feed, softdog resets the guest.
check(children.every((c) => c.exitCode === null && c.signalCode === null), 'all three board processes still run', `exit codes ${children.map((c) => c.exitCode).join(', ')}`);
if (n !== PLANNED) console.log(`# planned ${PLANNED} checks, ran ${n}`);
const reply = await runConsoleCommand({ path: b1Console, line: 'inject stall:b1@0s+20s', password: PASSWORD, timeoutMs: 10_000 }).catch((e: Error) => e.message);
console.log(`board-guest: b1 stalls now (${reply.trim().split('\n').pop()}); softdog must reset the guest within 5 s`);
await sleep(30_000);
console.log('board-guest: FAIL: the guest is still up 30 s after b1 stalled');
for (const c of children) c.kill('SIGKILL');
process.exit(1);
