/**
 * Hardware-in-the-loop: the shared fault scenarios (src/scenarios) on the real rig, through each
 * board's serial console (src/scenarios/hil.ts). Run with
 *
 *   FTC_HIL_RIG=hw/rigs/lab.yaml FTC_HIL_CONSOLES=b1=/dev/ttyUSB0,b2=/dev/ttyUSB1,b3=/dev/ttyUSB2 \
 *   FTC_HIL_PASSWORD=... npm run test:hil
 *
 * Optional: FTC_HIL_ONLY=stall,psu (scenario ids), FTC_HIL_ACTION_CMD (power/process actions),
 * FTC_HIL_POLL_MS, FTC_HIL_BAUD. See hw/HIL.md. Without FTC_HIL_RIG one test says why nothing ran.
 */
import test from 'ava';
import type { ConsoleDriver } from '../../src/scenarios/console-driver.ts';
import { hilSetupFromEnv, openHilConsoles, runHilScenario, type HilSetup } from '../../src/scenarios/hil.ts';
import { SCENARIOS, formatOutcome, scenarioById } from '../../src/scenarios/index.ts';

const SKIP_REASON = 'FTC_HIL_RIG is not set: the hardware-in-the-loop suite needs a rig file, see hw/HIL.md';

if (process.env.FTC_HIL_RIG === undefined) {
  test('hardware-in-the-loop suite: skipped, FTC_HIL_RIG not set', (t) => {
    t.log(SKIP_REASON);
    t.is(process.env.FTC_HIL_RIG, undefined);
  });
} else {
  // A bad setup throws here, at load time, with its one-line message (HilSetupError).
  const setup: HilSetup = hilSetupFromEnv(process.env);
  const only = process.env.FTC_HIL_ONLY?.split(',').map((x) => x.trim()).filter(Boolean);
  const scenarios = only ? only.map((id) => scenarioById(id)) : SCENARIOS;
  let consoles = new Map<string, ConsoleDriver>();

  test.before(async () => {
    consoles = await openHilConsoles(setup);
  });
  test.after.always(async () => {
    await Promise.all([...consoles.values()].map((c) => c.close()));
  });

  for (const scenario of scenarios) {
    test.serial(`${scenario.title} (${scenario.id}, on rig ${setup.rigName})`, async (t) => {
      t.timeout(scenario.budgetMs + 60_000);
      const r = await runHilScenario({
        scenario,
        boards: setup.boards.map((b) => b.id),
        consoles,
        addresses: new Map(setup.boards.flatMap((b) => (b.address ? [[b.id, b.address] as const] : []))),
        actionCmd: setup.actionCmd,
        pollMs: setup.pollMs,
        log: (line) => t.log(line),
      });
      if (r.outcome) for (const line of formatOutcome(r.outcome)) t.log(line);
      for (const [board, events] of Object.entries(r.logs)) {
        t.log(`${board} log: ${events.slice(-5).map((e) => `${e.kind}${typeof e.reason === 'string' ? `(${e.reason})` : ''}`).join(', ')}`);
      }
      t.is(r.status, 'pass', r.outcome ? r.outcome.failures.join('; ') : r.messages.at(-1));
    });
  }
}
