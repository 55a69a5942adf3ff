/**
 * Loading the user's workload module (adapter ring: it imports a file and hashes it).
 *
 * `loadWorkload(path, options)` imports the module (JavaScript, or TypeScript through tsx), calls
 * its default export with the options when it is a function, checks the shape, fills in the
 * default state encoding (deterministic CBOR, src/workload/state-codec.ts) and returns the
 * workload with its identity: name, version and a hash of the module's file, which boards compare
 * before they form a rig. Anything wrong is a WorkloadLoadError naming the module, the field and
 * the fix (the CLI prints it and exits 2).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fnv1a32, fnv1a64 } from '../voter/hash.ts';
import { checkWorkloadShape, WorkloadShapeError, type WorkloadDefinition } from './define.ts';
import { checkStateValue, decodeState, encodeState, StateShapeError } from './state-codec.ts';
import type { PlantFactory, Workload } from './types.ts';

export class WorkloadLoadError extends Error {
  readonly exitCode = 2;
  constructor(readonly modulePath: string, message: string) {
    super(`workload ${modulePath}: ${message}`);
    this.name = 'WorkloadLoadError';
  }
}

export interface WorkloadIdentity {
  name: string;
  version: string;
  /** SHA-256 of the module file, hex, first 16 characters (boards with different code refuse to form a rig). */
  codeHash: string;
}

export interface LoadedWorkload {
  /** The absolute path it was loaded from. */
  path: string;
  workload: Workload<unknown>;
  identity: WorkloadIdentity;
  /** The module's simulated world, if it exports one. */
  plant: PlantFactory | null;
  options: Readonly<Record<string, unknown>>;
}

/** Module files larger than this are not a workload (and would slow every board's start). */
const MODULE_BYTES_MAX = 4 * 1024 * 1024;

let tsxRegistered = false;
async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.(ts|mts|cts|tsx)$/.test(file) && !tsxRegistered && !process.execArgv.some((a) => a.includes('tsx'))) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** A workload definition completed with the default encoding where it gives none. */
export function completeWorkload<S>(d: WorkloadDefinition<S>, id?: number): Workload<S> {
  const encode = d.encode ? d.encode.bind(d) : (s: S) => encodeState(s);
  const decode = d.decode ? d.decode.bind(d) : (b: Uint8Array) => decodeState(b) as S;
  return {
    name: d.name,
    ...(d.version !== undefined ? { version: d.version } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(d.class !== undefined ? { class: d.class } : {}),
    inputs: d.inputs,
    outputs: d.outputs,
    safeOutputs: d.safeOutputs,
    init: () => d.init(),
    step: (s, inputs) => {
      const r = d.step(s, inputs);
      // A programmer error: lockstep boards must all step within the cycle, in the same way.
      if (r instanceof Promise) throw new TypeError(`workload ${d.name}: step returned a Promise; a lockstep step must be synchronous (declare class: 'checkpoint' for an asynchronous one)`);
      return r;
    },
    stepAsync: async (s, inputs) => await d.step(s, inputs),
    encode,
    decode,
    digest: (s) => fnv1a64(encode(s)),
  };
}

export function workloadIdentityString(id: WorkloadIdentity): string {
  return `${id.name}@${id.version}#${id.codeHash}`;
}

/** The identity as the 32 bits a Join carries (never 0, which means "not given"). */
export function workloadId(id: WorkloadIdentity): number {
  return fnv1a32(new TextEncoder().encode(workloadIdentityString(id))) || 1;
}

export async function loadWorkload(path: string, options: Readonly<Record<string, unknown>> = {}, cwd = process.cwd()): Promise<LoadedWorkload> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  const fail = (m: string): never => { throw new WorkloadLoadError(path, m); };
  if (!existsSync(file)) fail(`no such file (looked at ${file}); fix: give the path of a .js, .mjs or .ts module whose default export is the workload`);
  if (!statSync(file).isFile()) fail('not a file; fix: give the path of the module itself, not its directory');
  const source = readFileSync(file);
  if (source.length > MODULE_BYTES_MAX) fail(`${source.length} bytes; fix: a workload module is at most ${MODULE_BYTES_MAX} bytes`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    return fail(`does not load: ${(e as Error).message.split('\n')[0]}; fix: run it with node to see the error in full`);
  }
  let def: unknown = mod.default;
  if (def === undefined) fail('no default export; fix: export default { name, inputs, outputs, safeOutputs, init, step }');
  if (typeof def === 'function') {
    try {
      def = (def as (o: Readonly<Record<string, unknown>>) => unknown)(options);
    } catch (e) {
      fail(`its default export, called with the options ${JSON.stringify(options)}, threw: ${(e as Error).message}; fix: check workload.options in the config`);
    }
  }
  try {
    checkWorkloadShape(def);
  } catch (e) {
    if (e instanceof WorkloadShapeError) fail(e.message);
    throw e;
  }
  const plant = mod.plant;
  if (plant !== undefined && typeof plant !== 'function') fail('plant: not a function; fix: export function plant({ seed, options, periodS }) { return { sensorsFor, step } }, or leave it out');
  const d = def as WorkloadDefinition<unknown>;
  let init: unknown;
  try {
    init = d.init();
  } catch (e) {
    fail(`init() threw: ${(e as Error).message}; fix: init must return the initial state without I/O`);
  }
  if (!d.encode) {
    try {
      checkStateValue(init);
    } catch (e) {
      if (e instanceof StateShapeError) fail(`init(): ${e.message}; fix: keep the state to plain data, or give encode and decode`);
      throw e;
    }
  }
  const codeHash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const identity = { name: d.name, version: d.version ?? '0', codeHash };
  const workload = completeWorkload(d, workloadId(identity));
  return {
    path: file,
    workload,
    identity,
    plant: (plant as PlantFactory | undefined) ?? null,
    options,
  };
}
