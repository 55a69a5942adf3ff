/**
 * The `process:` section of a board config, or a file of its own (`ftc sim --process FILE.yaml`),
 * read into a ProcessSpec. Shape problems (a typo'd key, a string for a number) come from the
 * schema helpers; ranges and the rules between fields (a probe that answers before the next one
 * starts) from makeProcessSpec. Either way each message names the field and the fix.
 *
 *   process:
 *     command: python3 logger.py          # or a list: [python3, logger.py]
 *     env: { LOG_LEVEL: info }
 *     syncPeriodMs: 200
 *     probe: { http: http://127.0.0.1:8080/health, intervalMs: 1000, timeoutMs: 500, failuresMax: 3 }
 *     address: { cidr: 10.77.0.100/24, dev: bond0 }
 */
import { INVALID, int, list, obj, oneOf, optional, plainMapping, str, type Invalid, type Issues, type Path, type Spec } from '../config/schema.ts';
import { readYamlFileData } from '../config/yaml-source.ts';
import { makeProcessSpec, PROBE_DEFAULTS, ProcessSpecError, splitCommand, type ProbeSpec, type ProbeTarget, type ProcessSpec } from './spec.ts';

/** The section as written: every key optional but the command; makeProcessSpec fills defaults and checks ranges. */
export interface ProcessSection {
  argv: string[];
  spec: Partial<ProcessSpec>;
  /** Where this board keeps its copy of the state directory (`ftc run`; the simulator keeps one per board in its run directory). */
  stateDir?: string;
}

const ms = (max: number) => optional(int({ min: 0, max, unit: 'ms' }));

const commandSpec: Spec<string[]> = {
  expect: 'the program and its arguments, e.g. "python3 logger.py" or [python3, logger.py]',
  read(value, path, issues) {
    if (typeof value === 'string') {
      try {
        const argv = splitCommand(value);
        if (argv.length > 0) return argv;
      } catch (e) {
        if (!(e instanceof ProcessSpecError)) throw e;
      }
      issues.add(path, value, value.trim() === '' ? 'is empty' : 'is not a command line (an unclosed quote?)', `write ${this.expect}`);
      return INVALID;
    }
    return list(str({ expect: 'one argument' }), { min: 1, max: 64 }).read(value, path, issues);
  },
};

const hostPort = str({ pattern: /^[^\s:]+:\d{1,5}$/, expect: 'host:port, e.g. 127.0.0.1:8080', lengthMax: 256 });

const probeSpec = obj({
  tcp: optional(hostPort),
  http: optional(str({ pattern: /^https?:\/\/\S+$/, expect: 'an http(s) URL, e.g. http://127.0.0.1:8080/health', lengthMax: 2048 })),
  exec: optional(commandSpec),
  intervalMs: ms(3600_000),
  timeoutMs: ms(3600_000),
  failuresMax: optional(int({ min: 1, max: 100 })),
  startGraceMs: ms(600_000),
});

const sectionSpec = obj({
  command: commandSpec,
  env: optional(plainMapping()),
  cwd: optional(str({ pattern: /^\//, expect: 'an absolute path' })),
  user: optional(str({ expect: 'a user name or uid from /etc/passwd' })),
  stateDir: optional(str({ pattern: /^\//, expect: 'an absolute path, e.g. /var/lib/ftc/process' })),
  syncPeriodMs: ms(60_000),
  syncOn: optional(oneOf(['period', 'mark'] as const)),
  stateBytesMax: optional(int({ min: 1, max: 1 << 30, unit: 'bytes' })),
  stateFilesMax: optional(int({ min: 1, max: 1 << 20 })),
  restartsMax: optional(int({ min: 0, max: 1000 })),
  restartWindowMs: ms(24 * 3600_000),
  stopGraceMs: ms(600_000),
  probe: optional(probeSpec),
  address: optional(obj({ cidr: str({ expect: 'an IPv4 address with its prefix, e.g. 10.77.0.100/24' }), dev: str({ expect: 'an interface, e.g. bond0' }) })),
  netns: optional(str({ expect: 'a network namespace, e.g. ftc-{board}' })),
  watchdogMs: ms(3600_000),
});

/** Only the keys given: makeProcessSpec's defaults stand for the rest. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const processSectionSpec: Spec<ProcessSection> = {
  expect: sectionSpec.expect,
  read(value, path, issues) {
    const r = sectionSpec.read(value, path, issues);
    if (r === INVALID) return INVALID;
    let probe: ProbeSpec | undefined;
    if (r.probe) {
      const p = r.probe;
      const given = (['tcp', 'http', 'exec'] as const).filter((k) => p[k] !== undefined);
      if (given.length !== 1) {
        issues.add([...path, 'probe'], value && (value as Record<string, unknown>).probe, given.length ? `names ${given.join(' and ')}` : 'names no check', 'give exactly one of tcp: host:port, http: URL, exec: command');
        return INVALID;
      }
      let target: ProbeTarget;
      if (p.tcp !== undefined) {
        const i = p.tcp.lastIndexOf(':');
        target = { kind: 'tcp', host: p.tcp.slice(0, i), port: Number(p.tcp.slice(i + 1)) };
      } else if (p.http !== undefined) target = { kind: 'http', url: p.http };
      else target = { kind: 'exec', argv: p.exec! };
      probe = { ...PROBE_DEFAULTS, ...defined({ intervalMs: p.intervalMs, timeoutMs: p.timeoutMs, failuresMax: p.failuresMax, startGraceMs: p.startGraceMs }), target };
    }
    const env = r.env ?? {};
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        issues.add([...path, 'env', k], v, 'is not a string', 'write the variable\'s value as a string');
        return INVALID;
      }
    }
    return {
      argv: r.command,
      ...(r.stateDir !== undefined ? { stateDir: r.stateDir } : {}),
      spec: defined({
        env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
        cwd: r.cwd, user: r.user, syncPeriodMs: r.syncPeriodMs, syncOn: r.syncOn, stateBytesMax: r.stateBytesMax, stateFilesMax: r.stateFilesMax,
        restartsMax: r.restartsMax, restartWindowMs: r.restartWindowMs, stopGraceMs: r.stopGraceMs, probe, address: r.address, netns: r.netns, watchdogMs: r.watchdogMs,
      }),
    };
  },
};

/**
 * The section checked against the rig's cycle period: a ProcessSpec, or INVALID with the problem
 * recorded (its field path under `path`, e.g. process.probe.timeoutMs).
 */
export function processSpecOf(section: ProcessSection, periodMs: number, path: Path, issues: Issues, value?: unknown): ProcessSpec | Invalid {
  try {
    return makeProcessSpec({ ...section.spec, argv: section.argv }, periodMs);
  } catch (e) {
    if (!(e instanceof ProcessSpecError)) throw e;
    // e.field is process.<key>[.<key>]: the same keys under this section's path.
    const keys = e.field.split('.').slice(1);
    let v: unknown = value ?? { ...section.spec, command: section.argv };
    for (const k of keys) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k === 'argv' ? 'command' : k] : undefined;
    // The value is shown by issues.add: not twice.
    const problem = e.problem.startsWith(`${String(v)} `) ? e.problem.slice(String(v).length + 1) : e.problem;
    issues.add([...path, ...keys.map((k) => (k === 'argv' ? 'command' : k))], v, problem, e.fix);
    return INVALID;
  }
}

/** A process config file (`ftc sim --process FILE.yaml`): its top level is the section. */
export function loadProcessFile(file: string, periodMs: number): { spec: ProcessSpec } | { errors: string[] } {
  const { data, issues } = readYamlFileData(file);
  if (!issues.ok) return { errors: issues.messages };
  const top = data && typeof data === 'object' && 'process' in (data as object) ? (data as Record<string, unknown>).process : data;
  const path: Path = data && typeof data === 'object' && 'process' in (data as object) ? ['process'] : [];
  const section = processSectionSpec.read(top, path, issues);
  if (section === INVALID) return { errors: issues.messages };
  const spec = processSpecOf(section, periodMs, path, issues, top);
  return spec === INVALID ? { errors: issues.messages } : { spec };
}
