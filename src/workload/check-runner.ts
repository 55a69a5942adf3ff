/**
 * The child process of `ftc workload check` (src/workload/check.ts forks two): loads the workload,
 * runs init and step over the seeded inputs and reports over IPC what it saw. Also exports the
 * run itself (runTrial) and the guards, which tests call in their own process.
 *
 * The guards: while a workload function runs (init, step, encode, decode), the clock, randomness,
 * timers, `process` and I/O throw an error naming what was reached, and the first one is recorded
 * even if the workload catches the error. They are installed once around the run (the wrappers
 * pass calls through while no workload function runs, so this file's own work is unaffected) and
 * always removed after it. ESM named imports of builtins (`import { readFileSync } from 'node:fs'`)
 * see the wrappers too (syncBuiltinESMExports). What they cannot see: a function the module copied
 * into a variable of its own when it loaded (`const now = Date.now`), or work done while it loads.
 */
import { createHash } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import { signalPlant } from '../sim/signal-plant.ts';
import type { Problem, TrialMessage, TrialParams, TrialResult } from './check.ts';
import { clip, outputsProblem } from './check.ts';
import { loadWorkload, WorkloadLoadError } from './loader.ts';
import { STATE_BYTES_MAX, StateShapeError } from './state-codec.ts';
import type { Workload } from './types.ts';

type Reach = 'time' | 'randomness' | 'timer' | 'process' | 'io';
const FIX: Record<Reach, string> = {
  time: 'take time as an input signal, or count cycles in the state (the period is fixed)',
  randomness: 'take randomness as an input, or seed a PRNG kept in the state',
  timer: 'do the work within the call and return: the rig calls step once a cycle, nothing may be scheduled',
  process: 'read the environment once when the module loads, or take it as options (export default a function of options)',
  io: 'leave I/O to the rig (it reads the inputs and drives the outputs): a step only computes',
};

/** The workload function running now (null: none, the guards let calls through), and its cycle. */
let armed: { fn: string; cycle: number } | null = null;
/** The first guarded thing reached during the run. */
let reached: Problem | null = null;

class GuardError extends Error {
  override name = 'GuardError';
}

function reach(what: string, kind: Reach): void {
  if (armed === null) return;
  const detail = `${armed.fn} called ${what}${armed.cycle >= 0 ? ` at cycle ${armed.cycle}` : ''}`;
  reached ??= { cycle: armed.cycle, detail, fix: FIX[kind] };
  throw new GuardError(`${detail}, which a workload may not do (ftc workload check); fix: ${FIX[kind]}`);
}

function guarded<F extends Function>(f: F, what: string, kind: Reach): F {
  return new Proxy(f, {
    apply: (t, self, args) => { reach(what, kind); return Reflect.apply(t, self, args) as unknown; },
    construct: (t, args, newTarget) => { reach(what, kind); return Reflect.construct(t, args, newTarget) as object; },
  });
}

const require = createRequire(import.meta.url);
/** Builtin modules whose every function is I/O (or starts a process); their ESM bindings are synced too. */
const IO_MODULES = ['fs', 'fs/promises', 'net', 'dgram', 'child_process'] as const;
const RANDOM_CRYPTO = ['randomBytes', 'randomFill', 'randomFillSync', 'randomInt', 'randomUUID', 'getRandomValues', 'pseudoRandomBytes'];
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'];

/** Makes the clock, randomness, timers, process and I/O throw while a workload function runs; returns the undo. */
export function installGuards(): () => void {
  const saved: Array<{ obj: object; key: string; desc: PropertyDescriptor | undefined }> = [];
  const put = (obj: object, key: string, value: unknown) => {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    saved.push({ obj, key, desc });
    Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: desc?.enumerable ?? false });
  };
  const wrap = (obj: object, key: string, what: string, kind: Reach) => {
    const own = Object.getOwnPropertyDescriptor(obj, key);
    if (own && !own.configurable) return; // fixed by Node (e.g. node:crypto's getRandomValues getter, which calls the one wrapped below)
    const f = (obj as Record<string, unknown>)[key];
    if (typeof f === 'function') put(obj, key, guarded(f, what, kind));
  };
  try {
    wrap(Date, 'now', 'Date.now', 'time');
    // Date(0) and new Date(ms) are pure; only the current time is refused.
    put(globalThis, 'Date', new Proxy(Date, {
      apply: (t, self, args) => { reach('Date()', 'time'); return Reflect.apply(t, self, args) as unknown; },
      construct: (t, args, newTarget) => { if (args.length === 0) reach('new Date()', 'time'); return Reflect.construct(t, args, newTarget) as object; },
    }));
    wrap(performance, 'now', 'performance.now', 'time');
    wrap(process.hrtime, 'bigint', 'process.hrtime.bigint', 'time');
    wrap(process, 'hrtime', 'process.hrtime', 'time');
    wrap(process, 'uptime', 'process.uptime', 'time');
    wrap(Math, 'random', 'Math.random', 'randomness');
    // On the prototype: node:crypto's getRandomValues looks it up there on each call.
    const webCrypto = Object.getPrototypeOf(globalThis.crypto) as object;
    wrap(webCrypto, 'getRandomValues', 'crypto.getRandomValues', 'randomness');
    wrap(webCrypto, 'randomUUID', 'crypto.randomUUID', 'randomness');
    const nodeCrypto = require('node:crypto') as Record<string, unknown>;
    for (const k of RANDOM_CRYPTO) wrap(nodeCrypto, k, `crypto.${k}`, 'randomness');
    const timers = require('node:timers') as Record<string, unknown>;
    for (const k of TIMERS) {
      wrap(globalThis, k, k, 'timer');
      wrap(timers, k, k, 'timer');
    }
    const timersPromises = require('node:timers/promises') as Record<string, unknown>;
    for (const k of ['setTimeout', 'setInterval', 'setImmediate']) wrap(timersPromises, k, `timers/promises.${k}`, 'timer');
    wrap(globalThis, 'fetch', 'fetch', 'io');
    for (const name of IO_MODULES) {
      const mod = require(`node:${name}`) as Record<string, unknown>;
      for (const [k, desc] of Object.entries(Object.getOwnPropertyDescriptors(mod))) {
        // Getters (lazy classes, fs.promises) are left alone: their targets are patched or are classes.
        if ('value' in desc && desc.writable && typeof desc.value === 'function') wrap(mod, k, `${name}.${k}`, 'io');
      }
    }
    // Any access to the global `process` (env, argv, pid, exit, nextTick, stdout...).
    const realProcess = process;
    put(globalThis, 'process', new Proxy(realProcess, {
      get: (t, k) => { reach(`process.${String(k)}`, 'process'); return Reflect.get(t, k) as unknown; },
      set: (t, k, v) => { reach(`process.${String(k)} =`, 'process'); return Reflect.set(t, k, v); },
      has: (t, k) => { reach(`'${String(k)}' in process`, 'process'); return Reflect.has(t, k); },
    }));
    syncBuiltinESMExports();
  } catch (e) {
    undo();
    throw e;
  }
  function undo(): void {
    armed = null;
    for (const { obj, key, desc } of saved.reverse()) {
      if (desc) Object.defineProperty(obj, key, desc);
      else delete (obj as Record<string, unknown>)[key];
    }
    saved.length = 0;
    syncBuiltinESMExports();
  }
  return undo;
}

/** Thrown out of a workload call once a guard was reached (even if the workload swallowed it). */
const STOP = Symbol('reached');

function call<T>(fn: string, cycle: number, f: () => T): T {
  armed = { fn, cycle };
  try {
    return f();
  } finally {
    armed = null;
    if (reached !== null) throw STOP;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function sameOutputs(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

const message = (e: unknown) => clip(e instanceof Error ? e.message : String(e), 300);
const FIX_CODEC = 'give encode and decode that keep every field step uses, exactly (or leave both out: ftc then encodes the state as deterministic CBOR)';
const FIX_PLAIN = 'keep the state to plain data (numbers, strings, booleans, null, arrays, plain objects, typed arrays), or give encode and decode';

/**
 * Runs init and then `cycles` steps over the seeded inputs (board 0). As a lockstep workload,
 * under the guards; as a checkpoint workload (`asClass`), without them (it may read clocks and
 * call out) and awaiting a step that returns a Promise.
 */
export function runTrial(w: Workload<unknown>, seed: number, cycles: number, asClass: 'lockstep' | 'checkpoint' = 'lockstep'): Promise<TrialResult> {
  // The guards and what they record are the process's own: trials run one after the other,
  // never interleaved at an await (tests start several at once).
  const run = trials.then(() => runTrialAlone(w, seed, cycles, asClass));
  trials = run.then(() => undefined, () => undefined);
  return run;
}
let trials: Promise<void> = Promise.resolve();

async function runTrialAlone(w: Workload<unknown>, seed: number, cycles: number, asClass: 'lockstep' | 'checkpoint'): Promise<TrialResult> {
  const checkpoint = asClass === 'checkpoint';
  const stepOf = (s: unknown, inputs: readonly number[]) => (checkpoint && w.stepAsync ? w.stepAsync(s, inputs) : w.step(s, inputs));
  // CPU time, not wall time: the step's own cost. On a busy machine (CI running tests side by side)
  // a preempted step's wall time grows by whatever else ran, and would fail a cheap step.
  // getrusage(2) counts this process's threads; the guards forbid blocking, so CPU is the cost.
  const cpu = process.cpuUsage; // taken before the guards wrap anything
  const plant = signalPlant(seed, w.inputs);
  const digests: string[] = [];
  const timesUs = new Float64Array(cycles);
  let roundTrip: Problem | null = null;
  let outputs: Problem | null = null;
  let stopped: TrialResult['stopped'] = null;
  let cycle = -1;
  let doing = 'init';
  const encodeChecked = (s: unknown, what: string): Uint8Array => {
    doing = `encode (${what})`;
    const bytes = call('encode', cycle, () => w.encode(s));
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`encode returned ${Object.prototype.toString.call(bytes)}, not a Uint8Array`);
    if (bytes.length > STATE_BYTES_MAX) throw new RangeError(`encode returned ${bytes.length} bytes; a state travels as a snapshot, at most ${STATE_BYTES_MAX}`);
    return bytes;
  };
  reached = null;
  const undo = checkpoint ? () => {} : installGuards();
  try {
    let state = call('init', -1, () => w.init());
    let bytes = encodeChecked(state, 'the initial state');
    for (cycle = 0; cycle < cycles; cycle++) {
      const inputs = plant.sensorsFor(0, cycle);
      // The state this cycle starts from, through decode: the same bytes, and (below) the same step.
      let decoded: { s: unknown } | null = null;
      if (roundTrip === null) {
        try {
          doing = 'decode';
          const s = call('decode', cycle, () => w.decode(bytes));
          const again = encodeChecked(s, 'the decoded state');
          if (!sameBytes(bytes, again)) roundTrip = { cycle, detail: `cycle ${cycle}: encode(decode(encode(s))) is ${again.length} bytes that differ from encode(s) (${bytes.length} bytes)`, fix: FIX_CODEC };
          else decoded = { s };
        } catch (e) {
          if (e === STOP) throw e;
          roundTrip = { cycle, detail: `cycle ${cycle}: ${doing} threw: ${message(e)}`, fix: e instanceof StateShapeError ? FIX_PLAIN : FIX_CODEC };
        }
      }
      doing = 'step';
      const t0 = cpu();
      const r = await call('step', cycle, () => stepOf(state, inputs)) as { state?: unknown; outputs?: unknown } | null;
      if (typeof r !== 'object' || r === null || !('state' in r)) {
        outputs ??= { cycle, detail: `step at cycle ${cycle} returned ${clip(JSON.stringify(r) ?? String(r), 80)}, not { state, outputs }`, fix: 'return { state: nextState, outputs: [one number per output] }' };
        stopped = { cycle, check: 'step-outputs' };
        break;
      }
      let next: Uint8Array;
      try {
        next = encodeChecked(r.state, `the state step returned`);
      } catch (e) {
        if (e === STOP) throw e;
        roundTrip ??= { cycle, detail: `cycle ${cycle}: ${doing} threw: ${message(e)}`, fix: e instanceof StateShapeError ? FIX_PLAIN : FIX_CODEC };
        stopped = { cycle, check: 'round-trip' };
        break;
      }
      const dt = cpu(t0);
      timesUs[cycle] = dt.user + dt.system;
      const bad = outputsProblem(w.outputs, r.outputs);
      if (bad) outputs ??= { cycle, detail: `step at cycle ${cycle}: ${bad}`, fix: 'return one finite number per output signal: integers for discrete ones, inside min..max where declared (clamp)' };
      const outs = Array.isArray(r.outputs) ? (r.outputs as unknown[]).map(Number) : [];
      const outBytes = new Uint8Array(new Float64Array(outs).buffer);
      digests.push(createHash('sha256').update(next).digest('hex').slice(0, 8) + createHash('sha256').update(outBytes).digest('hex').slice(0, 8));
      // Stepping the decoded state the same way is a determinism question: not asked of a checkpoint workload.
      if (decoded !== null && roundTrip === null && !checkpoint) {
        try {
          doing = 'step (of the decoded state)';
          const rd = await call('step', cycle, () => stepOf(decoded.s, inputs)) as { state?: unknown; outputs?: unknown } | null;
          const nd = encodeChecked(rd?.state, 'the state stepped from the decoded state');
          if (!sameBytes(next, nd) || !sameOutputs(outs, Array.isArray(rd?.outputs) ? (rd.outputs as unknown[]).map(Number) : [])) {
            roundTrip = {
              cycle,
              detail: `cycle ${cycle}: stepping decode(encode(s)) gave ${sameBytes(next, nd) ? 'other outputs' : 'another state'} than stepping s: the encoding loses something step uses (or step keeps state outside the state)`,
              fix: FIX_CODEC,
            };
          }
        } catch (e) {
          if (e === STOP) throw e;
          roundTrip = { cycle, detail: `cycle ${cycle}: ${doing} threw: ${message(e)}; the decoded state is not what step expects`, fix: FIX_CODEC };
        }
      }
      state = r.state;
      bytes = next;
    }
  } catch (e) {
    const at = Math.max(0, cycle);
    if (e === STOP || reached !== null) stopped = { cycle: at, check: 'no-time-random-io' };
    else if (doing === 'init' || doing === 'step') {
      // The workload threw on its own state and inputs: the run cannot go on.
      outputs ??= { cycle, detail: `${doing}${cycle >= 0 ? ` at cycle ${cycle}` : ''} threw: ${message(e)}`, fix: 'init and step must return for every state and input in range; run them under node to see the stack' };
      stopped = { cycle: at, check: 'step-outputs' };
    } else {
      roundTrip ??= { cycle, detail: `${doing} threw: ${message(e)}`, fix: e instanceof StateShapeError ? FIX_PLAIN : FIX_CODEC };
      stopped = { cycle: at, check: 'round-trip' };
    }
  } finally {
    undo();
  }
  const n = digests.length;
  return {
    cycles,
    cyclesRun: n,
    digests,
    stopped,
    roundTrip,
    reached,
    outputs,
    stepTimesUs: Array.from(timesUs.subarray(0, n), (us) => Math.round(us * 10) / 10),
  };
}

function parseParams(raw: string | undefined): TrialParams {
  const p = JSON.parse(raw ?? '') as Partial<TrialParams>;
  if (typeof p.path !== 'string' || typeof p.seed !== 'number' || typeof p.cycles !== 'number' || typeof p.options !== 'object' || p.options === null) {
    throw new TypeError('check-runner: give one argument, the JSON of { path, options, seed, cycles } (src/workload/check.ts forks it)');
  }
  return p as TrialParams;
}

async function main(): Promise<void> {
  const send = (m: TrialMessage) => new Promise<void>((done) => process.send!(m, () => done()));
  if (!process.send) throw new Error('check-runner: run by `ftc workload check` (it reports over IPC)');
  const params = parseParams(process.argv[2]);
  let loaded;
  try {
    loaded = await loadWorkload(params.path, params.options);
  } catch (e) {
    if (!(e instanceof WorkloadLoadError)) throw e;
    await send({ kind: 'load-failed', message: e.message });
    process.exit(0);
  }
  const w = loaded.workload;
  await send({ kind: 'loaded', path: loaded.path, identity: loaded.identity, inputs: [...w.inputs], outputs: [...w.outputs], safeOutputs: [...w.safeOutputs], class: w.class ?? 'lockstep' });
  const result = await runTrial(w, params.seed, params.cycles, params.asClass ?? w.class ?? 'lockstep');
  await send({ kind: 'result', result });
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

