/**
 * The subset of i2c-bus's promisified API (`openPromisified`) that ftc uses, so the real
 * i2c-bus object satisfies it structurally and a simulated bus can stand in for it.
 *
 * Contract (same for real and simulated buses):
 * - `addr` must be a 7-bit address in [0x03, 0x77] (i2c-bus rejects others; 0x00-0x02 and
 *   0x78-0x7F are reserved by the I²C spec): otherwise the promise rejects with an `Error`
 *   whose message names the address. `cmd` (register) and bytes are integers in [0, 0xFF],
 *   words in [0, 0xFFFF]; block lengths in [0, 32] (SMBus block limit).
 * - SMBus word transfers are little-endian on the wire (low byte first). Devices whose registers
 *   are big-endian (INA219, TI SBOS448G §8.5.1) must be byte-swapped by the driver.
 * - A device that does not acknowledge rejects with an error whose `code` is `EREMOTEIO`
 *   (Linux i2c-dev's errno for a NACK); a bus that does not exist rejects with `ENOENT`;
 *   a stuck transfer rejects with `ETIMEDOUT`. These are operating errors: count them.
 * - `scan()` resolves with the addresses that ACK, ascending; `[]` on a missing bus.
 */
export interface I2cBus {
  readByte(addr: number, cmd: number): Promise<number>;
  readWord(addr: number, cmd: number): Promise<number>;
  readI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeByte(addr: number, cmd: number, byte: number): Promise<void>;
  writeWord(addr: number, cmd: number, word: number): Promise<void>;
  writeI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  i2cRead(addr: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  i2cWrite(addr: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  scan(): Promise<number[]>;
  close(): Promise<void>;
}
