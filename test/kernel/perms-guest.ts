/**
 * Device permissions as the unprivileged `ftc` user (run by test/kernel/guest.sh, suite `perms`,
 * through setpriv, once before and once after udevd applied hw/udev/99-ftc.rules alone). Prints
 * TAP lines the runner (test/kernel/run.ts) counts:
 *   without  devtmpfs and sysfs leave every device root's: each of our adapters must fail with
 *            EACCES and a message that names the rules file and the group (the fix)
 *   with     after the rules: the watchdog is armed and disarmed, the I²C bus scanned, a GPIO line
 *            exported, driven and read back, all as `ftc`
 * The gpio-sim chip (label `ftc-perm`) is made by guest.sh as root before the first run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { openOnoffGpioChip } from '../../src/adapters/real/gpio-onoff.ts';
import { openI2cBus } from '../../src/adapters/real/i2c.ts';
import { basesByLabel, readSysfsGpioChips } from '../../src/hw/gpio-chips.ts';
import { LinuxWatchdog } from '../../src/watchdog/dev-watchdog.ts';

const mode = process.argv[2];
if (mode !== 'without' && mode !== 'with') {
  console.error(`perms-guest: unknown mode ${mode}`);
  process.exit(2);
}
const what = mode === 'without' ? 'without the udev rules' : 'with hw/udev/99-ftc.rules';
let n = 0;
let failed = 0;
function check(ok: boolean, name: string, detail: string): void {
  n++;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - perms ${what}: ${name} # ${detail.replace(/\s+/g, ' ').slice(0, 400)}`);
}
/** Runs `f`; returns its error's code and message, or 'ok'. */
async function outcome(f: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await f();
    return { code: 'ok', message: 'ok' };
  } catch (e) {
    return { code: String((e as { code?: unknown }).code ?? 'none'), message: (e as Error).message };
  }
}

console.log(`# uid ${process.getuid?.()}, groups ${process.getgroups?.().join(',')}`);
const stub = readdirSync('/sys/bus/i2c/devices').find((d) => /^i2c-\d+$/.test(d) && readFileSync(`/sys/bus/i2c/devices/${d}/name`, 'utf8').includes('stub'));
const bus = Number(stub?.slice(4) ?? -1);
const base = basesByLabel(readSysfsGpioChips()).get('ftc-perm');

const wd = await outcome(async () => {
  const w = new LinuxWatchdog({ devicePath: '/dev/watchdog', timeoutMs: 5000 });
  await w.start();
  w.feed();
  if (!(await w.disarm())) throw new Error('armed, but the disarm did not take');
});
const i2c = await outcome(async () => {
  const b = await openI2cBus(bus);
  try {
    const found = await b.readWord(0x40, 0x00).then(() => b.scan());
    if (!found.includes(0x40)) throw new Error(`scan found ${JSON.stringify(found)}`);
  } finally {
    await b.close();
  }
});
const gpio = await outcome(async () => {
  if (base === undefined) throw new Error('no gpiochip labelled ftc-perm');
  const chip = await openOnoffGpioChip();
  const line = chip.open(base + 3, 'out');
  try {
    line.write(1);
    if (line.read() !== 1) throw new Error('wrote 1, read back 0');
  } finally {
    line.close();
  }
});

if (mode === 'without') {
  check(wd.code === 'EACCES' && /99-ftc\.rules.*watchdog group/.test(wd.message), '/dev/watchdog: EACCES, naming the rules and the watchdog group', `${wd.code}: ${wd.message}`);
  check(i2c.code === 'EACCES' && /99-ftc\.rules.*i2c group/.test(i2c.message), `/dev/i2c-${bus}: EACCES, naming the rules and the i2c group`, `${i2c.code}: ${i2c.message}`);
  check(gpio.code === 'EACCES' && /99-ftc\.rules.*gpio group/.test(gpio.message), 'sysfs GPIO: EACCES, naming the rules and the gpio group', `${gpio.code}: ${gpio.message}`);
} else {
  check(wd.code === 'ok', '/dev/watchdog armed, fed and disarmed', wd.message);
  check(i2c.code === 'ok', `/dev/i2c-${bus} read and scanned (INA219 at 0x40)`, i2c.message);
  check(gpio.code === 'ok', `GPIO ${base === undefined ? '?' : base + 3} exported, driven high and read back, unexported`, gpio.message);
}
process.exit(failed === 0 ? 0 : 1);
