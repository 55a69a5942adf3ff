/**
 * `ftc workload check PATH`: the command side of src/workload/check.ts. Options are validated
 * here (a bad one: one message naming it, exit 2 through commander); the report goes to the
 * program's output, as text or one JSON object.
 */
import { Command, Option } from 'commander';
import { RATE_HZ_MAX, intOption, jsonObjectOption } from './option-parsers.ts';
import { SIM_RATE_HZ_DEFAULT } from '../rig/sim-timing.ts';
import {
  CHECK_CYCLES_DEFAULT, CHECK_CYCLES_MAX, CHECK_TIMEOUT_MS_DEFAULT, STEP_BUDGET_FRACTION,
  checkExitCode, checkWorkload, formatCheckReport,
} from '../workload/check.ts';

const CHECKS_HELP = `
Checks (each failure is printed with its fix):
  loads              the module loads and its default export has the workload's shape
  deterministic      two separate processes, given the same seeded inputs, reach the same
                     state and outputs every cycle (the first cycle that differs is named)
  round-trip         encode(decode(encode(s))) equals encode(s) byte for byte, and stepping
                     the decoded state gives what stepping s gives
  step-time          p99 of step + encode within ${STEP_BUDGET_FRACTION * 100}% of the period at --rate-hz (the board
                     spends the rest of each period on the protocol)
  no-time-random-io  init and step reach no clock, randomness, timer, process or I/O
  safe-outputs       one valid value per output (finite, integer if discrete, inside min..max)
  step-outputs       every step returns one valid value per output
The inputs are the simulator's seeded signals (each inside its declared range), board 0's.
Each of the two processes is killed if it runs the cycles for more than ${CHECK_TIMEOUT_MS_DEFAULT / 1000} s.
Exit 0: every check passed; 1: a check failed; 2: a bad option, or a module that does not load.
Example:
  ftc workload check examples/thermostat/workload.ts --rate-hz 50 --json`;

/**
 * Adds `ftc workload check` to the program. `done` receives the exit code (commander drops what
 * an action returns; src/cli/main.ts passes its own).
 */
export function addWorkloadCommand(program: Command, done: (code: number) => void): Command {
  const workload = program
    .command('workload')
    .description('work with a workload module (the control law every board runs)');
  workload
    .command('check')
    .description('check a workload module before it runs on the rig: shape, determinism, state encoding, step time, purity, outputs')
    .argument('<path>', 'the workload module (.js, .mjs or .ts; its default export is the workload)')
    .option('--rate-hz <n>', 'the cycle rate the step time is judged at', intOption('--rate-hz', 1, RATE_HZ_MAX), SIM_RATE_HZ_DEFAULT)
    .option('--cycles <n>', 'how many cycles to run', intOption('--cycles', 1, CHECK_CYCLES_MAX), CHECK_CYCLES_DEFAULT)
    .option('--seed <n>', 'seed of the inputs', intOption('--seed', 0, 2 ** 32 - 1), 1)
    .addOption(new Option('--options <json>', "the workload's options, a JSON object (as workload.options in a board config)").argParser(jsonObjectOption))
    .addOption(new Option('--class <class>', "check it as this class instead of the one it declares: lockstep (deterministic, on every board) or checkpoint (one board, state checkpointed)").choices(['lockstep', 'checkpoint']))
    .option('--json', 'print the report as one JSON object: { path, identity, checks: [{ name, ok, detail, fix? }], ok }')
    .addHelpText('after', CHECKS_HELP)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .action(async (path: string, o: { rateHz: number; cycles: number; seed: number; options?: Record<string, unknown>; json?: boolean; class?: 'lockstep' | 'checkpoint' }) => {
      const report = await checkWorkload(path, { rateHz: o.rateHz, cycles: o.cycles, seed: o.seed, options: o.options ?? {}, ...(o.class ? { asClass: o.class } : {}) });
      const out = program.configureOutput().writeOut ?? ((s: string) => void process.stdout.write(s));
      out(o.json ? `${JSON.stringify(report)}\n` : formatCheckReport(report));
      done(checkExitCode(report));
    });
  return workload;
}
