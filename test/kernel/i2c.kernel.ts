/**
 * Our I²C adapter (i2c-bus, src/adapters/real/i2c.ts) on the kernel's i2c-stub with i2c-dev, in
 * the QEMU guest of `npm run test:kernel`: chips at 0x40 and 0x50 (init.sh loads it with
 * chip_addr=0x40,0x50). i2c-stub speaks SMBus only and keeps plain registers
 * (Documentation/i2c/i2c-stub.rst), so what is checked is what the kernel's SMBus ioctls do with
 * our bytes: scan, byte and word transfers and their byte order, our INA219 decoding on words
 * written the way a real INA219 sends them, a missing address, a closed bus.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { openI2cBus } from '../../src/adapters/real/i2c.ts';
import { encodeBusVoltage, encodeShuntUv, ina219Reg, swap16 } from '../../src/watchdog/core-ina219.ts';
import { Ina219 } from '../../src/watchdog/ina219.ts';

const guest = process.env.FTC_KERNEL_GUEST === '1';
const t0 = guest ? test.serial : test.skip;

/** The bus i2c-stub registered, found by its name (6.1 and 6.12 both list /sys/bus/i2c/devices). */
function stubBus(): number {
  for (const d of readdirSync('/sys/bus/i2c/devices')) {
    const m = /^i2c-(\d+)$/.exec(d);
    if (m && readFileSync(`/sys/bus/i2c/devices/${d}/name`, 'utf8').includes('SMBus stub')) return Number(m[1]);
  }
  throw new Error('no i2c-stub bus in /sys/bus/i2c/devices');
}

t0('scan finds the two stub chips and nothing else', async (t) => {
  const bus = await openI2cBus(stubBus());
  t.teardown(() => bus.close());
  t.deepEqual(await bus.scan(), [0x40, 0x50]);
});

t0('byte and word registers read back what was written; a word travels low byte first (SMBus)', async (t) => {
  const bus = await openI2cBus(stubBus());
  t.teardown(() => bus.close());
  await bus.writeByte(0x50, 0x10, 0xa5);
  t.is(await bus.readByte(0x50, 0x10), 0xa5);
  await bus.writeWord(0x40, 0x05, 0x1234);
  t.is(await bus.readWord(0x40, 0x05), 0x1234);
  // The same register as bytes: the word's low byte is what a byte read of it gives.
  t.is(await bus.readByte(0x40, 0x05), 0x34);
});

t0('our INA219 driver decodes registers stored as a real INA219 sends them (MSB first on the wire)', async (t) => {
  const bus = await openI2cBus(stubBus());
  t.teardown(() => bus.close());
  // A real INA219 puts the high byte on the wire first (TI SBOS448G, Figure 16); SMBus read-word
  // takes the first byte as the low one, so the stub must hold the swapped word.
  await bus.writeWord(0x40, ina219Reg.busVoltage, swap16(encodeBusVoltage(5104)));
  await bus.writeWord(0x40, ina219Reg.shuntVoltage, swap16(encodeShuntUv(12_000)));
  const r = await new Ina219(bus, 0x40, 100).read();
  t.is(r.busMv, 5104);
  t.is(r.currentMa, 120);
});

t0('a missing address is a NACK to our adapter, whichever errno the adapter gives (i2c-stub: ENODEV; real ones: ENXIO, EREMOTEIO)', async (t) => {
  const bus = await openI2cBus(stubBus());
  t.teardown(() => bus.close());
  const e = await t.throwsAsync(() => bus.readByte(0x41, 0x00));
  t.log(e?.message);
  t.is((e as { code?: string } | undefined)?.code, 'EREMOTEIO');
  t.is(bus.stats.nacks, 1);
});

t0('a closed bus refuses transfers with a clear error instead of touching a stale descriptor', async (t) => {
  const bus = await openI2cBus(stubBus());
  await bus.close();
  const e = await t.throwsAsync(() => bus.readByte(0x40, 0x00));
  t.log(e?.message);
  t.truthy(e);
});
