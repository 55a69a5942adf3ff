import test from 'ava';
import { SimGpioChip } from '../../src/adapters/sim/gpio.ts';
import { GpioChipIO, MODES } from '../../src/peripherals/j5-io.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import { GpioError, type GpioDirection, type GpioEdge, type GpioOptions } from '../../src/ports/gpio.ts';

/** The simulator's chip, recording how lines are opened. */
class RecordingChip extends SimGpioChip {
  readonly opened: { pin: number; direction: GpioDirection; edge: GpioEdge | undefined; options: GpioOptions | undefined }[] = [];
  constructor() {
    super({ clock: new VirtualClock(), name: 'test' });
  }
  override open(pin: number, direction: GpioDirection, edge?: GpioEdge, options?: GpioOptions) {
    this.opened.push({ pin, direction, edge, options });
    return super.open(pin, direction, edge, options);
  }
}

test('pins are described synchronously and connect comes before ready', async (t) => {
  const io = new GpioChipIO({ chip: new RecordingChip(), pins: [4, 17] });
  t.is(io.pins.length, 18);
  t.deepEqual(io.pins[17]!.supportedModes, [MODES.INPUT, MODES.OUTPUT]);
  t.deepEqual(io.pins[5]!.supportedModes, [], 'pins not given are not usable');
  t.false(io.isReady);
  const order: string[] = [];
  io.on('connect', () => order.push('connect'));
  await new Promise<void>((resolve) => io.on('ready', () => resolve()));
  t.deepEqual(order, ['connect']);
  t.true(io.isReady);
  io.close();
});

test('digitalRead reports the current level, then every edge', async (t) => {
  const chip = new RecordingChip();
  chip.drive(17, 1);
  const io = new GpioChipIO({ chip, pins: [17] });
  const seen: number[] = [];
  io.pinMode(17, MODES.INPUT);
  io.digitalRead(17, (v) => seen.push(v));
  await new Promise((r) => process.nextTick(r));
  chip.drive(17, 0);
  chip.drive(17, 1);
  t.deepEqual(seen, [1, 0, 1]);
  t.deepEqual(chip.opened, [{ pin: 17, direction: 'in', edge: 'both', options: undefined }]);
  io.close();
});

test('an output opens at the level first written, and analog levels are thresholded', (t) => {
  const chip = new RecordingChip();
  const io = new GpioChipIO({ chip, pins: [20] });
  io.digitalWrite(20, 1); // as j5 Relay does, without pinMode
  t.deepEqual(chip.opened, [{ pin: 20, direction: 'high', edge: 'none', options: undefined }], 'no glitch through low');
  t.is(chip.level(20), 1);
  io.analogWrite(20, 100);
  t.is(chip.level(20), 0, 'no PWM on sysfs GPIO');
  io.analogWrite(20, 255);
  t.is(chip.level(20), 1);
  io.close();
  t.false(chip.isOpen(20));
});

test('an active-low output is opened inactive by its raw sysfs level', (t) => {
  // Linux gpiolib-sysfs gpio_direction_store(): "high" -> gpiod_direction_output_raw(desc, 1),
  // "low"/"out" -> raw 0, i.e. ignoring active_low. Inactive (logical 0) on an active-low line
  // is therefore the raw level 1: direction "high".
  const chip = new RecordingChip();
  const io = new GpioChipIO({ chip, pins: [21], lineOptions: new Map([[21, { activeLow: true }]]) });
  io.pinMode(21, MODES.OUTPUT);
  t.deepEqual(chip.opened, [{ pin: 21, direction: 'high', edge: 'none', options: { activeLow: true } }]);
  io.digitalWrite(21, 1);
  t.is(chip.level(21), 0, 'logical 1 on an active-low line is a low wire');
  io.close();
});

test('programmer errors throw: unknown pin, analog read, use after close', (t) => {
  const io = new GpioChipIO({ chip: new RecordingChip(), pins: [20] });
  t.throws(() => io.digitalWrite(21, 1), { instanceOf: RangeError, message: /pin 21 is not one of this plugin's pins/ });
  t.throws(() => io.analogRead('A0', () => {}), { instanceOf: RangeError, message: /no ADC/ });
  t.throws(() => io.pinMode(20, MODES.SERVO), { instanceOf: RangeError });
  t.throws(() => new GpioChipIO({ chip: new RecordingChip(), pins: [5000] }), { instanceOf: RangeError });
  io.close();
  t.throws(() => io.digitalWrite(20, 1), { instanceOf: GpioError, message: /after close/ });
});

test('a failing line write is counted and reported, never thrown into johnny-five', (t) => {
  // Lines that fail every write, as sysfs does when the line was unexported underneath.
  class FailingChip extends RecordingChip {
    override open(pin: number, direction: GpioDirection, edge?: GpioEdge, options?: GpioOptions) {
      const line = super.open(pin, direction, edge, options);
      line.write = () => {
        throw new GpioError('EIO', 'write /sys/class/gpio/gpio532/value: EIO');
      };
      return line;
    }
  }
  const errors: string[] = [];
  const io = new GpioChipIO({ chip: new FailingChip(), pins: [20], onError: (e, pin) => errors.push(`${pin}: ${e.message}`) });
  io.pinMode(20, MODES.OUTPUT);
  t.notThrows(() => io.digitalWrite(20, 1));
  t.notThrows(() => io.digitalWrite(20, 0));
  t.is(io.stats.errors, 2);
  t.deepEqual(errors, ['20: write /sys/class/gpio/gpio532/value: EIO', '20: write /sys/class/gpio/gpio532/value: EIO']);
  io.close();
});
