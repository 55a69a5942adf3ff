/** Board identity record in the 24C02, written and read back over the (simulated) I²C bus. */
import test from 'ava';
import { decodeIdentity, encodeIdentity, IDENTITY_BYTES, IDENTITY_WRITE_POLLS_MAX, readBoardIdentity, writeBoardIdentity } from '../../src/adapters/identity.ts';
import { Eeprom24c02 } from '../../src/adapters/sim/devices/eeprom24c02.ts';
import { SimI2cBus } from '../../src/adapters/sim/i2c.ts';
import { VirtualClock } from '../../src/ports/clock.ts';

const id = { boardId: 'b2', serial: 'FTC-2026-0002', hwRevision: 3 };

test('an identity seeded into the simulated EEPROM reads back over the bus', async (t) => {
  const bus = new SimI2cBus();
  bus.attach(0x50, new Eeprom24c02({ contents: encodeIdentity(id) }));
  t.deepEqual(await readBoardIdentity(bus), { ok: true, version: 1, identity: id });
});

test('programming the identity waits out each 5 ms write cycle by acknowledge polling, then reads it back', async (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2cBus();
  const eeprom = new Eeprom24c02({ clock });
  bus.attach(0x51, eeprom);
  const sleep = async (ms: number): Promise<void> => clock.advance(ms);
  t.deepEqual(await writeBoardIdentity(bus, id, sleep, 0x51), { ok: true, version: 1, identity: id });
  t.is(eeprom.writes, IDENTITY_BYTES, 'each byte written once');
  t.is(bus.stats.nacks, 4 * 5, 'four pages, each polled through a 5 ms write cycle');
  t.is(clock.nowMs(), 20);
});

test('an EEPROM that never comes back from its write cycle fails the programming with EREMOTEIO', async (t) => {
  const bus = new SimI2cBus();
  bus.attach(0x50, new Eeprom24c02());
  bus.injectNack(0x50);
  let slept = 0;
  await t.throwsAsync(writeBoardIdentity(bus, id, async () => void slept++), { message: /no ACK/ });
  t.is(slept, IDENTITY_WRITE_POLLS_MAX, 'bounded retries');
});

test('a blank, foreign or corrupted EEPROM is reported, not thrown', (t) => {
  t.like(decodeIdentity(new Uint8Array(32).fill(0xff)), { ok: false, reason: 'blank' });
  t.like(decodeIdentity(new Uint8Array(32)), { ok: false, reason: 'bad-magic' });
  const flipped = encodeIdentity(id);
  flipped[13]! ^= 0x04;
  t.like(decodeIdentity(flipped), { ok: false, reason: 'bad-crc' });
});

test('identity fields out of range are refused with the field named', (t) => {
  t.throws(() => encodeIdentity({ ...id, boardId: 'board-seven' }), { message: /identity\.boardId "board-seven" is invalid: use 1-6 printable ASCII/ });
  t.throws(() => encodeIdentity({ ...id, hwRevision: 256 }), { message: /identity\.hwRevision 256/ });
});
