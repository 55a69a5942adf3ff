/**
 * `ftc`: the package's command. Parses and validates every option (bad ones: one clear message,
 * exit code 2), then calls the action: console and console-passwd here, run/sim/doctor/demo in
 * src/rig/actions.ts.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { attachConsole, ConsoleTargetError, resolveConsoleTarget, RUN_DIR_DEFAULT } from '../console/client.ts';
import { runSync, SyncError } from './sync.ts';
import { ForensicsCliError, runForensics } from './forensics.ts';
import { ReportInputError, writeReport } from '../report/index.ts';
import { runBoard, runDemo, runDoctor, runSim, UsageError } from '../rig/actions.ts';
import { DurationError, FAULT_DESCRIPTIONS, FAULT_EXAMPLES, parseDurationMs, parseFaultSpec } from '../rig/faultspec.ts';
import type { FaultKind } from '../rig/faultspec.ts';
import type { FaultSpec } from '../rig/faultspec.ts';
import { SIM_RATE_HZ_DEFAULT } from '../rig/sim-timing.ts';
import { consolePasswd } from './passwd.ts';
import { addWorkloadCommand } from './workload-cmd.ts';
import { RATE_HZ_MAX, intOption, jsonObjectOption } from './option-parsers.ts';

export const EXIT_USAGE = 2;
const LOG_DIR_DEFAULT = '.ftc/logs';
/** Longest run accepted from the command line (a typo like 20h is caught by the 24 h limit). */
const SIM_DURATION_MS_MAX = 24 * 3600 * 1000;

function durationOption(value: string): number {
  try {
    const ms = parseDurationMs(value);
    if (ms <= 0 || ms > SIM_DURATION_MS_MAX) throw new DurationError(`"${value}" must be more than 0 and at most 24h`);
    return ms;
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

const IO_HELP = 'a YAML file mapping the workload\'s signals to sensors and lines (TMP102, ADS1115, INA219 on I²C; GPIO levels and edge counters; relays), simulated on every board; see examples/*/io.yaml';
const WORKLOAD_HELP = 'the workload module (.js, .mjs or .ts; its default export is the workload); default: the package\'s example, see README "Write your own workload"';

function collectFault(value: string, previous: string[]): string[] {
  try {
    parseFaultSpec(value); // the simulated rig is always b1, b2, b3
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return [...previous, value];
}

const FAULT_HELP = `
Fault specs (times from the start; +D = for how long, default: to the end of the run):
${(Object.keys(FAULT_EXAMPLES) as FaultKind[]).map((k) => `  ${FAULT_EXAMPLES[k].padEnd(32)} ${FAULT_DESCRIPTIONS[k]}`).join('\n')}
  ${'kill:active@5s'.padEnd(32)} "active": the board active when it fires
Durations: 500ms, 2s, 1.5s, 1m. Example:
  ftc sim --seed 7 --duration 20s --fault kill:active@5s --fault cut:b1-b2/serial@2s+3s`;

/** The exit code an action resolved with (commander drops action results). */
export interface ExitCodeBox {
  code: number;
}

/** Where the CLI writes its own text (tests capture it). */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export function buildProgram(exit: ExitCodeBox = { code: 0 }, io: CliIo = PROCESS_IO): Command {
  const done = (code: number) => {
    exit.code = code;
  };
  /**
   * An action whose operating errors of class `cls` are one message on stderr and an exit code
   * (2 unless `codeOf` says), not a stack trace; success is exit 0; anything else propagates.
   */
  const userErrors = <E extends Error, A extends unknown[]>(cls: new (...a: never[]) => E, message: (e: E) => string, run: (...a: A) => unknown, codeOf: (e: E) => number = () => 2) =>
    async (...a: A): Promise<void> => {
      try {
        await run(...a);
        done(0);
      } catch (e) {
        if (!(e instanceof cls)) throw e;
        io.err(`${message(e)}\n`);
        done(codeOf(e));
      }
    };
  const program = new Command('ftc')
    // Set before the subcommands are added: they copy it.
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .description('Fault-tolerant controller for a rig of three Linux SBCs: lockstep TMR voting, gated hardware watchdog, redundant links.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run this board from its config (on a real board)')
    .requiredOption('-c, --config <file>', 'board config file (YAML), e.g. hw/examples/b1.yaml')
    .option('--plant <host:port>', "where the workload's field I/O is served over UDP (the plant model on a lab PC)")
    .addHelpText('after', '\nThe config is checked first: every problem is printed with its field and fix, exit 2, nothing started.\nRun `ftc doctor --config <file>` to check the board (GPIO, I²C, UARTs, watchdog, permissions).')
    .action(async (o: { config: string; plant?: string }) => done(await runBoard({ configPath: o.config, plant: o.plant ?? null })));

  program
    .command('sim')
    .description('simulate the rig: three board processes and a plant, wired by pty serial links and UDP')
    .option('--seed <n>', 'seed of the workload and of every random fault', intOption('--seed', 0, 2 ** 32 - 1), 1)
    .option('--rate-hz <n>', `control cycles per second (processes on one 2-core machine: ${SIM_RATE_HZ_DEFAULT} keeps every deadline; see npm run bench)`, intOption('--rate-hz', 1, RATE_HZ_MAX), SIM_RATE_HZ_DEFAULT)
    .addOption(new Option('--duration <d>', 'how long to run, e.g. 20s, 1.5m').argParser(durationOption).default(20_000, '20s'))
    .addOption(new Option('--fault <spec>', 'inject a fault (repeatable); see below').argParser(collectFault).default([], 'none'))
    .option('--trace <file>', "write the plant's record (JSON Lines: cycle, board, outputs): the ground truth")
    .option('--json', 'print every event as JSON Lines on stdout, then a summary line; no dashboard')
    .option('--no-dashboard', 'no live dashboard (it is only shown on a terminal anyway)')
    .option('--log-dir <dir>', 'directory of the per-board event logs', LOG_DIR_DEFAULT)
    .option('--run-dir <dir>', 'where each board console pty path is written (for `ftc console b1`)', RUN_DIR_DEFAULT)
    .option('--workload <module>', WORKLOAD_HELP)
    .addOption(new Option('--workload-options <json>', "the workload's options, a JSON object (as workload.options in a board config)").argParser(jsonObjectOption))
    .option('--io <file>', IO_HELP)
    .option('--process <command>', 'run this program on one board at a time instead of a workload (the process class): restarted in place, moved on failure, its state directory (FTC_STATE_DIR) replicated; e.g. "python3 logger.py"; or a process config FILE.yaml (command, limits, probe, service address: docs/process.md)')
    .option('--state-dir <dir>', 'with --process: the state directory every board starts with (copied)')
    .option('--metrics-base-port <p>', 'OpenMetrics for Prometheus: b1 on 127.0.0.1:P/metrics, b2 on P+1, b3 on P+2', intOption('--metrics-base-port', 1024, 65533))
    .addHelpText('after', FAULT_HELP)
    .action(async (o: {
      seed: number; rateHz: number; duration: number; fault: string[]; trace?: string; json?: boolean;
      dashboard: boolean; logDir: string; runDir: string; config?: string; workload?: string; workloadOptions?: Record<string, unknown>; io?: string; process?: string; stateDir?: string; metricsBasePort?: number;
    }) => {
      const faults: FaultSpec[] = o.fault.map((f) => parseFaultSpec(f));
      done(await runSim({
        seed: o.seed,
        rateHz: o.rateHz,
        durationMs: o.duration,
        faults,
        traceFile: o.trace ?? null,
        json: o.json === true,
        dashboard: o.dashboard && o.json !== true,
        logDir: o.logDir,
        runDir: o.runDir,
        ...(o.workload !== undefined ? { workload: o.workload } : {}),
        ...(o.workloadOptions !== undefined ? { workloadOptions: o.workloadOptions } : {}),
        ...(o.io !== undefined ? { io: o.io } : {}),
        ...(o.process !== undefined ? { process: o.process } : {}),
        ...(o.stateDir !== undefined ? { stateDir: o.stateDir } : {}),
        ...(o.metricsBasePort !== undefined ? { metricsBasePort: o.metricsBasePort } : {}),
      }));
    });

  program
    .command('console')
    .description("attach to a board's serial console (Ctrl-] quits); screen or picocom work too")
    .argument('<target>', 'device path (/dev/ttyUSB0, /dev/pts/5) or board name (b1) of a running `ftc sim`')
    .option('--baud <n>', 'serial speed (ignored by ptys)', intOption('--baud', 50, 4_000_000), 115_200)
    .option('--run-dir <dir>', 'where `ftc sim` wrote the console paths', RUN_DIR_DEFAULT)
    .addHelpText('after', `
Console commands: help, status, members, votes [n], links, wdt, psu, nic, log [n], faults,
handover <board>, fence <board>, inject <spec> (lab only). Read commands take --json.`)
    .action(async (target: string, o: { baud: number; runDir: string }) => {
      let path: string;
      try {
        path = resolveConsoleTarget(target, o.runDir);
      } catch (e) {
        if (e instanceof ConsoleTargetError) throw new UsageError(e.message);
        throw e;
      }
      done(await attachConsole({ path, baudRate: o.baud }));
    });

  program
    .command('report')
    .description('a run as one HTML page: each board\'s role over time, faults, divergences and fences, output gaps, rejoin times')
    .argument('[run-dir]', 'the run directory of ftc sim or ftc demo, or a directory of <board>.events.jsonl copied off boards', RUN_DIR_DEFAULT)
    .option('-o, --out <file>', 'where to write the page (default: <run-dir>/report.html)')
    .action(userErrors(ReportInputError, (e) => `ftc report: ${e.message}`, (dir: string, o: { out?: string }) => {
      io.out(`report: ${writeReport(dir, o.out)}\n`);
    }));

  program
    .command('forensics')
    .description('replay a forensics bundle (written by a board that was outvoted) and show where the states differ, field by field')
    .argument('<bundle>', 'a forensics-*.json file, or a directory of them (the newest is taken; ftc sim: <log dir>/forensics)')
    .option('--workload <module>', 'the workload module to replay with (default: the one the bundle names)')
    .option('--json', 'print the findings as JSON')
    .action(userErrors(ForensicsCliError, (e) => `ftc forensics: ${e.message}`, async (path: string, o: { workload?: string; json?: boolean }) => {
      const r = await runForensics(path, o);
      if (o.json) io.out(`${JSON.stringify({ file: r.file, board: r.bundle.board, cycle: r.bundle.cycle, reason: r.bundle.reason, findings: r.analysis.findings, stepsReplayed: r.analysis.stepsReplayed, notes: r.notes })}\n`);
      else io.out(`${r.file}\n${[...r.notes, ...r.analysis.lines].join('\n')}\n`);
    }));

  program
    .command('sync')
    .description('from a process-class program (syncOn: mark): its state directory is consistent now; copy it and send it to the other boards')
    .addHelpText('after', '\nRun it from the program the board started: FTC_STATE_DIR, FTC_SYNC_FILE and FTC_PID are in its environment.\nThe copy is taken before ftc sync returns, so the program may write on at once. Exit 0: taken; 1: too large or the board is gone; 2: not run from such a program.')
    .action(userErrors(SyncError, (e) => e.message, () => runSync(), (e) => e.exitCode));

  program
    .command('migrate')
    .description("move a running rig's workload to another board: a checkpoint workload's final checkpoint goes with it; a lockstep one is handed over")
    .argument('<workload>', 'the workload the rig runs (its name: ftc console <board>, then status)')
    .argument('<board>', 'the board to move it to (b1, b2, b3)')
    .option('--via <target>', 'the console to ask: a board of a running `ftc sim`, or a device path (default: <board>)')
    .option('--run-dir <dir>', 'where `ftc sim` wrote the console paths', RUN_DIR_DEFAULT)
    .option('--password-file <file>', 'a file holding the console password (boards whose config sets console.passwordHash)')
    .addOption(new Option('--wait <d>', 'how long to wait for the move, e.g. 3s').argParser(durationOption).default(3000, '3s'))
    .action(async (workload: string, board: string, o: { via?: string; runDir: string; passwordFile?: string; wait: number }) => {
      if (!/^b[1-3]$/.test(board)) throw new UsageError(`board: ${JSON.stringify(board)} is not a board of the rig; fix: b1, b2 or b3`);
      let path: string;
      try {
        path = resolveConsoleTarget(o.via ?? board, o.runDir);
      } catch (e) {
        if (e instanceof ConsoleTargetError) throw new UsageError(e.message);
        throw e;
      }
      const { migrate } = await import('./migrate.ts');
      done(await migrate({ workload, board, path, ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}), waitMs: o.wait, out: (l) => console.log(l) }));
    });

  program
    .command('doctor')
    .description('check this machine against a board config (GPIO, I2C, serial, watchdog, NICs) or a hardware definition')
    .requiredOption('-c, --config <file>', 'board config (hw/examples/b1.yaml) or hardware definition (hw/boards/rpi4.yaml), YAML')
    .addHelpText(
      'after',
      '\nA board config: GPIO, I²C, its UARTs, watchdog, network, rig key, event log, permissions.\n' +
        'A hardware definition (a fresh board, no config yet): its GPIO chips, I²C buses, UARTs (missing: warnings), watchdog, Node, clock.\n' +
        'Exit 0: no errors; 1: errors, each printed with its fix; 2: the file is neither (its problems are printed).',
    )
    .action(async (o: { config: string }) => done(await runDoctor({ configPath: o.config })));

  program
    .command('demo')
    .description('a simulated rig with a scripted fault sequence (what `npm start` runs)')
    .option('--no-dashboard', 'print events instead of the live dashboard')
    .option('--log-dir <dir>', 'directory of the per-board event logs', LOG_DIR_DEFAULT)
    .option('--run-dir <dir>', 'where each board console pty path is written', RUN_DIR_DEFAULT)
    .option('--workload <module>', WORKLOAD_HELP)
    .addOption(new Option('--workload-options <json>', "the workload's options, a JSON object").argParser(jsonObjectOption))
    .option('--io <file>', IO_HELP)
    .action(async (o: { dashboard: boolean; logDir: string; runDir: string; workload?: string; workloadOptions?: Record<string, unknown>; io?: string }) =>
      done(await runDemo({
        dashboard: o.dashboard, logDir: o.logDir, runDir: o.runDir,
        ...(o.workload !== undefined ? { workload: o.workload } : {}),
        ...(o.workloadOptions !== undefined ? { workloadOptions: o.workloadOptions } : {}),
        ...(o.io !== undefined ? { io: o.io } : {}),
      })),
    );

  program
    .command('console-passwd')
    .description('make a console password hash (scrypt) for console.passwordHash in a board config')
    .option('--cost <log2N>', 'scrypt cost, log2 of N', intOption('--cost', 10, 20), 14)
    .option('--stdin', 'read the password from the first line of stdin (no prompt)')
    .addHelpText('after', '\nOn a terminal it asks twice without echo; from a pipe it reads one line. Prints the hash.')
    .action(async (o: { cost: number; stdin?: boolean }) => done(await consolePasswd({ cost: o.cost, fromStdin: o.stdin === true })));

  addWorkloadCommand(program, done);

  for (const c of program.commands) c.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** Run the CLI; resolves with the exit code. Never throws. */
export async function main(argv: readonly string[] = process.argv, io: CliIo = PROCESS_IO): Promise<number> {
  const exit: ExitCodeBox = { code: 0 };
  const program = buildProgram(exit, io);
  try {
    await program.parseAsync([...argv]);
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; commander has already printed its message.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`ftc: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const err = e as Error;
    io.err(`ftc: ${err.message}\n`);
    if (process.env.FTC_DEBUG) io.err(`${err.stack}\n`);
    return 1;
  }
}

// `node --import=tsx src/cli/main.ts demo` (npm start) runs the CLI directly.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}

