import test from 'ava';
import { VirtualClock } from '../../src/ports/clock.ts';
import { decodeBusVoltage, decodeShuntUv, encodeBusVoltage, encodeShuntUv, ina219Reg, swap16 } from '../../src/watchdog/core-ina219.ts';
import { PsuMonitorCore } from '../../src/watchdog/core-psu.ts';
import type { PsuState } from '../../src/watchdog/core-psu.ts';
import type { RedundancyChange } from '../../src/watchdog/core-redundancy.ts';
import { WatchdogConfigError } from '../../src/watchdog/core-config-error.ts';
import { PsuMonitor } from '../../src/watchdog/psu-monitor.ts';
import { FakeGpioChip, FakeI2cBus } from './fakes.ts';

const pgA = 17;
const pgB = 27;
const inaA = 0x40;
const inaB = 0x41;
const shuntMilliOhm = 100;

function setRail(bus: FakeI2cBus, addr: number, busMv: number, currentMa: number) {
  bus.setRegister(addr, ina219Reg.busVoltage, encodeBusVoltage(busMv));
  bus.setRegister(addr, ina219Reg.shuntVoltage, encodeShuntUv(currentMa * shuntMilliOhm));
}

function setup() {
  const clock = new VirtualClock(0);
  const chip = new FakeGpioChip();
  const bus = new FakeI2cBus();
  // Power-good outputs are open-drain, active low: physical 0 = power good.
  chip.drive(pgA, 0);
  chip.drive(pgB, 0);
  setRail(bus, inaA, 12_000, 800);
  setRail(bus, inaB, 12_048, 790);
  const rails = [
    { name: 'psuA', powerGoodPin: pgA, activeLow: true, busMinMv: 11_400, busMaxMv: 12_600, currentMaxMa: 3000, monitor: { bus, address: inaA, shuntMilliOhm } },
    { name: 'psuB', powerGoodPin: pgB, activeLow: true, busMinMv: 11_400, busMaxMv: 12_600, currentMaxMa: 3000, monitor: { bus, address: inaB, shuntMilliOhm } },
  ];
  const psu = new PsuMonitor(chip, { rails, debounceMs: 20, readingStaleMs: 500 }, clock);
  const changes: RedundancyChange<PsuState>[] = [];
  psu.onChange((c) => changes.push(c));
  return { clock, chip, bus, psu, changes };
}

test('INA219 words read over SMBus are byte-swapped and decoded as in the datasheet', (t) => {
  // 12 V: 12000 / 4 mV = 3000 = 0xBB8, shifted left 3 = 0x5DC0, on the SMBus as 0xC05D.
  t.is(decodeBusVoltage(swap16(0xc05d)).busMv, 12_000);
  t.true(decodeBusVoltage(0x0001).overflow);
  // SBOS448G Table 7 (PGA /8): 0x7D00 = +320 mV, 0x8300 = -320 mV.
  t.is(decodeShuntUv(0x7d00), 320_000);
  t.is(decodeShuntUv(0x8300), -320_000);
  t.is(decodeShuntUv(encodeShuntUv(-12_340)), -12_340);
  t.is(decodeBusVoltage(encodeBusVoltage(5004)).busMv, 5004);
});

test('two good supplies are redundant; losing one power-good is an alarm that asks to hand the active role away after the debounce', async (t) => {
  const { clock, chip, psu, changes } = setup();
  await psu.poll();
  t.is(psu.state, 'redundant');
  t.like(changes.at(-1), { from: 'unknown', to: 'redundant', handOver: false });
  t.deepEqual(psu.rails().map((r) => r.reading?.busMv), [12_000, 12_048]);
  chip.drive(pgB, 1); // psuB's power-good goes inactive
  clock.advance(10);
  await psu.poll();
  t.is(psu.state, 'redundant', 'not before the debounce time');
  clock.advance(10);
  await psu.poll();
  t.is(psu.state, 'degraded');
  t.like(changes.at(-1), { from: 'redundant', to: 'degraded', atMs: 20, handOver: true });
  t.regex(changes.at(-1)?.cause ?? '', /1 of 2 supplies good; psuB power-good low/);
  chip.drive(pgA, 1);
  clock.advance(25);
  await psu.poll();
  t.is(psu.state, 'lost');
  psu.close();
});

test('a power-good line bouncing faster than the debounce time changes nothing', async (t) => {
  const { clock, chip, psu, changes } = setup();
  await psu.poll();
  for (let i = 0; i < 20; i++) {
    chip.drive(pgA, (i % 2) as 0 | 1);
    clock.advance(5);
    await psu.poll();
  }
  chip.drive(pgA, 0);
  clock.advance(50);
  await psu.poll();
  t.is(psu.state, 'redundant');
  t.is(changes.length, 1);
});

test('a rail under its voltage threshold is degraded even with power-good asserted', async (t) => {
  const { bus, psu, changes } = setup();
  setRail(bus, inaA, 10_800, 900);
  await psu.poll();
  t.is(psu.state, 'degraded');
  t.regex(changes.at(-1)?.cause ?? '', /psuA bus 10800 mV below 11400 mV/);
  setRail(bus, inaA, 12_000, 3100); // 310 mV across 100 mΩ, inside the ±320 mV range
  await psu.poll();
  t.regex(psu.core.cause, /psuA current 3100 mA above 3000 mA/);
});

test('a monitor that stops answering is counted and leaves the judgement to the power-good lines', async (t) => {
  const { clock, bus, psu } = setup();
  setRail(bus, inaB, 9000, 0);
  await psu.poll();
  t.is(psu.state, 'degraded');
  bus.remove(inaB); // NACK from now on
  clock.advance(100);
  await psu.poll();
  t.is(psu.state, 'degraded', 'the last reading is still fresh');
  clock.advance(600);
  await psu.poll();
  t.is(psu.state, 'redundant', 'a stale reading no longer counts; power-good says the supply is fine');
  t.is(psu.core.readErrors, 2);
  t.regex(psu.core.lastReadError ?? '', /psuB: Remote I\/O error/);
});

test('a PSU configuration with one rail names the field and the fix', (t) => {
  const e = t.throws(() => new PsuMonitorCore({ rails: [{ name: 'only' }], debounceMs: 10, readingStaleMs: 100 }, [1], 0), { instanceOf: WatchdogConfigError });
  t.is(e?.field, 'psu.rails');
  t.regex(e?.message ?? '', /must list 2\.\.4 rails\. Fix: list one entry per power supply/);
});
