import test from 'ava';
import { fileURLToPath } from 'node:url';
import type { GpioConfig } from '../../src/config/board.ts';
import { loadBoardConfig, loadHardwareDefs, sysfsPin } from '../../src/config/index.ts';
import { SimGpioChip } from '../../src/adapters/sim/gpio.ts';
import { startPeripherals, type ButtonEvent } from '../../src/peripherals/peripherals.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import type { Bit } from '../../src/ports/gpio.ts';

// The GPIO lines are the simulator's (SimGpioChip); its own debounce runs on a virtual clock.
// j5's button debounce and hold timers and LED blinking run on wall time: tests wait for
// events with generous deadlines instead of sleeping fixed amounts, and run one at a time.

/** A SimGpioChip plus a probe recording every physical level change on the pins we watch. */
function simChip(probePins: readonly number[]) {
  const clock = new VirtualClock();
  const chip = new SimGpioChip({ clock, name: 'b1' });
  const levels = new Map<number, Bit[]>();
  for (const pin of probePins) {
    levels.set(pin, []);
    chip.onLevel(pin, (level) => levels.get(pin)!.push(level));
  }
  return { clock, chip, levels };
}

const PIN = { role: 25, fault: 6, alarm: 26, voteA: 20, voteB: 21, button: 16 } as const;

function gpioConfig(overrides: { holdMs?: number; roleActiveLow?: boolean } = {}): Pick<GpioConfig, 'statusLeds' | 'outputSelect' | 'maintenanceButton' | 'alarm'> {
  return {
    statusLeds: { role: { pin: PIN.role, activeLow: overrides.roleActiveLow ?? false }, fault: { pin: PIN.fault, activeLow: false } },
    outputSelect: [
      { name: 'voteA', pin: PIN.voteA, activeLow: false },
      { name: 'voteB', pin: PIN.voteB, activeLow: false },
    ],
    maintenanceButton: { pin: PIN.button, activeLow: false, holdMs: overrides.holdMs ?? 3000, debounceMs: 0 },
    alarm: { pin: PIN.alarm, activeLow: false },
  };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rig(overrides: Parameters<typeof gpioConfig>[0] = {}) {
  const { chip, levels } = simChip(Object.values(PIN));
  const calls = { handover: 0, service: 0, events: [] as ButtonEvent[] };
  const p = await startPeripherals({
    chip,
    gpio: gpioConfig(overrides),
    callbacks: {
      onHandoverRequest: () => calls.handover++,
      onLeaveForService: () => calls.service++,
      onButton: (e) => calls.events.push(e),
    },
  });
  return { chip, levels, calls, p };
}

test.serial('a short press of the maintenance button asks for a handover', async (t) => {
  const { chip, calls, p } = await rig({ holdMs: 3000 });
  try {
    chip.drive(PIN.button, 1);
    await waitFor('the button to be seen down', () => calls.events.includes('down'));
    chip.drive(PIN.button, 0);
    await waitFor('the handover request', () => calls.handover === 1);
    t.is(calls.service, 0);
    t.deepEqual(calls.events, ['down', 'up']);
  } finally {
    await p.close();
  }
});

test.serial('holding the button takes the board out for service once, and the release is no handover', async (t) => {
  const { chip, calls, p } = await rig({ holdMs: 60 });
  try {
    chip.drive(PIN.button, 1);
    await waitFor('leave-for-service', () => calls.service === 1);
    // j5 repeats `hold` while the button stays down: still one service request.
    await waitFor('a second hold event', () => calls.events.filter((e) => e === 'hold').length >= 2);
    chip.drive(PIN.button, 0);
    await waitFor('the release', () => calls.events.includes('up'));
    t.is(calls.service, 1);
    t.is(calls.handover, 0);
  } finally {
    await p.close();
  }
});

test.serial('the role LED pattern changes with the role', async (t) => {
  const { chip, levels, p } = await rig();
  try {
    t.is(p.ledPattern, 'off', 'dark until the shell sets a role');
    p.setRole('active');
    t.is(p.ledPattern, 'on');
    t.is(chip.level(PIN.role), 1);

    p.setRole('voted-out');
    t.is(p.ledPattern, 'blink-fast');
    const before = levels.get(PIN.role)!.length;
    await waitFor('the LED to toggle three times', () => levels.get(PIN.role)!.length >= before + 3);

    p.setRole('standby');
    t.is(p.ledPattern, 'blink-slow');

    p.setRole('service');
    t.is(p.ledPattern, 'blink-very-slow', 'out for service: told apart from standby');

    p.setRole('fenced');
    t.is(p.ledPattern, 'off');
    t.is(chip.level(PIN.role), 0);
    // Blinking stopped: the line stays put (three fast-blink periods of silence).
    const settled = levels.get(PIN.role)!.length;
    await new Promise((r) => setTimeout(r, 350));
    t.is(levels.get(PIN.role)!.length, settled);
    t.is(chip.level(PIN.role), 0);
  } finally {
    await p.close();
  }
});

test.serial('an active-low LED is driven in logical levels', async (t) => {
  const { chip, p } = await rig({ roleActiveLow: true });
  try {
    p.setRole('active');
    t.is(chip.level(PIN.role), 0, 'LED to 3.3 V, GPIO sinks: on means the wire is low');
    p.setRole('fenced');
    t.is(chip.level(PIN.role), 1);
  } finally {
    await p.close();
  }
});

test.serial('output-select relays start released, follow the shell, and are released on close', async (t) => {
  const { chip, p } = await rig();
  t.is(chip.level(PIN.voteA), 0);
  t.is(chip.level(PIN.voteB), 0);
  p.setOutputSelect('voteA', true);
  t.is(chip.level(PIN.voteA), 1);
  t.true(p.outputSelectClosed('voteA'));
  p.setAllOutputSelect(true);
  t.is(chip.level(PIN.voteB), 1);
  t.throws(() => p.setOutputSelect('voteC', true), { instanceOf: RangeError, message: /no output-select relay named "voteC"/ });
  p.setAlarm('on');
  t.is(chip.level(PIN.alarm), 1);
  p.setFault(true);
  t.is(chip.level(PIN.fault), 1);
  await p.close();
  for (const pin of [PIN.voteA, PIN.voteB, PIN.alarm, PIN.fault]) {
    t.is(chip.level(pin), 0, `pin ${pin} released`);
    t.false(chip.isOpen(pin));
  }
});

test.serial('close stops every j5 timer and closes every line, even with the button held and LEDs blinking', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  const { chip, calls, p } = await rig({ holdMs: 3000 });
  p.setRole('standby');
  p.setAlarm('beep');
  chip.drive(PIN.button, 1);
  await waitFor('the button to be seen down', () => calls.events.includes('down'));
  t.true(timers() > baseline, 'blink and hold intervals are running');
  await p.close();
  t.deepEqual(Object.values(PIN).filter((pin) => chip.isOpen(pin)), [], 'every line closed');
  await waitFor('j5 timers to be gone', () => timers() <= baseline, 1000);
  t.is(calls.handover, 0, 'the synthetic release at close is not a handover');
  await t.notThrowsAsync(p.close(), 'a second close is a no-op');
});

test.serial("b1's configured pins are driven at their sysfs numbers on a kernel-6.6 Pi 4", async (t) => {
  const b1 = loadBoardConfig(fileURLToPath(new URL('../../hw/examples/b1.yaml', import.meta.url)));
  if (!b1.ok) return t.fail(b1.errors.join('\n'));
  const rpi4 = loadHardwareDefs().get('rpi4')!;
  const { chip, clock } = simChip([]);
  let handovers = 0;
  const events: string[] = [];
  const p = await startPeripherals({
    chip,
    gpio: b1.config.gpio,
    callbacks: { onHandoverRequest: () => handovers++, onLeaveForService: () => {}, onButton: (e) => events.push(e) },
    toChipPin: (pin) => sysfsPin(rpi4, pin, new Map([['pinctrl-bcm2711', 512]])),
  });
  try {
    p.setRole('active');
    t.is(chip.level(512 + 25), 1, 'role LED on GPIO25 is sysfs 537');
    p.setOutputSelect('voteB', true);
    t.is(chip.level(512 + 21), 1);
    // b1 debounces the button for 20 ms; the simulator's debounce runs on its virtual clock.
    chip.drive(512 + 16, 1);
    clock.advance(b1.config.gpio.maintenanceButton.debounceMs);
    chip.poll();
    await waitFor('the press', () => events.includes('down'));
    chip.drive(512 + 16, 0);
    clock.advance(b1.config.gpio.maintenanceButton.debounceMs);
    chip.poll();
    await waitFor('the handover request', () => handovers === 1);
    t.is(handovers, 1);
  } finally {
    await p.close();
  }
});
