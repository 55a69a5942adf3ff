/**
 * A johnny-five 2.1 IO plugin backed by the `GpioChip` port, so the same j5 components (Led,
 * Relay, Button) run over the real onoff chip on a board and over the simulated chip in the
 * simulator and in tests.
 *
 * What j5 needs from an in-process plugin (docs/johnny-five.md, and johnny-five lib/board.js): an
 * EventEmitter whose `pins` array is filled synchronously in the constructor (Board reads it
 * at once via Board.Pins), MODES, HIGH/LOW, analogPins, pinMode, digitalWrite, analogWrite,
 * digitalRead(pin, cb), analogRead(pin, cb), and `connect` then `ready` emitted after the
 * caller had a chance to attach listeners.
 *
 * Pin numbers are the chip's (sysfs) numbers: the caller maps board-config pins through the
 * hardware definition (src/config/hardware.ts `sysfsPin`).
 */
import { EventEmitter } from 'node:events';
import { GpioError, type Bit, type GpioChip, type GpioLine, type GpioOptions } from '../ports/gpio.ts';

/** Firmata pin modes, as j5 expects them (lib/board.pins.js). */
export const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;
type Mode = (typeof MODES)[keyof typeof MODES];

export interface PinInfo {
  supportedModes: number[];
  mode: number | undefined;
  value: number;
  report: number;
  analogChannel: number;
}

export interface GpioIoOptions {
  chip: GpioChip;
  /** The chip pins this plugin may touch; others report no supported modes. Limits `pins` to what is wired. */
  pins: readonly number[];
  /** Per-pin line options (activeLow, debounceMs), so j5 works in logical levels. */
  lineOptions?: ReadonlyMap<number, GpioOptions>;
  name?: string;
  /** Operating errors (a sysfs write failed, a line went away): counted, reported here, never thrown into j5. */
  onError?: (error: Error, pin: number) => void;
}

export interface GpioIoStats {
  writes: number;
  edges: number;
  errors: number;
}

/** sysfs has no PWM on plain GPIO lines; analogWrite levels at or over this are HIGH. */
const ANALOG_HIGH_THRESHOLD = 128;
/** Callbacks per pin: j5 registers one per component; more is a leak. */
const READERS_PER_PIN_MAX = 8;

export class GpioChipIO extends EventEmitter {
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  /** No ADC on these GPIO chips. */
  readonly analogPins: number[] = [];
  readonly RESOLUTION = { ADC: 0, DAC: null, PWM: 1 };
  readonly name: string;
  readonly pins: PinInfo[];
  readonly stats: GpioIoStats = { writes: 0, edges: 0, errors: 0 };
  isReady = false;
  /** j5 checks this during SIGINT shutdown; we never queue writes. */
  readonly pending = 0;

  readonly #chip: GpioChip;
  readonly #allowed: ReadonlySet<number>;
  readonly #lineOptions: ReadonlyMap<number, GpioOptions>;
  readonly #onError: ((error: Error, pin: number) => void) | undefined;
  readonly #lines = new Map<number, { line: GpioLine; unwatch?: () => void }>();
  readonly #readers = new Map<number, ((value: number) => void)[]>();
  #closed = false;

  constructor(options: GpioIoOptions) {
    super();
    this.#chip = options.chip;
    this.name = options.name ?? 'ftc-gpio';
    this.#lineOptions = options.lineOptions ?? new Map();
    this.#onError = options.onError;
    for (const pin of options.pins) {
      if (!Number.isInteger(pin) || pin < 0 || pin > options.chip.pinMax) throw new RangeError(`GpioChipIO: pin ${pin} is outside the chip's [0, ${options.chip.pinMax}]`);
    }
    this.#allowed = new Set(options.pins);
    const length = options.pins.length ? Math.max(...options.pins) + 1 : 0;
    // Filled synchronously: Board reads io.pins in its constructor.
    this.pins = Array.from({ length }, (_, pin) => ({
      supportedModes: this.#allowed.has(pin) ? [MODES.INPUT, MODES.OUTPUT] : [],
      mode: undefined,
      value: 0,
      report: 1,
      analogChannel: 127,
    }));
    // After the caller's synchronous code (new Board(...) attaches its listeners) has run.
    process.nextTick(() => {
      if (this.#closed) return;
      this.isReady = true;
      this.emit('connect');
      this.emit('ready');
    });
  }

  pinMode(pin: number, mode: number): this {
    this.#check(pin);
    if (mode === MODES.INPUT) this.#openInput(pin);
    else if (mode === MODES.OUTPUT || mode === MODES.PWM) this.#openOutput(pin, 0);
    else throw new RangeError(`GpioChipIO: pin ${pin}: mode ${mode} is not supported (GPIO only: INPUT, OUTPUT)`);
    this.pins[pin]!.mode = mode === MODES.PWM ? MODES.OUTPUT : (mode as Mode);
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    this.#check(pin);
    const bit: Bit = value ? 1 : 0;
    const open = this.#lines.get(pin);
    if (open?.line.direction === 'in') {
      // Firmata semantics: HIGH on an input enables its pull-up. sysfs cannot set pulls (use
      // config.txt `gpio=N=ip,pu` or a resistor), so this is a no-op rather than a direction flip.
      return this;
    }
    if (!open) {
      // j5 Relay writes without pinMode: open as an output at the level being written (no glitch).
      this.#openOutput(pin, bit);
      this.pins[pin]!.mode = MODES.OUTPUT;
      this.pins[pin]!.value = bit;
      return this;
    }
    try {
      open.line.write(bit);
      this.stats.writes++;
      this.pins[pin]!.value = bit;
    } catch (e) {
      this.#operatingError(e, pin);
    }
    return this;
  }

  analogWrite(pin: number, value: number): this {
    return this.digitalWrite(pin, value >= ANALOG_HIGH_THRESHOLD || value === this.HIGH ? 1 : 0);
  }

  /** Calls `callback` with the current level (next tick) and then on every edge. */
  digitalRead(pin: number, callback: (value: number) => void): this {
    this.#check(pin);
    const open = this.#lines.get(pin);
    if (!open || open.line.direction !== 'in') this.#openInput(pin);
    const readers = this.#readers.get(pin) ?? [];
    if (readers.length >= READERS_PER_PIN_MAX) throw new RangeError(`GpioChipIO: pin ${pin} has ${READERS_PER_PIN_MAX} readers already`);
    readers.push(callback);
    this.#readers.set(pin, readers);
    process.nextTick(() => {
      const line = this.#lines.get(pin)?.line;
      if (this.#closed || !line) return;
      try {
        callback(line.read());
      } catch (e) {
        this.#operatingError(e, pin);
      }
    });
    return this;
  }

  analogRead(pin: number | string, _callback: (value: number) => void): this {
    throw new RangeError(`GpioChipIO: analogRead(${pin}): these GPIO chips have no ADC; read analog values over I²C (INA219)`);
  }

  /** The callbacks j5 registered on a pin, so shutdown can settle components that hold timers. */
  readersOf(pin: number): readonly ((value: number) => void)[] {
    return this.#readers.get(pin) ?? [];
  }

  /** Close every line. Idempotent. Components must have been stopped first (see peripherals.ts). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.isReady = false;
    for (const [pin, { line, unwatch }] of this.#lines) {
      try {
        unwatch?.();
        line.close();
      } catch (e) {
        this.#operatingError(e, pin);
      }
    }
    this.#lines.clear();
    this.#readers.clear();
    this.removeAllListeners();
  }

  #check(pin: number): void {
    if (this.#closed) throw new GpioError('ECLOSED', `GpioChipIO: pin ${pin} used after close()`);
    if (!this.#allowed.has(pin)) throw new RangeError(`GpioChipIO: pin ${pin} is not one of this plugin's pins (${[...this.#allowed].join(', ')})`);
  }

  #reopen(pin: number, open: () => GpioLine, watch: boolean): void {
    const old = this.#lines.get(pin);
    if (old) {
      old.unwatch?.();
      old.line.close();
      this.#lines.delete(pin);
    }
    const line = open();
    const entry: { line: GpioLine; unwatch?: () => void } = { line };
    if (watch) {
      entry.unwatch = line.watch((value) => {
        this.stats.edges++;
        this.pins[pin]!.value = value;
        for (const reader of this.#readers.get(pin) ?? []) reader(value);
      });
    }
    this.#lines.set(pin, entry);
  }

  #openInput(pin: number): void {
    this.#reopen(pin, () => this.#chip.open(pin, 'in', 'both', this.#lineOptions.get(pin)), true);
  }

  #openOutput(pin: number, initial: Bit): void {
    const options = this.#lineOptions.get(pin);
    // sysfs "high"/"low" set the *raw* level (gpiolib-sysfs direction_store calls
    // gpiod_direction_output_raw), ignoring active_low: translate the logical level.
    const raw = options?.activeLow ? initial ^ 1 : initial;
    this.#reopen(pin, () => this.#chip.open(pin, raw ? 'high' : 'low', 'none', options), false);
  }

  #operatingError(e: unknown, pin: number): void {
    this.stats.errors++;
    const error = e instanceof Error ? e : new Error(String(e));
    this.#onError?.(error, pin);
  }
}
