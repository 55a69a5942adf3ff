/**
 * Our GPIO adapter (onoff over sysfs GPIO, src/adapters/real/gpio-onoff.ts) on the kernel's
 * gpio-sim, in the QEMU guest of `npm run test:kernel` (the module is built out of tree by
 * test/kernel/gpio-sim.ts; init.sh loads it and mounts configfs). Each test makes the chips it
 * needs through configfs and tears them down (Documentation/admin-guide/gpio/gpio-sim.rst):
 * <dev>/<bank>/{num_lines,label}, <bank>/lineN/hog/{name,direction}, then <dev>/live = 1. The
 * far side of a line is gpio-sim's sysfs group /sys/devices/platform/<dev_name>/<chip_name>/
 * sim_gpioN: `value` is what the line carries, writing `pull` (pull-up, pull-down) drives an
 * input and raises its edge interrupt through irq_sim. Pins are sysfs numbers, found from the
 * chip's label the way the shell does it on a board (src/hw/gpio-chips.ts): this kernel numbers
 * chips from the top (e.g. 1016), as Pi kernels >= 6.6 moved theirs to 512.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openOnoffGpioChip, type OnoffGpioChip } from '../../src/adapters/real/gpio-onoff.ts';
import { loadHardwareDefs } from '../../src/config/hardware.ts';
import { basesByLabel, readSysfsGpioChips, sysfsPinMapper } from '../../src/hw/gpio-chips.ts';
import { SimChip, type SimBank as SimBankSpec } from './sim-chips.ts';
import type { Bit, GpioDirection, GpioEdge, GpioLine, GpioOptions } from '../../src/ports/gpio.ts';

const guest = process.env.FTC_KERNEL_GUEST === '1';
const t0 = guest ? test.serial : test.skip;

interface SimBank {
  label: string;
  /** sysfs number of line 0, found by label in /sys/class/gpio (not from gpio-sim). */
  base: number;
  /** The far side: drive an input. */
  pull(offset: number, level: Bit): void;
  /** The far side: what the line carries now. */
  value(offset: number): Bit;
}

let devices = 0;

/** A gpio-sim device with these banks, live; torn down when the test ends. */
function simDevice(t: ExecutionContext, banks: SimBankSpec[]): SimBank[] {
  const chip = SimChip.create(`ftc-${process.pid}-${devices++}`, banks);
  // Registered first, so it runs after the tests' own teardowns (ava runs them last-in first-out):
  // lines are closed (unexported) before their chip goes.
  t.teardown(() => chip.remove());
  const bases = basesByLabel(readSysfsGpioChips());
  return banks.map((b, i) => {
    const base = bases.get(b.label);
    if (base === undefined) throw new Error(`no /sys/class/gpio/gpiochip* labelled ${b.label}`);
    return { label: b.label, base, pull: (offset, level) => chip.pull(i, offset, level === 1), value: (offset) => chip.value(i, offset) };
  });
}

/** Opens a line, closed when the test ends. */
function line(t: ExecutionContext, chip: OnoffGpioChip, pin: number, direction: GpioDirection, edge: GpioEdge = 'none', options?: GpioOptions): GpioLine {
  const l = chip.open(pin, direction, edge, options);
  t.teardown(() => l.close());
  return l;
}

/** Polls until `done()` (callbacks arrive from onoff's epoll thread through the event loop). */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) return false;
    await sleep(1);
  }
  return true;
}

/**
 * How many interrupts the kernel handled for this line's edge irq: sysfs GPIO requests it as
 * "gpiolib" (drivers/gpio/gpiolib-sysfs.c); /sys/kernel/irq/<n>/ (Documentation/ABI/testing/
 * sysfs-kernel-irq) names each irq's chip, hwirq (gpio-sim: the line offset) and actions.
 */
function irqCount(offset: number): number {
  const dir = '/sys/kernel/irq';
  const read = (n: string, f: string) => {
    try {
      return readFileSync(`${dir}/${n}/${f}`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const irqs = readdirSync(dir).filter((n) => read(n, 'actions') === 'gpiolib' && read(n, 'chip_name') === 'irq_sim' && read(n, 'hwirq') === String(offset));
  if (irqs.length !== 1) throw new Error(`${irqs.length} irq_sim irqs requested by sysfs GPIO for offset ${offset} in ${dir} (one chip at a time is watched here)`);
  return read(irqs[0]!, 'per_cpu_count').split(',').reduce((sum, c) => sum + Number(c), 0);
}

t0('the chips are found by label: a BBB definition maps its pins onto gpio-sim banks labelled like its GPIO banks, wherever this kernel put them', async (t) => {
  const [b0, b1] = simDevice(t, [
    { label: 'gpio-0-31', lines: 32 },
    { label: 'gpio-32-63', lines: 32 },
  ]);
  const chips = readSysfsGpioChips();
  t.log(`sysfs chips: ${chips.map((c) => `${c.dir} "${c.label}" ${c.lines} lines`).join(', ')}`);
  t.deepEqual(chips.find((c) => c.label === 'gpio-32-63'), { dir: `gpiochip${b1!.base}`, base: b1!.base, label: 'gpio-32-63', lines: 32 });
  t.not(b0!.base, 0, 'this kernel numbers chips dynamically: the BBB definition\'s base 0 is not where the chip is');
  const bbb = loadHardwareDefs().get('bbb')!;
  const toSysfs = sysfsPinMapper(bbb);
  // GPIO1_28 (P9_12) = 60: bank 1, line 28.
  t.is(toSysfs(60), b1!.base + 28);
  const chip = await openOnoffGpioChip();
  const out = line(t, chip, toSysfs(60), 'out');
  out.write(1);
  t.is(b1!.value(28), 1, 'the line of the bank labelled gpio-32-63 went high');
  t.is(b0!.value(28), 0, 'and the same offset of the other bank did not');
});

t0('an output: write 1 and 0 reach the line; "high" starts it high', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-out', lines: 4 }]);
  const chip = await openOnoffGpioChip();
  const out = line(t, chip, b!.base + 1, 'out');
  t.is(b!.value(1), 0, '"out" starts low');
  out.write(1);
  t.is(b!.value(1), 1);
  t.is(out.read(), 1);
  out.write(0);
  t.is(b!.value(1), 0);
  t.is(out.read(), 0);
  line(t, chip, b!.base + 2, 'high');
  t.is(b!.value(2), 1);
});

t0('an input follows the level driven from outside (gpio-sim pull)', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-in', lines: 4 }]);
  const chip = await openOnoffGpioChip();
  const input = line(t, chip, b!.base + 3, 'in');
  t.is(input.read(), 0, "gpio-sim's lines start pulled down");
  b!.pull(3, 1);
  t.is(input.read(), 1);
  b!.pull(3, 0);
  t.is(input.read(), 0);
});

t0('activeLow inverts inputs, outputs and edges (sysfs active_low), and a line without it is not inverted', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-al', lines: 4 }]);
  const chip = await openOnoffGpioChip();
  const input = line(t, chip, b!.base + 0, 'in', 'rising', { activeLow: true });
  const plain = line(t, chip, b!.base + 1, 'in');
  const rises: Bit[] = [];
  input.watch((v) => rises.push(v));
  b!.pull(0, 1);
  b!.pull(1, 1);
  t.is(input.read(), 0, 'pulled up = inactive on an active-low input');
  t.is(plain.read(), 1);
  b!.pull(0, 0);
  // The callback first, then read(): a read of the value file between an edge and its delivery
  // takes the pending sysfs notification (kernfs_fop_poll), and the edge would be lost.
  t.true(await until(() => rises.length === 1, 3000), 'the physical fall is the logical rise');
  t.is(input.read(), 1, 'pulled down = active');
  t.deepEqual(rises, [1]);
  // "high" is the raw level (direction_store: gpiod_direction_output_raw): inactive here.
  const out = line(t, chip, b!.base + 2, 'high', 'none', { activeLow: true });
  t.is(out.read(), 0);
  t.is(b!.value(2), 1);
  out.write(1);
  t.is(b!.value(2), 0, 'asserting an active-low output drives it low');
  out.write(0);
  t.is(b!.value(2), 1);
  await sleep(200);
  t.deepEqual(rises, [1], 'the pull-up in between was no rise');
});

t0('edges are delivered as interrupts to watch callbacks: both, rising and falling, each edge once', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-edge', lines: 3 }]);
  const chip = await openOnoffGpioChip();
  const levels: Bit[] = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
  for (const [offset, edge, expect] of [
    [0, 'both', [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]],
    [1, 'rising', [1, 1, 1, 1, 1]],
    [2, 'falling', [0, 0, 0, 0, 0]],
  ] as const) {
    const l = line(t, chip, b!.base + offset, 'in', edge);
    t.is(readFileSync(`/sys/class/gpio/gpio${b!.base + offset}/edge`, 'utf8').trim(), edge, 'the sysfs edge our adapter set');
    const seen: Bit[] = [];
    l.watch((v) => seen.push(v));
    // After each edge the line listens for, wait for its callback: each edge is its own interrupt.
    let wanted = 0;
    for (const level of levels) {
      b!.pull(offset, level);
      if (edge === 'both' || (edge === 'rising') === (level === 1)) wanted++;
      if (!(await until(() => seen.length >= wanted, 3000))) break;
    }
    t.is(seen.length, wanted, `${edge}: an edge was not delivered within 3 s (got ${JSON.stringify(seen)})`);
    await sleep(300); // any extra callback would have come by now
    t.deepEqual(seen, [...expect], `${edge}: one callback per edge it asked for, none for the others`);
    t.is(irqCount(offset), wanted, `${edge}: the kernel took one interrupt per edge of that kind (/sys/kernel/irq)`);
  }
});

t0('debounce: a burst of edges within the window gives one callback, with the level it settled at', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-bounce', lines: 2 }]);
  const chip = await openOnoffGpioChip();
  const debounced = line(t, chip, b!.base + 0, 'in', 'both', { debounceMs: 400 });
  const raw = line(t, chip, b!.base + 1, 'in', 'both');
  const seen: Bit[] = [];
  const rawSeen: Bit[] = [];
  debounced.watch((v) => seen.push(v));
  raw.watch((v) => rawSeen.push(v));
  for (const settle of [1, 0] as Bit[]) {
    const burst: Bit[] = settle ? [1, 0, 1, 0, 1] : [0, 1, 0, 1, 0];
    const tb = performance.now();
    for (const level of burst) {
      b!.pull(0, level);
      b!.pull(1, level);
      await sleep(15); // long enough for each edge to be its own interrupt (the raw line shows it)
    }
    const burstMs = performance.now() - tb;
    t.true(await until(() => seen.length === (settle ? 1 : 2), 3000), 'the debounced callback came');
    await sleep(600);
    t.log(`burst of ${burst.length} edges in ${burstMs.toFixed(0)} ms (window 400 ms): raw line ${rawSeen.length} callbacks so far, debounced ${seen.length}`);
    if (burstMs < 400) t.deepEqual(seen, settle ? [1] : [1, 0], 'one callback per burst, with the final level');
    else t.log('burst outlasted the window on this (slow) guest: count not checked');
  }
  t.true(rawSeen.length > 2, 'without debounce the same bursts gave several callbacks (the bursts were real edges)');
});

t0('a line held by the kernel (a gpio-sim hog) is EBUSY to our adapter, with the hint; its neighbour opens', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-hog', lines: 4, hogs: { 2: 'output-high' } }]);
  const chip = await openOnoffGpioChip();
  const e = t.throws(() => chip.open(b!.base + 2, 'in'));
  t.log(e?.message);
  t.is((e as { code?: string } | undefined)?.code, 'EBUSY');
  t.regex(e?.message ?? '', new RegExp(`^GPIO ${b!.base + 2}: open \\(export via /sys/class/gpio/export\\) failed \\(EBUSY\\): the line is claimed by a kernel driver or another process`));
  t.false(chip.isOpen(b!.base + 2));
  t.false(existsSync(`/sys/class/gpio/gpio${b!.base + 2}`));
  t.is(b!.value(2), 1, 'the hog holds it high');
  const ok = line(t, chip, b!.base + 3, 'out');
  ok.write(1);
  t.is(b!.value(3), 1);
});

t0('close() unexports the line: /sys/class/gpio/gpioN is gone and the line can be opened again', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-close', lines: 2 }]);
  const chip = await openOnoffGpioChip();
  const pin = b!.base + 1;
  const l = chip.open(pin, 'in', 'both');
  l.watch(() => {});
  t.true(existsSync(`/sys/class/gpio/gpio${pin}`));
  l.close();
  t.false(existsSync(`/sys/class/gpio/gpio${pin}`), 'unexported');
  t.false(chip.isOpen(pin));
  t.throws(() => l.read(), { message: /after close\(\)/ });
  const again = line(t, chip, pin, 'out');
  again.write(1);
  t.is(b!.value(1), 1);
});

t0('edge latency from the pull to our callback (TCG: a loose bound only)', async (t) => {
  const [b] = simDevice(t, [{ label: 'ftc-latency', lines: 1 }]);
  const chip = await openOnoffGpioChip();
  const l = line(t, chip, b!.base, 'in', 'both');
  let at = 0;
  const ms: number[] = [];
  l.watch(() => ms.push(performance.now() - at));
  for (let i = 0; i < 50; i++) {
    at = performance.now();
    b!.pull(0, i % 2 === 0 ? 1 : 0);
    if (!(await until(() => ms.length === i + 1, 3000))) break;
  }
  t.is(ms.length, 50, 'every edge was delivered');
  const sorted = [...ms].sort((x, y) => x - y);
  const p50 = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const max = sorted.at(-1) ?? NaN;
  t.log(`edge latency over ${ms.length} edges: p50 ${p50.toFixed(1)} ms, p90 ${(sorted[Math.floor(sorted.length * 0.9)] ?? NaN).toFixed(1)} ms, max ${max.toFixed(1)} ms`);
  t.true(p50 < 500 && max < 3000, 'sane even under TCG on a busy host');
});
