/**
 * Board identity record kept in the first 32 bytes (4 pages) of the board's 24C02 EEPROM.
 * Used by the simulated EEPROM's seed and by the real reader (`readBoardIdentity` over any I2cBus).
 *
 * Layout (all multi-byte fields big-endian):
 *   0..3    magic "FTCI"
 *   4       layout version (1)
 *   5       hardware revision (0-255)
 *   6..11   board id, ASCII, NUL-padded (e.g. "b1")
 *   12..27  serial number, ASCII, NUL-padded
 *   28..31  CRC-32C of bytes 0..27 (the same CRC as the frame layer, src/bus/crc32c.ts)
 */
import { crc32c } from '../bus/crc32c.ts';
import type { I2cBus } from '../ports/i2c.ts';

export const IDENTITY_BYTES = 32;
export const IDENTITY_VERSION = 1;
export const IDENTITY_MAGIC = Uint8Array.of(0x46, 0x54, 0x43, 0x49); // "FTCI"
export const IDENTITY_BOARD_ID_BYTES = 6;
export const IDENTITY_SERIAL_BYTES = 16;
/** 24C02 address with A2..A0 tied low (1010 000). */
export const IDENTITY_EEPROM_ADDRESS = 0x50;

export interface BoardIdentity {
  boardId: string;
  serial: string;
  hwRevision: number;
}

export type IdentityDecode =
  | { ok: true; identity: BoardIdentity; version: number }
  | { ok: false; reason: 'blank' | 'bad-magic' | 'bad-version' | 'bad-crc' | 'bad-text'; message: string };

const PRINTABLE = /^[\x20-\x7e]*$/;

function putText(out: Uint8Array, at: number, max: number, field: string, text: string): void {
  if (!PRINTABLE.test(text) || text.length === 0 || text.length > max) {
    throw new RangeError(`identity.${field} ${JSON.stringify(text)} is invalid: use 1-${max} printable ASCII characters`);
  }
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
}

function getText(bytes: Uint8Array, at: number, max: number): string | null {
  let s = '';
  for (let i = 0; i < max; i++) {
    const c = bytes[at + i]!;
    if (c === 0) break;
    if (c < 0x20 || c > 0x7e) return null;
    s += String.fromCharCode(c);
  }
  return s.length > 0 ? s : null;
}

/** Encodes an identity; bad fields are a programmer/config error and throw naming the field. */
export function encodeIdentity(id: BoardIdentity): Uint8Array {
  const out = new Uint8Array(IDENTITY_BYTES);
  out.set(IDENTITY_MAGIC, 0);
  out[4] = IDENTITY_VERSION;
  if (!Number.isInteger(id.hwRevision) || id.hwRevision < 0 || id.hwRevision > 255) {
    throw new RangeError(`identity.hwRevision ${id.hwRevision} is invalid: use an integer 0-255`);
  }
  out[5] = id.hwRevision;
  putText(out, 6, IDENTITY_BOARD_ID_BYTES, 'boardId', id.boardId);
  putText(out, 12, IDENTITY_SERIAL_BYTES, 'serial', id.serial);
  new DataView(out.buffer).setUint32(28, crc32c(out, 0, 28));
  return out;
}

/** Decodes the record; a blank or corrupt EEPROM is an operating condition, reported, never thrown. */
export function decodeIdentity(bytes: Uint8Array): IdentityDecode {
  if (bytes.length < IDENTITY_BYTES) throw new RangeError(`decodeIdentity: need ${IDENTITY_BYTES} bytes, got ${bytes.length}`);
  if (bytes.subarray(0, IDENTITY_BYTES).every((b) => b === 0xff)) {
    return { ok: false, reason: 'blank', message: 'identity EEPROM is blank (all 0xFF): program it with the board identity' };
  }
  if (!IDENTITY_MAGIC.every((b, i) => bytes[i] === b)) {
    return { ok: false, reason: 'bad-magic', message: 'identity EEPROM does not start with "FTCI": wrong EEPROM, or not programmed by ftc' };
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset, IDENTITY_BYTES).getUint32(28);
  if (crc32c(bytes, 0, 28) !== stored) {
    return { ok: false, reason: 'bad-crc', message: 'identity EEPROM CRC mismatch: the record is corrupt; reprogram it' };
  }
  const version = bytes[4]!;
  if (version !== IDENTITY_VERSION) {
    return { ok: false, reason: 'bad-version', message: `identity layout version ${version} is not supported (this ftc reads version ${IDENTITY_VERSION})` };
  }
  const boardId = getText(bytes, 6, IDENTITY_BOARD_ID_BYTES);
  const serial = getText(bytes, 12, IDENTITY_SERIAL_BYTES);
  if (boardId === null || serial === null) {
    return { ok: false, reason: 'bad-text', message: 'identity EEPROM board id or serial is empty or not printable ASCII' };
  }
  return { ok: true, version, identity: { boardId, serial, hwRevision: bytes[5]! } };
}

/**
 * Reads and decodes the identity from a 24C02 on `bus` (real or simulated): one random read of
 * 32 bytes (SMBus I2C-block read = word address write, repeated START, sequential read).
 * Bus errors (NACK, timeout) reject with the bus's I2cError.
 */
export async function readBoardIdentity(bus: I2cBus, addr = IDENTITY_EEPROM_ADDRESS, offset = 0): Promise<IdentityDecode> {
  const buf = Buffer.alloc(IDENTITY_BYTES);
  await bus.readI2cBlock(addr, offset, IDENTITY_BYTES, buf);
  return decodeIdentity(buf);
}

/** Page size and self-timed write cycle of the 24C02 (AT24C02: 8-byte pages, tWR <= 5 ms). */
const PAGE_BYTES = 8;
/** Acknowledge polls per page before giving up: 20 × 1 ms covers tWR = 5 ms four times over. */
export const IDENTITY_WRITE_POLLS_MAX = 20;

/**
 * Programs the identity, one 8-byte page write at a time (a page write may not cross a page:
 * it would wrap), then acknowledge polling: during its write cycle the EEPROM does not ACK, so
 * each next transfer is retried on EREMOTEIO after `sleep(1)`, at most IDENTITY_WRITE_POLLS_MAX
 * times. `sleep` is wall time on a board, or advances a VirtualClock in the simulator.
 * Reads the record back and resolves with the decode (ok: false if it did not stick).
 */
export async function writeBoardIdentity(
  bus: I2cBus,
  id: BoardIdentity,
  sleep: (ms: number) => Promise<void>,
  addr = IDENTITY_EEPROM_ADDRESS,
  offset = 0,
): Promise<IdentityDecode> {
  if (!Number.isInteger(offset) || offset < 0 || offset % PAGE_BYTES !== 0 || offset + IDENTITY_BYTES > 256) {
    throw new RangeError(`writeBoardIdentity: offset ${offset} must be a multiple of ${PAGE_BYTES} within the 256-byte 24C02`);
  }
  const bytes = Buffer.from(encodeIdentity(id));
  const polled = async <T>(transfer: () => Promise<T>): Promise<T> => {
    for (let poll = 0; ; poll++) {
      try {
        return await transfer();
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EREMOTEIO' || poll >= IDENTITY_WRITE_POLLS_MAX) throw err;
        await sleep(1);
      }
    }
  };
  for (let at = 0; at < IDENTITY_BYTES; at += PAGE_BYTES) {
    await polled(() => bus.writeI2cBlock(addr, offset + at, PAGE_BYTES, bytes.subarray(at, at + PAGE_BYTES)));
  }
  return polled(() => readBoardIdentity(bus, addr, offset));
}
