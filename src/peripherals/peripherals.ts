/**
 * The board's local operator I/O, built from johnny-five components over `GpioChipIO`:
 * - the role LED shows the board's role (active: on; standby: slow blink; voted-out: fast blink;
 *   out for service: very slow blink; fenced: off), and an optional fault LED;
 * - output-select relays (this board's contacts in the 2-out-of-3 relay ladder);
 * - the maintenance button: a short press asks to hand over the active role, holding it
 *   (config holdMs, 3 s by default) takes the board out for service, or brings it back;
 * - the alarm buzzer/LED.
 *
 * j5's Led blink, Button hold and Button debounce run on wall-clock timers (setInterval /
 * lodash.debounce). That is fine for operator I/O — nothing here feeds the voter or the watchdog —
 * but it means `close()` must stop them, or the process stays alive.
 */
import five from 'johnny-five';
import type { GpioConfig, PinConfig } from '../config/board.ts';
import type { GpioChip, GpioOptions } from '../ports/gpio.ts';
import { GpioChipIO } from './j5-io.ts';

export type StatusRole = 'active' | 'standby' | 'voted-out' | 'service' | 'fenced';
export type LedPattern = 'on' | 'off' | 'blink-slow' | 'blink-fast' | 'blink-very-slow';
export type AlarmMode = 'off' | 'on' | 'beep';
export type ButtonEvent = 'down' | 'up' | 'hold';

/**
 * j5 `blink(ms)` toggles every `ms`: slow = 1 Hz, fast = 5 Hz, beep = 2 Hz; very slow = 0.25 Hz,
 * so a board out for service is told from a standby one at a glance (2 s on, 2 s off).
 */
export const BLINK_SLOW_TOGGLE_MS = 500;
export const BLINK_FAST_TOGGLE_MS = 100;
export const BLINK_VERY_SLOW_TOGGLE_MS = 2000;
export const ALARM_BEEP_TOGGLE_MS = 250;
/** How long to wait for j5's `ready` before giving up (it is a nextTick away in practice). */
export const BOARD_READY_TIMEOUT_MS = 5_000;

export const ROLE_PATTERNS: Readonly<Record<StatusRole, LedPattern>> = {
  active: 'on',
  standby: 'blink-slow',
  'voted-out': 'blink-fast',
  service: 'blink-very-slow',
  fenced: 'off',
};

export interface PeripheralCallbacks {
  /** Short press and release: ask to hand the active role to a peer at a cycle boundary. */
  onHandoverRequest(): void;
  /**
   * Held for `holdMs`: leave the voting set for service (the shell brings a board that is in
   * service back instead). Called once per press.
   */
  onLeaveForService(): void;
  /** Every raw button event, for logs and for tests that sequence presses. */
  onButton?(event: ButtonEvent): void;
}

export interface PeripheralsOptions {
  chip: GpioChip;
  gpio: Pick<GpioConfig, 'statusLeds' | 'outputSelect' | 'maintenanceButton' | 'alarm'>;
  callbacks: PeripheralCallbacks;
  /** Board-config pin → chip pin (src/config/hardware.ts `sysfsPin`); identity by default (simulator). */
  toChipPin?: (pin: number) => number;
  /** Operating errors of the GPIO lines (counted by the plugin too). */
  onError?: (error: Error, pin: number) => void;
}

export interface Peripherals {
  readonly io: GpioChipIO;
  readonly role: StatusRole | undefined;
  readonly ledPattern: LedPattern;
  setRole(role: StatusRole): void;
  setFault(on: boolean): void;
  /** Energise (closed = true) or release one output-select relay by its config name. */
  setOutputSelect(name: string, closed: boolean): void;
  /** Every output-select relay at once: release all when this board must not drive the output. */
  setAllOutputSelect(closed: boolean): void;
  outputSelectClosed(name: string): boolean;
  setAlarm(mode: AlarmMode): void;
  /** Release relays, lights off, stop every j5 timer, close the lines. Idempotent. */
  close(): Promise<void>;
}

const blinkToggleMs: Readonly<Record<Exclude<LedPattern, 'on' | 'off'>, number>> = {
  'blink-slow': BLINK_SLOW_TOGGLE_MS,
  'blink-fast': BLINK_FAST_TOGGLE_MS,
  'blink-very-slow': BLINK_VERY_SLOW_TOGGLE_MS,
};

function applyPattern(led: InstanceType<typeof five.Led>, pattern: LedPattern): void {
  led.stop();
  if (pattern === 'on') led.on();
  else if (pattern === 'off') led.off();
  else led.blink(blinkToggleMs[pattern]);
}

/** Start j5 over the chip and build the components. Resolves once j5's Board is ready. */
export async function startPeripherals(options: PeripheralsOptions): Promise<Peripherals> {
  const { gpio, callbacks } = options;
  const toChip = options.toChipPin ?? ((p: number) => p);

  const lineOptions = new Map<number, GpioOptions>();
  const use = (p: PinConfig, extra: GpioOptions = {}) => {
    const chipPin = toChip(p.pin);
    lineOptions.set(chipPin, { activeLow: p.activeLow, ...extra });
    return chipPin;
  };
  const roleLedPin = use(gpio.statusLeds.role);
  const faultLedPin = gpio.statusLeds.fault ? use(gpio.statusLeds.fault) : undefined;
  const alarmPin = gpio.alarm ? use(gpio.alarm) : undefined;
  const relayPins = gpio.outputSelect.map((r) => ({ name: r.name, pin: use(r) }));
  const buttonPin = use(gpio.maintenanceButton, { debounceMs: gpio.maintenanceButton.debounceMs });

  const io = new GpioChipIO({ chip: options.chip, pins: [...lineOptions.keys()], lineOptions, ...(options.onError ? { onError: options.onError } : {}) });
  const board = new five.Board({ io, repl: false, debug: false, sigint: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      io.close(); // release the lines: the caller gets an error, not a half-open chip
      reject(new Error(`johnny-five board not ready after ${BOARD_READY_TIMEOUT_MS} ms`));
    }, BOARD_READY_TIMEOUT_MS);
    board.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });

  const roleLed = new five.Led({ board, pin: roleLedPin });
  const faultLed = faultLedPin === undefined ? undefined : new five.Led({ board, pin: faultLedPin });
  const alarm = alarmPin === undefined ? undefined : new five.Led({ board, pin: alarmPin });
  const relays = new Map(relayPins.map((r) => [r.name, new five.Relay({ board, pin: r.pin, type: 'NO' })]));
  // Fail safe at start: every relay released, lights off until the shell sets a role.
  for (const relay of relays.values()) relay.open();
  roleLed.off();
  faultLed?.off();
  alarm?.off();

  const button = new five.Button({ board, pin: buttonPin, holdtime: gpio.maintenanceButton.holdMs, invert: false });
  let closed = false;
  let pressed = false;
  let held = false;
  button.on('down', () => {
    if (closed) return;
    pressed = true;
    held = false;
    callbacks.onButton?.('down');
  });
  button.on('hold', () => {
    if (closed) return;
    callbacks.onButton?.('hold');
    // j5 repeats `hold` every holdtime while the button stays down: act on the first only.
    if (pressed && !held) {
      held = true;
      callbacks.onLeaveForService();
    }
  });
  button.on('up', () => {
    if (closed) return;
    callbacks.onButton?.('up');
    if (pressed && !held) callbacks.onHandoverRequest();
    pressed = false;
    held = false;
  });

  let role: StatusRole | undefined;
  let ledPattern: LedPattern = 'off';
  const relayOf = (name: string) => {
    const relay = relays.get(name);
    if (!relay) throw new RangeError(`no output-select relay named "${name}" (have ${[...relays.keys()].join(', ')})`);
    return relay;
  };

  return {
    io,
    get role() {
      return role;
    },
    get ledPattern() {
      return ledPattern;
    },
    setRole(next) {
      if (closed || next === role) return; // same role: keep the blink phase
      role = next;
      ledPattern = ROLE_PATTERNS[next];
      applyPattern(roleLed, ledPattern);
    },
    setFault(on) {
      if (closed || !faultLed) return;
      applyPattern(faultLed, on ? 'on' : 'off');
    },
    setOutputSelect(name, isClosed) {
      if (closed) return;
      const relay = relayOf(name);
      if (isClosed) relay.close();
      else relay.open();
    },
    setAllOutputSelect(isClosed) {
      if (closed) return;
      for (const relay of relays.values()) {
        if (isClosed) relay.close();
        else relay.open();
      }
    },
    outputSelectClosed(name) {
      return relayOf(name).isClosed;
    },
    setAlarm(mode) {
      if (closed || !alarm) return;
      alarm.stop();
      if (mode === 'on') alarm.on();
      else if (mode === 'off') alarm.off();
      else alarm.blink(ALARM_BEEP_TOGGLE_MS);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const relay of relays.values()) relay.open();
      for (const led of [roleLed, faultLed, alarm]) {
        led?.stop();
        led?.off();
      }
      // A button held at shutdown leaves j5's hold setInterval running (lib/button.js clears it
      // only on release). Tell j5 it was released; our listeners ignore it (closed = true).
      if (button.isDown) for (const reader of io.readersOf(buttonPin)) reader(0);
      button.removeAllListeners();
      // j5 debounces button events with a 7 ms lodash timer: let a pending one run out.
      await new Promise((resolve) => setTimeout(resolve, 10));
      io.close();
      board.removeAllListeners();
    },
  };
}
