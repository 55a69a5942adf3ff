import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A stand-in /dev/watchdog (a plain file that records the bytes written) and its sysfs directory. */
export function devWatchdogStandIn(sysfs: Record<string, string> = { identity: 'Broadcom BCM2835 Watchdog timer', timeout: '15', nowayout: '0', bootstatus: '0', max_timeout: '15' }) {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-wdt-'));
  const devicePath = join(dir, 'watchdog');
  writeFileSync(devicePath, '');
  const sysfsDir = join(dir, 'sys');
  mkdirSync(sysfsDir);
  for (const [k, v] of Object.entries(sysfs)) writeFileSync(join(sysfsDir, k), `${v}\n`);
  return { devicePath, sysfsDir, written: () => readFileSync(devicePath, 'latin1') };
}
