/**
 * Simulated I²C bus and device models against their datasheets, fault injection, and the argument
 * validation shared with the real bus.
 */
import test from 'ava';
import { I2cError, mapI2cErrno, openI2cBus } from '../../src/adapters/real/i2c.ts';
import { Eeprom24c02 } from '../../src/adapters/sim/devices/eeprom24c02.ts';
import { Ina219, ina219Calibration } from '../../src/adapters/sim/devices/ina219.ts';
import { Mcp23017, MCP23017_REG } from '../../src/adapters/sim/devices/mcp23017.ts';
import { SimI2cBus } from '../../src/adapters/sim/i2c.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import { Ina219 as Ina219Driver } from '../../src/watchdog/ina219.ts';
import { decodeBusVoltage, decodeShuntUv, ina219Reg, swap16 } from '../../src/watchdog/core-ina219.ts';

const INA = 0x40;
const EEPROM = 0x50;
const MCP = 0x20;

function simBus() {
  const bus = new SimI2cBus('b1');
  const ina = new Ina219({ shuntOhms: 0.1 });
  const eeprom = new Eeprom24c02();
  const mcp = new Mcp23017();
  bus.attach(INA, ina);
  bus.attach(EEPROM, eeprom);
  bus.attach(MCP, mcp);
  return { bus, ina, eeprom, mcp };
}

/** A big-endian INA219 register through SMBus readWord (little-endian), swapped back (SBOS448G §8.5.6). */
const readIna = async (bus: SimI2cBus, reg: number): Promise<number> => swap16(await bus.readWord(INA, reg));

test('INA219 powers up with configuration 0x399F and zero calibration, current and power (SBOS448G §8.6.2.1, Table 4)', async (t) => {
  const { bus } = simBus();
  t.is(await readIna(bus, ina219Reg.config), 0x399f);
  t.is(await readIna(bus, ina219Reg.calibration), 0);
  t.is(await readIna(bus, ina219Reg.current), 0);
  t.is(await readIna(bus, ina219Reg.power), 0);
});

test('INA219 registers are sent MSB first, so SMBus readWord returns them byte-swapped (§8.5.6)', async (t) => {
  const { bus } = simBus();
  t.is(await bus.readWord(INA, ina219Reg.config), 0x9f39);
  const two = Buffer.alloc(2);
  await bus.readI2cBlock(INA, ina219Reg.config, 2, two);
  t.deepEqual([...two], [0x39, 0x9f], 'a 2-byte block read shows the wire order');
});

test('INA219 bus voltage: 4 mV LSB in bits 15..3, CNVR in bit 1, cleared by reading power (§8.6.3.2)', async (t) => {
  const { bus, ina } = simBus();
  ina.setBus(12.0, 0.5);
  const reg = await readIna(bus, ina219Reg.busVoltage);
  t.is(reg >> 3, 3000, '12 V / 4 mV = 3000');
  t.is(reg & 0b10, 0b10, 'CNVR set after a conversion');
  t.is(reg & 0b1, 0, 'no overflow');
  t.is(decodeBusVoltage(reg).busMv, 12_000);
  await readIna(bus, ina219Reg.power);
  t.is((await readIna(bus, ina219Reg.busVoltage)) & 0b10, 0, 'reading the power register clears CNVR');
});

test('INA219 shunt voltage has a 10 µV LSB, two\'s complement, clipped to the PGA range (§8.6.3.1)', async (t) => {
  const { bus, ina } = simBus();
  ina.setBus(5, 0.5); // 0.5 A × 0.1 Ω = 50 mV
  t.is(await readIna(bus, ina219Reg.shuntVoltage), 5000);
  ina.setBus(5, -0.25);
  t.is(decodeShuntUv(await readIna(bus, ina219Reg.shuntVoltage)), -25_000);
  ina.setBus(5, 10); // 1 V across the shunt: beyond ±320 mV
  t.is(await readIna(bus, ina219Reg.shuntVoltage), 32000);
});

test('INA219 calibration turns shunt and bus readings into current and power (§8.5.1)', async (t) => {
  const { bus, ina } = simBus();
  const currentLsbA = 100e-6; // 100 µA/bit
  const cal = ina219Calibration.forCurrentLsb(currentLsbA, 0.1); // trunc(0.04096 / 1e-5) = 4096
  t.is(cal, 4096);
  await bus.writeWord(INA, ina219Reg.calibration, swap16(cal)); // big-endian on the wire
  t.is(await readIna(bus, ina219Reg.calibration), 4096);
  ina.setBus(12.0, 0.5);
  const current = await readIna(bus, ina219Reg.current);
  t.is(current, 5000, 'Current = Shunt × Cal / 4096 = 5000 × 4096 / 4096');
  t.is(ina219Calibration.currentAmps(current, currentLsbA), 0.5);
  const power = await readIna(bus, ina219Reg.power);
  t.is(power, 3000, 'Power = Current × Bus / 5000 = 5000 × 3000 / 5000');
  t.true(Math.abs(ina219Calibration.powerWatts(power, currentLsbA) - 6) < 1e-9, '20 × Current_LSB per bit: 6 W');
  await bus.writeWord(INA, ina219Reg.calibration, swap16(0x1001));
  t.is(await readIna(bus, ina219Reg.calibration), 0x1000, 'calibration bit 0 is void and reads 0 (§8.6.4.1)');
});

test('INA219 configuration reset bit restores power-on values and self-clears (§8.6.2.1)', async (t) => {
  const { bus } = simBus();
  await bus.writeWord(INA, ina219Reg.calibration, swap16(4096));
  await bus.writeWord(INA, ina219Reg.config, swap16(0x8000));
  t.is(await readIna(bus, ina219Reg.config), 0x399f);
  t.is(await readIna(bus, ina219Reg.calibration), 0);
});

test('24C02 page write wraps around within its 8-byte page (AT24C02 "Page Write")', async (t) => {
  const { bus, eeprom } = simBus();
  await bus.writeI2cBlock(EEPROM, 0x0e, 4, Buffer.from([1, 2, 3, 4])); // page 0x08-0x0F
  const mem = eeprom.contents();
  t.deepEqual([...mem.subarray(0x08, 0x10)], [3, 4, 0xff, 0xff, 0xff, 0xff, 1, 2], 'bytes 3 and 4 rolled over to 0x08, 0x09');
  t.is(mem[0x10], 0xff, 'the next page is untouched');
});

test('24C02 current address read continues after the last byte accessed, rolling over at the end (AT24C02 "Current Address Read")', async (t) => {
  const { bus, eeprom } = simBus();
  eeprom.seed(Uint8Array.of(0xa0, 0xa1, 0xa2), 0x20);
  eeprom.seed(Uint8Array.of(0xee), 0xff);
  eeprom.seed(Uint8Array.of(0x11), 0x00);
  t.is(await bus.readByte(EEPROM, 0x20), 0xa0, 'random read sets the counter');
  const buf = Buffer.alloc(2);
  await bus.i2cRead(EEPROM, 2, buf);
  t.deepEqual([...buf], [0xa1, 0xa2], 'current address read goes on from there');
  t.is(await bus.readByte(EEPROM, 0xff), 0xee);
  await bus.i2cRead(EEPROM, 1, buf);
  t.is(buf[0], 0x11, 'sequential read rolls over from 0xFF to 0x00');
});

test('24C02 does not acknowledge during its 5 ms write cycle when run on a clock (acknowledge polling)', async (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2cBus();
  bus.attach(EEPROM, new Eeprom24c02({ clock }));
  await bus.writeByte(EEPROM, 0x00, 0x42);
  const err = await t.throwsAsync(bus.readByte(EEPROM, 0x00), { instanceOf: I2cError });
  t.is((err as I2cError).code, 'EREMOTEIO');
  clock.advance(5);
  t.is(await bus.readByte(EEPROM, 0x00), 0x42);
});

test('MCP23017 powers up with every pin an input: IODIRA/B = 0xFF, the rest 0 (DS20001952 Table 3-3)', async (t) => {
  const { bus } = simBus();
  t.is(await bus.readByte(MCP, MCP23017_REG.IODIRA), 0xff);
  t.is(await bus.readByte(MCP, MCP23017_REG.IODIRB), 0xff);
  t.is(await bus.readByte(MCP, MCP23017_REG.OLATA), 0);
  t.is(await bus.readByte(MCP, MCP23017_REG.GPPUB), 0);
});

test('MCP23017 outputs follow OLAT, inputs are driven from outside, GPIO writes go to OLAT (§3.5.10, §3.5.11)', async (t) => {
  const { bus, mcp } = simBus();
  await bus.writeByte(MCP, MCP23017_REG.IODIRA, 0xf0); // A0-A3 outputs, A4-A7 inputs
  await bus.writeByte(MCP, MCP23017_REG.OLATA, 0b0101);
  t.is(mcp.level('A', 0), 1);
  t.is(mcp.level('A', 1), 0);
  mcp.drive('A', 7, 1);
  t.is(await bus.readByte(MCP, MCP23017_REG.GPIOA), 0b1000_0101);
  await bus.writeByte(MCP, MCP23017_REG.GPIOA, 0b1010);
  t.is(await bus.readByte(MCP, MCP23017_REG.OLATA), 0b1010, 'a GPIO write lands in OLAT');
  t.is(mcp.level('A', 3), 1);
});

test('MCP23017 IPOL inverts inputs and GPPU pulls floating inputs high (§3.5.2, §3.5.7)', async (t) => {
  const { bus, mcp } = simBus();
  t.is(await bus.readByte(MCP, MCP23017_REG.GPIOB), 0, 'floating inputs without pull-ups read 0 here');
  await bus.writeByte(MCP, MCP23017_REG.GPPUB, 0x0f);
  t.is(await bus.readByte(MCP, MCP23017_REG.GPIOB), 0x0f);
  mcp.drive('B', 0, 0);
  await bus.writeByte(MCP, MCP23017_REG.IPOLB, 0x01);
  t.is(await bus.readByte(MCP, MCP23017_REG.GPIOB), 0x0f, 'B0 driven low, inverted by IPOL: reads 1');
});

test('MCP23017 with BANK = 0 reads the A/B pair as one 16-bit word (sequential addressing, §3.2.1)', async (t) => {
  const { bus } = simBus();
  await bus.writeI2cBlock(MCP, MCP23017_REG.IODIRA, 2, Buffer.from([0x00, 0x00]));
  await bus.writeWord(MCP, MCP23017_REG.OLATA, 0xbeef); // OLATA = 0xEF, OLATB = 0xBE
  t.is(await bus.readByte(MCP, MCP23017_REG.OLATB), 0xbe);
  t.is(await bus.readWord(MCP, MCP23017_REG.GPIOA), 0xbeef);
});

test('an injected NACK rejects with EREMOTEIO for N transfers, then the device answers again', async (t) => {
  const { bus } = simBus();
  bus.injectNack(INA, 2);
  for (let i = 0; i < 2; i++) {
    const err = await t.throwsAsync(bus.readWord(INA, 0), { instanceOf: I2cError });
    t.is((err as I2cError).code, 'EREMOTEIO');
    t.regex(err!.message, /0x40.*no ACK/);
  }
  t.is(await readIna(bus, 0), 0x399f);
  t.is(bus.stats.nacks, 2);
  t.is(bus.stats.errors, 2);
});

test('an injected timeout rejects with ETIMEDOUT until cleared; scan skips the faulty device', async (t) => {
  const { bus } = simBus();
  t.deepEqual(await bus.scan(), [MCP, INA, EEPROM]);
  bus.injectTimeout(EEPROM);
  for (let i = 0; i < 3; i++) {
    const err = await t.throwsAsync(bus.readByte(EEPROM, 0), { instanceOf: I2cError });
    t.is((err as I2cError).code, 'ETIMEDOUT');
  }
  t.deepEqual(await bus.scan(), [MCP, INA]);
  bus.clearFaults(EEPROM);
  t.is(await bus.readByte(EEPROM, 0), 0xff);
  t.is(bus.stats.timeouts, 3, 'scan probes are not counted as transfers');
});

test('a device that is not there does not acknowledge (EREMOTEIO)', async (t) => {
  const { bus } = simBus();
  const err = await t.throwsAsync(bus.readByte(0x41, 0), { instanceOf: I2cError });
  t.is((err as I2cError).code, 'EREMOTEIO');
});

test('a bad address or register rejects with the same message on the simulated and the real bus', async (t) => {
  const { bus: sim } = simBus();
  const real = await openI2cBus(99); // i2c-bus opens lazily: succeeds without /dev/i2c-99
  t.teardown(() => real.close());
  const cases: Array<[string, (b: typeof sim | typeof real) => Promise<unknown>]> = [
    ['address 0x80', (b) => b.readByte(0x80, 0)],
    ['address -1', (b) => b.readByte(-1, 0)],
    ['reserved address 0x02', (b) => b.writeByte(0x02, 0, 0)],
    ['reserved address 0x78', (b) => b.readWord(0x78, 0)],
    ['register 0x100', (b) => b.readByte(0x40, 0x100)],
    ['word 0x10000', (b) => b.writeWord(0x40, 0, 0x10000)],
    ['block of 33 bytes', (b) => b.readI2cBlock(0x40, 0, 33, Buffer.alloc(33))],
  ];
  for (const [what, call] of cases) {
    const a = await t.throwsAsync(call(sim), { instanceOf: I2cError }, what);
    const b = await t.throwsAsync(call(real), { instanceOf: I2cError }, what);
    t.is(a?.message, b?.message, what);
    t.is((a as I2cError).code, 'EINVAL', what);
  }
  const e = await t.throwsAsync(sim.readByte(0x80, 0));
  t.regex(e!.message, /address 0x80 \(128\).*0x03-0x77/);
  t.is(sim.stats.errors, 0, 'argument errors are programmer errors, not counted as bus errors');
});

test('the real bus on a machine without /dev/i2c-99 rejects the first transfer with ENOENT and scans empty', async (t) => {
  const real = await openI2cBus(99);
  t.teardown(() => real.close());
  const err = await t.throwsAsync(real.readByte(0x40, 0), { instanceOf: I2cError });
  t.is((err as I2cError).code, 'ENOENT');
  t.regex(err!.message, /\/dev\/i2c-99 does not exist/);
  t.is(real.stats.errors, 1);
  t.deepEqual(await real.scan(), []);
});

test('the PSU monitor\'s INA219 driver reads the simulated rail through the simulated bus', async (t) => {
  const { bus, ina } = simBus();
  ina.setBus(5.1, 1.2); // 5.1 V rail drawing 1.2 A through 0.1 Ω
  const reading = await new Ina219Driver(bus, INA, 100).read();
  t.is(reading.busMv, 5100);
  t.is(reading.currentMa, 1200);
});

// On a board: FTC_TEST_I2C_BUS=1 [FTC_TEST_I2C_INA219=0x40] npx ava test/adapters/i2c.test.ts
const realBus = process.env.FTC_TEST_I2C_BUS;
if (realBus !== undefined) {
  test(`real I2C bus ${realBus}: scan, and an INA219 (if named) answers its power-on configuration`, async (t) => {
    const bus = await openI2cBus(Number(realBus));
    t.teardown(() => bus.close());
    const found = await bus.scan();
    t.log(`/dev/i2c-${realBus}: ${found.map((a) => `0x${a.toString(16)}`).join(' ') || 'nothing'}`);
    const ina = process.env.FTC_TEST_I2C_INA219;
    if (ina !== undefined) {
      t.true(found.includes(Number(ina)));
      await bus.writeWord(Number(ina), ina219Reg.config, swap16(0x8000)); // reset
      t.is(swap16(await bus.readWord(Number(ina), ina219Reg.config)), 0x399f);
    }
    t.deepEqual(found, [...found].sort((a, b) => a - b), 'ascending');
    t.true(found.every((a) => a >= 0x03 && a <= 0x77), 'only usable 7-bit addresses');
  });
} else {
  console.log('adapters/i2c: real-bus test not registered (set FTC_TEST_I2C_BUS=<n> [FTC_TEST_I2C_INA219=0x40] on a board)');
}

test('no ACK is EREMOTEIO whichever errno the adapter chose: ENXIO (fault-codes.rst), EREMOTEIO (i2c-bcm2835), ENODEV (i2c-stub), by name or number', (t) => {
  const tr = { op: 'readByte', addr: 0x41, cmd: 0 } as const;
  for (const err of [{ code: 'ENXIO' }, { code: 'EREMOTEIO' }, { code: 'ENODEV' }, { errno: -19 }, { errno: 6 }]) {
    const e = mapI2cErrno(err, tr as never, '/dev/i2c-0');
    t.is(e.code, 'EREMOTEIO', JSON.stringify(err));
    t.regex(e.message, /no ACK/);
  }
  t.is(mapI2cErrno({ code: 'EIO' }, tr as never, '/dev/i2c-0').code, 'EIO');
});

test('permission denied on the bus device names the udev rules and the i2c group (the first transfer opens it)', (t) => {
  const tr = { op: 'readWord', addr: 0x40, cmd: 2 } as const;
  for (const code of ['EACCES', 'EPERM']) {
    const e = mapI2cErrno({ code, message: `${code}: permission denied, open '/dev/i2c-1'` }, tr as never, '/dev/i2c-1');
    t.is(e.code, code);
    t.regex(e.message, /\/dev\/i2c-1: permission denied\. Fix: install hw\/udev\/99-ftc\.rules .* i2c group/);
  }
});
