/**
 * Simulated GPIO chip (under a VirtualClock) and the real onoff chip on this machine (no sysfs).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { openOnoffGpioChip, OnoffGpioChip } from '../../src/adapters/real/gpio-onoff.ts';
import { SimGpioChip } from '../../src/adapters/sim/gpio.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import { GpioError, type Bit, type GpioChip } from '../../src/ports/gpio.ts';

function chip() {
  const clock = new VirtualClock();
  return { clock, chip: new SimGpioChip({ clock, name: 'b1' }) };
}

test('an input watched for rising edges hears 0->1 only; falling hears 1->0 only; both hears each change', (t) => {
  const { chip: c } = chip();
  const seen: Record<string, Bit[]> = { rising: [], falling: [], both: [] };
  c.open(10, 'in', 'rising').watch((v) => seen.rising!.push(v));
  c.open(11, 'in', 'falling').watch((v) => seen.falling!.push(v));
  c.open(12, 'in', 'both').watch((v) => seen.both!.push(v));
  for (const level of [1, 0, 1, 1, 0] as Bit[]) for (const pin of [10, 11, 12]) c.drive(pin, level);
  t.deepEqual(seen.rising, [1, 1]);
  t.deepEqual(seen.falling, [0, 0]);
  t.deepEqual(seen.both, [1, 0, 1, 0], 'driving the same level twice is no edge');
});

test('activeLow inverts values and edge polarity, like sysfs active_low', (t) => {
  const { chip: c } = chip();
  const line = c.open(5, 'in', 'rising', { activeLow: true });
  const seen: Bit[] = [];
  line.watch((v) => seen.push(v));
  c.drive(5, 1);
  t.is(line.read(), 0);
  c.drive(5, 0); // physical fall = logical rise
  t.is(line.read(), 1);
  t.deepEqual(seen, [1]);
  // sysfs sets the raw level for "high"/"out"/"low" (gpiolib-sysfs.c direction_store).
  t.is(c.open(8, 'out', 'none', { activeLow: true }).read(), 1, 'an active-low line opened "out" starts asserted');
  const out = c.open(6, 'high', 'none', { activeLow: true });
  t.is(c.level(6), 1, 'opened "high": physically high, logically inactive');
  t.is(out.read(), 0);
  out.write(1);
  t.is(c.level(6), 0);
});

test('a stuck-at fault pins the level whatever drives it, and an output reads back the stuck level', (t) => {
  const { chip: c } = chip();
  const input = c.open(1, 'in', 'both');
  const seen: Bit[] = [];
  input.watch((v) => seen.push(v));
  c.stuckAt(1, 0);
  c.drive(1, 1);
  t.is(input.read(), 0);
  t.deepEqual(seen, []);
  c.stuckAt(1, null);
  t.is(input.read(), 1, 'cleared: the external drive shows again');
  t.deepEqual(seen, [1]);
  const out = c.open(2, 'high');
  c.stuckAt(2, 0);
  out.write(1);
  t.is(c.level(2), 0);
  t.is(out.read(), 0, 'read-back detects the stuck output');
});

test('debounce under a virtual clock: a bounce shorter than debounceMs is ignored, a stable change is reported after it', (t) => {
  const { clock, chip: c } = chip();
  const line = c.open(3, 'in', 'both', { debounceMs: 20 });
  const seen: Array<[number, Bit]> = [];
  line.watch((v) => seen.push([clock.nowMs(), v]));
  // Contact bounce: 0->1->0->1 within 6 ms, then stable high.
  c.drive(3, 1);
  clock.advance(2);
  c.drive(3, 0);
  clock.advance(2);
  c.drive(3, 1);
  clock.advance(19);
  c.poll();
  t.deepEqual(seen, [], 'not yet stable for 20 ms');
  clock.advance(1);
  c.poll();
  t.deepEqual(seen, [[24, 1]], 'reported once, 20 ms after the last bounce');
  // A glitch that returns to the same level inside the window is filtered out.
  c.drive(3, 0);
  clock.advance(5);
  c.drive(3, 1);
  clock.advance(50);
  c.poll();
  t.is(seen.length, 1);
});

test('a wire carries one board\'s output to another board\'s input (a reset line), until it is cut', (t) => {
  const clock = new VirtualClock();
  const b1 = new SimGpioChip({ clock, name: 'b1' });
  const b2 = new SimGpioChip({ clock, name: 'b2' });
  const resetOut = b1.open(17, 'low');
  const resetIn = b2.open(27, 'in', 'falling', { activeLow: false });
  const resets: Bit[] = [];
  resetIn.watch((v) => resets.push(v));
  const cut = SimGpioChip.connect({ chip: b1, pin: 17 }, { chip: b2, pin: 27 });
  resetOut.write(1);
  t.is(resetIn.read(), 1);
  resetOut.write(0);
  t.deepEqual(resets, [0]);
  cut();
  resetOut.write(1);
  t.is(resetIn.read(), 0, 'after the cut the input keeps its last level');
});

test('line contract: bad pins, double opens, writes to inputs, watching edge "none", use after close', (t) => {
  const { chip: c } = chip();
  for (const pin of [-1, 4096, 1.5, Number.NaN]) {
    const err = t.throws(() => c.open(pin, 'in'), { instanceOf: GpioError });
    t.is((err as GpioError).code, 'EINVAL');
  }
  const line = c.open(7, 'in');
  t.is((t.throws(() => c.open(7, 'out'), { instanceOf: GpioError }) as GpioError).code, 'EBUSY');
  t.is((t.throws(() => line.write(1), { instanceOf: GpioError }) as GpioError).code, 'EDIRECTION');
  t.is((t.throws(() => line.watch(() => {}), { instanceOf: GpioError }) as GpioError).code, 'ENOEDGE');
  t.is((t.throws(() => c.open(8, 'out', 'rising'), { instanceOf: GpioError }) as GpioError).code, 'EINVAL');
  line.close();
  line.close();
  t.is((t.throws(() => line.read(), { instanceOf: GpioError }) as GpioError).code, 'ECLOSED');
  t.notThrows(() => c.open(7, 'out').write(1), 'a closed pin can be opened again');
});

test('a bad pin is rejected with the same error by the simulated and the real chip', (t) => {
  const { chip: sim } = chip();
  // The real chip's checks run before onoff touches sysfs, so it can be built on any machine.
  const real: GpioChip = new OnoffGpioChip({} as never, sim.pinMax);
  for (const pin of [-1, 5000, 2.5]) {
    const a = t.throws(() => sim.open(pin, 'in'), { instanceOf: GpioError });
    const b = t.throws(() => real.open(pin, 'in'), { instanceOf: GpioError });
    t.is(a?.message, b?.message);
  }
});

test('on this machine (no sysfs GPIO) opening the onoff chip reports the cause and the fix', async (t) => {
  if (existsSync('/sys/class/gpio/export')) {
    t.log('this machine has sysfs GPIO: checking that the chip opens instead');
    const c = await openOnoffGpioChip();
    t.true(c instanceof OnoffGpioChip);
    return;
  }
  const err = await t.throwsAsync(openOnoffGpioChip(), { instanceOf: GpioError });
  t.is((err as GpioError).code, 'ENOSYS');
  t.regex(err!.message, /no sysfs GPIO: \/sys\/class\/gpio\/export does not exist/);
  t.regex(err!.message, /Fix: .*CONFIG_GPIO_SYSFS/);
});

// On a board, with a jumper between two header pins (sysfs numbers, base included):
// FTC_TEST_GPIO_LOOP=529,539 npx ava test/adapters/gpio.test.ts
const gpioLoop = process.env.FTC_TEST_GPIO_LOOP?.split(',').map(Number);
if (gpioLoop && gpioLoop.length === 2) {
  const [outPin, inPin] = gpioLoop as [number, number];
  test(`real GPIO ${outPin} -> ${inPin} jumper: levels and both edges arrive`, async (t) => {
    const c = await openOnoffGpioChip();
    const out = c.open(outPin, 'low');
    const input = c.open(inPin, 'in', 'both');
    t.teardown(() => {
      out.close();
      input.close();
    });
    const seen: Bit[] = [];
    input.watch((v) => seen.push(v));
    out.write(1);
    await new Promise((r) => setTimeout(r, 50));
    t.is(input.read(), 1);
    out.write(0);
    await new Promise((r) => setTimeout(r, 50));
    t.is(input.read(), 0);
    t.deepEqual(seen, [1, 0]);
  });
} else {
  console.log('adapters/gpio: real-GPIO test not registered (set FTC_TEST_GPIO_LOOP=<out>,<in> with a jumper between the two pins, on a board)');
}
