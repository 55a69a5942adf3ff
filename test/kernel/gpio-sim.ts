/**
 * gpio-sim for the kernel suite, built out of tree: Debian's 6.1 kernel has GPIO_SYSFS=y but
 * neither GPIO_SIM nor GPIO_MOCKUP nor IRQ_SIM. gpio-sim (drivers/gpio/gpio-sim.c, configured
 * through configfs: Documentation/admin-guide/gpio/gpio-sim.rst) and the interrupt simulator it
 * needs (kernel/irq/irq_sim.c) are taken from Debian's linux-source package of the same version
 * as the headers, and built as ONE module, gpio-sim.ko, with `make -C <headers> M=<dir>`
 * (Documentation/kbuild/modules.rst).
 *
 * Only what the build needs is installed: linux-headers-<version> (it pulls -common, kbuild and
 * the compiler package, no linux-image; checked before installing). linux-source is downloaded,
 * not installed, and only four files are taken out of its tarball. The module is cached under
 * <cache>/<version>/gpio-sim-<key>/ by a hash of its inputs (kernel version, headers package
 * version, the sources after patching, the Kbuild file), so a warm run builds nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MIN = 60_000;
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };

/** Runs a command with a timeout; throws naming the command, its status and its output's tail. */
function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs: number; what: string }): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env, encoding: 'utf8', timeout: opts.timeoutMs, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `no end within ${opts.timeoutMs / 1000} s` : r.error.message) : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`gpio-sim: ${opts.what} failed (${cmd} ${args.join(' ')}: ${why})${tail ? `:\n${tail}` : ''}`);
  }
  return r.stdout;
}

/** The files taken from linux-source, and where they go in the build directory. */
const SOURCES: ReadonlyArray<readonly [from: string, to: string]> = [
  // Renamed: a module made of several objects cannot share its name with one of them.
  ['drivers/gpio/gpio-sim.c', 'gpio-sim-core.c'],
  ['drivers/gpio/gpiolib.h', 'gpiolib.h'], // gpio-sim.c reaches into struct gpio_device
  ['kernel/irq/irq_sim.c', 'irq_sim.c'],
];
const KBUILD = 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-core.o irq_sim.o\n';

/**
 * The one change, to irq_sim.c: it delivers a simulated interrupt with
 * handle_simple_irq(irq_to_desc(irq)), and irq_to_desc is not exported to modules (irq_sim is
 * always built in upstream, so it may use it). generic_handle_domain_irq(domain, hwirq) is
 * exported and does the same lookup and flow-handler call (kernel/irq/irqdesc.c) from the hard
 * irq_work context irq_sim runs in. Its exports (irq_domain_create_sim, ...) stay: the kernel
 * has no IRQ_SIM, so they clash with nothing and become this module's own.
 */
const PATCH: ReadonlyArray<{ file: string; from: string; to: string }> = [
  { file: 'irq_sim.c', from: '\tunsigned int offset = 0;\n\tint irqnum;\n', to: '\tunsigned int offset = 0;\n' },
  {
    file: 'irq_sim.c',
    from: '\t\tirqnum = irq_find_mapping(work_ctx->domain, offset);\n\t\thandle_simple_irq(irq_to_desc(irqnum));\n',
    to: '\t\t/* ftc: irq_to_desc is not exported to modules (test/kernel/gpio-sim.ts) */\n\t\tgeneric_handle_domain_irq(work_ctx->domain, offset);\n',
  },
];

/** "6.1.0-50-amd64" → "linux-source-6.1". */
export function sourcePackage(version: string): string {
  const m = /^(\d+\.\d+)\./.exec(version);
  if (!m) throw new Error(`gpio-sim: kernel version ${version} is not N.N.x`);
  return `linux-source-${m[1]}`;
}

function installedVersion(pkg: string): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}${Version}', pkg], { encoding: 'utf8', timeout: MIN });
  const m = /^ii\s*(\S+)/.exec(r.stdout ?? '');
  return r.status === 0 && m ? m[1] : undefined;
}

/** linux-headers-<version>, installed with apt-get if missing, after checking that it pulls in no kernel image. */
function ensureHeaders(version: string, say: (s: string) => void): { dir: string; pkgVersion: string } {
  const pkg = `linux-headers-${version}`;
  const dir = `/usr/src/${pkg}`;
  let pkgVersion = installedVersion(pkg);
  if (!pkgVersion || !existsSync(join(dir, 'Makefile'))) {
    const args = ['install', '-y', '-q', '--no-install-recommends', pkg];
    let plan: string;
    try {
      plan = run('apt-get', ['-s', ...args], { timeoutMs: 2 * MIN, what: `planning apt-get install ${pkg}` });
    } catch {
      run('apt-get', ['update', '-q'], { timeoutMs: 10 * MIN, what: 'apt-get update' });
      plan = run('apt-get', ['-s', ...args], { timeoutMs: 2 * MIN, what: `planning apt-get install ${pkg}` });
    }
    const images = [...plan.matchAll(/^Inst (linux-image-\S+)/gm)].map((m) => m[1]);
    if (images.length) throw new Error(`gpio-sim: installing ${pkg} would install ${images.join(', ')}; refusing (a kernel image must not be installed on the host). Install ${pkg} by hand without it.`);
    say(`installing ${pkg} (to build gpio-sim against; no kernel image)`);
    run('apt-get', args, { timeoutMs: 15 * MIN, what: `apt-get install ${pkg}` });
    pkgVersion = installedVersion(pkg);
    if (!pkgVersion || !existsSync(join(dir, 'Makefile'))) throw new Error(`gpio-sim: ${pkg} is installed but ${dir}/Makefile is missing`);
  }
  return { dir, pkgVersion };
}

/**
 * The pristine source files, from linux-source-N.N=<pkgVersion> (downloaded with apt-get
 * download, never installed; its tarball streamed through tar, only SOURCES kept), cached in
 * <cache>/src/<pkg>_<pkgVersion>/. The .deb (~140 MB) is deleted once read.
 */
function ensureSources(cache: string, version: string, pkgVersion: string, say: (s: string) => void): string {
  const pkg = sourcePackage(version);
  const dir = join(cache, 'src', `${pkg}_${pkgVersion}`);
  if (SOURCES.every(([from]) => existsSync(join(dir, from)))) return dir;
  const debDir = join(cache, 'deb');
  mkdirSync(debDir, { recursive: true });
  say(`downloading ${pkg}=${pkgVersion} (not installed: ${SOURCES.length} files are taken out of it)`);
  run('apt-get', ['download', `${pkg}=${pkgVersion}`], { cwd: debDir, timeoutMs: 10 * MIN, what: `apt-get download ${pkg}=${pkgVersion} (its version must match the headers')` });
  const deb = readdirSync(debDir).find((f) => f.startsWith(`${pkg}_${pkgVersion.replace(/^\d+:/, '')}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`gpio-sim: apt-get download ${pkg}=${pkgVersion} left no .deb in ${debDir}`);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // The .deb holds usr/src/linux-source-N.N.tar.xz, whose members start with linux-source-N.N/.
  const members = SOURCES.map(([from]) => `'${pkg}/${from}'`).join(' ');
  run('bash', ['-o', 'pipefail', '-c', `dpkg-deb --fsys-tarfile '${join(debDir, deb)}' | tar -xO './usr/src/${pkg}.tar.xz' | tar -xJ -C '${tmp}' --strip-components=1 ${members}`], {
    timeoutMs: 5 * MIN,
    what: `extracting ${SOURCES.map(([f]) => f).join(', ')} from ${deb}`,
  });
  for (const [from] of SOURCES) if (!existsSync(join(tmp, from))) throw new Error(`gpio-sim: ${from} is not in ${deb}`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  rmSync(join(debDir, deb), { force: true });
  return dir;
}

/**
 * gpio-sim.ko for `version` (as run.ts resolves it from linux-image-amd64), built if its cache
 * entry is missing; returns its path. Throws with the failing step and its output.
 */
export function ensureGpioSim(opts: { cache: string; version: string; say: (s: string) => void }): string {
  const { cache, version, say } = opts;
  const headers = ensureHeaders(version, say);
  const src = ensureSources(cache, version, headers.pkgVersion, say);
  const files = new Map(SOURCES.map(([from, to]) => [to, readFileSync(join(src, from), 'utf8')]));
  for (const p of PATCH) {
    const text = files.get(p.file)!;
    const at = text.indexOf(p.from);
    if (at < 0 || text.indexOf(p.from, at + 1) >= 0) throw new Error(`gpio-sim: the patch to ${p.file} does not apply to ${sourcePackage(version)} ${headers.pkgVersion} (text ${JSON.stringify(p.from)} found ${at < 0 ? 'nowhere' : 'twice'}): update PATCH in test/kernel/gpio-sim.ts`);
    files.set(p.file, text.slice(0, at) + p.to + text.slice(at + p.from.length));
  }
  const key = createHash('sha256').update(JSON.stringify({ version, headers: headers.pkgVersion, files: [...files], KBUILD, v: 1 })).digest('hex').slice(0, 16);
  const dir = join(cache, version, `gpio-sim-${key}`);
  const ko = join(dir, 'gpio-sim.ko');
  if (existsSync(ko)) return ko;
  const t0 = Date.now();
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(tmp, name), text);
  writeFileSync(join(tmp, 'Kbuild'), KBUILD);
  run('make', ['-C', headers.dir, `M=${tmp}`, '-j2', 'modules'], { timeoutMs: 10 * MIN, what: `building gpio-sim.ko against ${headers.dir}` });
  const vermagic = run('modinfo', ['-F', 'vermagic', join(tmp, 'gpio-sim.ko')], { timeoutMs: MIN, what: 'modinfo gpio-sim.ko' }).trim();
  if (!vermagic.startsWith(`${version} `)) throw new Error(`gpio-sim: built for "${vermagic}", not ${version}`);
  // Built under .tmp and renamed: an interrupted build never leaves a gpio-sim.ko to be trusted.
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  say(`built gpio-sim.ko in ${((Date.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  return ko;
}
