/**
 * The bodies of `ftc run`, `ftc sim`, `ftc doctor` and `ftc demo`. src/cli/main.ts parses and
 * validates every option and calls these with typed values; each returns the process exit code.
 * Heavy modules are imported lazily so `ftc --help` and `ftc console` start fast.
 */
import type { Problem } from '../hw/doctor.ts';
import type { FaultSpec } from './faultspec.ts';
import { DEMO_DURATION_MS, DEMO_FAULTS } from './demo-script.ts';
import { SIM_RATE_HZ_DEFAULT } from './sim-timing.ts';

export { DEMO_DURATION_MS, DEMO_FAULTS };

/** A bad option or input found after parsing (e.g. while reading a config): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

export interface RunOptions {
  configPath: string;
  plant: string | null;
}

export interface SimOptions {
  seed: number;
  rateHz: number;
  durationMs: number;
  /** Parsed and validated against the rig's boards. */
  faults: FaultSpec[];
  /** The plant's ground-truth record (JSON Lines), or null. */
  traceFile: string | null;
  /** Events as JSON Lines on stdout, summary last. */
  json: boolean;
  /** Live dashboard (only used on a terminal, and never with --json). */
  dashboard: boolean;
  /** Per-board event logs. */
  logDir: string;
  /** Where each board's console pty path is written (writeConsolePath) for `ftc console b1`. */
  runDir: string;
  /** The workload module (default: package.json "ftc"."defaultWorkload") and its options. */
  workload?: string;
  workloadOptions?: Record<string, unknown>;
  /** A YAML file mapping the workload's signals to sensors and lines on each board's simulated bench (src/field). */
  io?: string;
  /** The process class: this command runs on one board at a time, its state directory replicated (src/process). */
  process?: string;
  /** The state directory every board starts with (copied), for --process. */
  stateDir?: string;
  /** Board bN serves OpenMetrics on 127.0.0.1:metricsBasePort+N-1. */
  metricsBasePort?: number;
}

export interface DoctorOptions {
  configPath: string;
}

export interface DemoOptions {
  dashboard: boolean;
  logDir: string;
  runDir: string;
  workload?: string;
  workloadOptions?: Record<string, unknown>;
  io?: string;
}

/** `ftc run`: this board from its config with the real adapters; runs until killed. */
export async function runBoard(options: RunOptions): Promise<number> {
  const { runBoard: run, RunError } = await import('../shell/run-board.ts');
  try {
    await run(options);
  } catch (e) {
    if (e instanceof RunError) {
      process.stderr.write(`ftc run: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  return new Promise<number>(() => {}); // the board runs until it is stopped or reset
}

/** `ftc sim`: 3 board processes + the plant under the supervisor, pty links, UDP, faults, trace, summary. */
export async function runSim(options: SimOptions): Promise<number> {
  const { runSim: run } = await import('./sim-run.ts');
  return (await run(options)).code;
}

/**
 * `ftc doctor`: check a board config and the hardware it names, or, given a hardware definition
 * (hw/boards/*.yaml, what a lab engineer has on a fresh board), this machine against that
 * hardware only. Print each problem with its fix.
 */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const { loadBoardConfig } = await import('../config/index.ts');
  const { runDoctor: doctor, runHardwareDoctor, formatDoctorReport } = await import('../hw/doctor.ts');
  const report = (problems: Problem[]) => {
    process.stdout.write(formatDoctorReport(problems) + '\n');
    return problems.some((p) => p.severity === 'error') ? 1 : 0;
  };
  const loaded = loadBoardConfig(options.configPath);
  if (loaded.ok) return report(doctor(loaded.config));
  const hardware = await readHardwareDefFile(options.configPath);
  if (hardware.ok) {
    process.stdout.write(
      `ftc doctor: ${options.configPath} is a hardware definition (${hardware.hardware.model}): checking this machine for that hardware only; ` +
        'pass a board config (hw/examples/b1.yaml) to check links, network, rig key and permissions too\n',
    );
    return report(runHardwareDoctor(hardware.hardware));
  }
  // A hardware definition with a typo would otherwise get a screenful of "not a known key of a board config".
  const [what, errors] = hardware.shaped ? ['hardware definition', hardware.errors] : ['config', loaded.errors];
  process.stderr.write(`ftc doctor: the ${what} has ${errors.length} problem(s):\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
  return 2;
}

/**
 * `path` read as a hardware definition. `shaped` is true when it looks like one (top-level
 * `model` or `uarts`, no `board` or `hardware`, which every board config has) even though it
 * does not parse, so its errors are the useful ones.
 */
async function readHardwareDefFile(path: string) {
  const { readFileSync } = await import('node:fs');
  const { parseHardwareDef } = await import('../config/index.ts');
  const { CONFIG_FILE_BYTES_MAX, readYamlText } = await import('../config/yaml-source.ts');
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > CONFIG_FILE_BYTES_MAX) return { ok: false as const, shaped: false, errors: [] };
    text = buf.toString('utf8');
  } catch {
    return { ok: false as const, shaped: false, errors: [] }; // loadBoardConfig has said why
  }
  const parsed = parseHardwareDef(text, path);
  if (parsed.ok) return parsed;
  const { data } = readYamlText(text, path);
  const keys = data !== null && typeof data === 'object' && !Array.isArray(data) ? Object.keys(data) : [];
  const shaped = !keys.includes('board') && !keys.includes('hardware') && (keys.includes('model') || keys.includes('uarts'));
  return { ...parsed, shaped };
}

/** `ftc demo` (npm start): `ftc sim` with a scripted fault sequence, about 30 s. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { parseFaultSpec } = await import('./faultspec.ts');
  const { runSim: run } = await import('./sim-run.ts');
  const { join } = await import('node:path');
  const { code } = await run({
    seed: 7, rateHz: SIM_RATE_HZ_DEFAULT, durationMs: DEMO_DURATION_MS, faults: DEMO_FAULTS.map((f) => parseFaultSpec(f)),
    traceFile: join(options.runDir, 'trace.jsonl'), json: false, dashboard: options.dashboard, logDir: options.logDir, runDir: options.runDir,
    ...(options.workload !== undefined ? { workload: options.workload } : {}),
    ...(options.workloadOptions !== undefined ? { workloadOptions: options.workloadOptions } : {}),
    ...(options.io !== undefined ? { io: options.io } : {}),
  });
  return code;
}
