/**
 * `ftc workload check PATH`: the command side of src/workload/check.ts. Options are validated
 * here (a bad one: one message naming it, exit 2 through commander); the report goes to the
 * program's output, as text or one JSON object.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SIM_RATE_HZ_DEFAULT } from '../rig/sim-timing.ts';
import {
  CHECK_CYCLES_DEFAULT, CHECK_CYCLES_MAX, CHECK_TIMEOUT_MS_DEFAULT, STEP_BUDGET_FRACTION,
  checkExitCode, checkWorkload, formatCheckReport,
} from '../workload/check.ts';

/** The same ceiling as `ftc sim --rate-hz`. */
const RATE_HZ_MAX = 1000;
/** Options travel to the check's processes on their command line. */
const OPTIONS_JSON_CHARS_MAX = 64 * 1024;

function intArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

function optionsArg(value: string): Record<string, unknown> {
  if (value.length > OPTIONS_JSON_CHARS_MAX) throw new InvalidArgumentError(`${value.length} characters; give at most ${OPTIONS_JSON_CHARS_MAX}.`);
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch (e) {
    throw new InvalidArgumentError(`not JSON (${(e as Error).message}); give an object, e.g. '{"setpointC": 21}'.`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`${value} is not a JSON object; give e.g. '{"setpointC": 21}'.`);
  return v as Record<string, unknown>;
}

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
  ftc workload check examples/tank/workload.ts --rate-hz 50 --json`;

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
    .option('--rate-hz <n>', 'the cycle rate the step time is judged at', intArg('--rate-hz', 1, RATE_HZ_MAX), SIM_RATE_HZ_DEFAULT)
    .option('--cycles <n>', 'how many cycles to run', intArg('--cycles', 1, CHECK_CYCLES_MAX), CHECK_CYCLES_DEFAULT)
    .option('--seed <n>', 'seed of the inputs', intArg('--seed', 0, 2 ** 32 - 1), 1)
    .addOption(new Option('--options <json>', "the workload's options, a JSON object (as workload.options in a board config)").argParser(optionsArg))
    .option('--json', 'print the report as one JSON object: { path, identity, checks: [{ name, ok, detail, fix? }], ok }')
    .addHelpText('after', CHECKS_HELP)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .action(async (path: string, o: { rateHz: number; cycles: number; seed: number; options?: Record<string, unknown>; json?: boolean }) => {
      const report = await checkWorkload(path, { rateHz: o.rateHz, cycles: o.cycles, seed: o.seed, options: o.options ?? {} });
      const out = program.configureOutput().writeOut ?? ((s: string) => void process.stdout.write(s));
      out(o.json ? `${JSON.stringify(report)}\n` : formatCheckReport(report));
      done(checkExitCode(report));
    });
  return workload;
}
