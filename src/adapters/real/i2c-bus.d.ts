/**
 * Minimal typings for i2c-bus 5 (it ships none): only `openPromisified` and the promisified
 * methods ftc calls (the same surface as the I2cBus port in src/ports/i2c.ts).
 */
declare module 'i2c-bus' {
  export interface PromisifiedBus {
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
  export function openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<PromisifiedBus>;
}
