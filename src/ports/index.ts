export * from './clock.ts';
export * from './gpio.ts';
export * from './i2c.ts';
export * from './serial.ts';
export * from './watchdog.ts';
