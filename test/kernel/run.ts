/**
 * `npm run test:kernel`: our device drivers and adapters against a real Linux kernel. Boots Debian's
 * kernel in QEMU (TCG: no KVM needed) with a busybox initramfs; the guest mounts this machine's
 * root read-only over 9p and runs the host's own node and native addons (test/kernel/init.sh,
 * guest.sh). Boots, each bounded by a timeout:
 *   devices  ava on test/kernel/*.kernel.ts: softdog through our /dev/watchdog driver, i2c-stub
 *            through our I²C adapter and INA219 driver, gpio-sim (built here: gpio-sim.ts) through
 *            our GPIO adapter
 *   abandon, stall, nowayout
 *            boots that must end in a reset by softdog ("Initiating system reboot" on the
 *            console, QEMU ended by it): feeding abandoned without the magic 'V', a supervised
 *            task that stops checking in, a clean disarm under nowayout=1 (reset-guest.ts)
 *   perms    our adapters as an unprivileged user: EACCES with the fix, then fine once udevd
 *            applied hw/udev/99-ftc.rules (perms.sh, perms-guest.ts)
 *   board    three `ftc run` boards in the guest on gpio-sim, i2c-stub and softdog, the sequencer
 *            example on their GPIO; b1 loses a PSU and hands over, then stalls and is reset
 *            (board-guest.ts)
 * `npm run test:kernel -- stall nowayout` runs only the boots named.
 * Everything it needs comes from Debian's packages (qemu-system-x86, busybox-static, kmod, the
 * kernel image downloaded, not installed; linux-headers installed and linux-source downloaded to
 * build gpio-sim), cached in /var/cache/ftc-kernel. It skips (exit 0) with one message where it
 * cannot run: not root, no apt-get, or no QEMU to be had.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGpioSim } from './gpio-sim.ts';

const here = dirname(fileURLToPath(import.meta.url));
const checkout = join(here, '..', '..');
const cache = process.env.FTC_KERNEL_CACHE ?? '/var/cache/ftc-kernel';
/** A boot that runs longer than this is killed and fails (TCG: the device suite takes ~1 min). */
const BOOT_TIMEOUT_MS = 240_000;
/** Modules the guest loads (their dependencies are added from modules.dep). configfs: gpio-sim's. */
const MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'softdog', 'i2c-dev', 'i2c-stub', 'configfs'];

const say = (s: string) => process.stderr.write(`test:kernel: ${s}\n`);
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const sh = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });

function skip(why: string): never {
  say(`skipped: ${why}`);
  process.exit(0);
}

function ensurePackages(): void {
  const missing = [['qemu-system-x86_64', 'qemu-system-x86'], ['busybox', 'busybox-static'], ['depmod', 'kmod'], ['udevadm', 'udev']].filter(([c]) => !has(c!)).map(([, p]) => p!);
  if (missing.length === 0) return;
  say(`installing ${missing.join(', ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  }
  if (r.status !== 0 || !has('qemu-system-x86_64')) skip(`could not install ${missing.join(', ')} with apt-get`);
}

/** The kernel image package linux-image-amd64 points at, downloaded and unpacked once. */
function ensureKernel(): { version: string; vmlinuz: string; modules: string } {
  // A fresh machine may have no package lists yet: fetch them once and ask again.
  const depends = () => spawnSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' }).stdout ?? '';
  let found = depends();
  if (!/Depends: linux-image-6/.test(found)) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    found = depends();
  }
  const dep = found.match(/Depends: (linux-image-(6\.[\d.]+-\d+-amd64))/);
  if (!dep) throw new Error('apt-cache depends linux-image-amd64 names no linux-image-6.x: is this Debian 12?');
  const [pkg, version] = [dep[1]!, dep[2]!];
  const root = join(cache, version);
  const vmlinuz = join(root, 'boot', `vmlinuz-${version}`);
  const modules = join(root, 'lib', 'modules', version);
  if (!existsSync(join(modules, 'modules.dep'))) {
    mkdirSync(join(cache, 'deb'), { recursive: true });
    say(`downloading ${pkg} (not installed: only unpacked into ${root})`);
    sh('apt-get', ['download', pkg], join(cache, 'deb'));
    const deb = readdirSync(join(cache, 'deb')).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${join(cache, 'deb')}`);
    rmSync(root, { recursive: true, force: true });
    sh('dpkg-deb', ['-x', join(cache, 'deb', deb), root]);
    sh('depmod', ['-b', root, version]);
  }
  return { version, vmlinuz, modules };
}

/**
 * The initramfs: static busybox, the modules in load order (then `extra`, modules built here, whose
 * dependencies are in MODULES), init.sh; rebuilt when any of them changes.
 */
function ensureInitramfs(k: { version: string; modules: string }, extra: string[] = []): string {
  const order: string[] = [];
  for (const m of MODULES) {
    for (const line of sh('modprobe', ['-d', join(k.modules, '..', '..', '..'), '-S', k.version, '--show-depends', m]).split('\n')) {
      const p = /^insmod (\S+)/.exec(line)?.[1];
      if (p && !order.includes(p)) order.push(p);
    }
  }
  order.push(...extra);
  const init = readFileSync(join(here, 'init.sh'), 'utf8');
  const key = createHash('sha256').update(JSON.stringify({ order, init, checkout, v: 1 })).digest('hex').slice(0, 16);
  const out = join(cache, `initramfs-${k.version}-${key}.cpio`);
  if (existsSync(out)) return out;
  const dir = join(cache, `initramfs-${key}`);
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['bin', 'proc', 'sys', 'dev', 'mod', 'host', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(sh('sh', ['-c', 'command -v busybox']).trim(), join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const p of order) copyFileSync(p, join(dir, 'mod', p.split('/').pop()!));
  writeFileSync(join(dir, 'modules.order'), `${order.map((p) => p.split('/').pop()).join('\n')}\n`);
  writeFileSync(join(dir, 'checkout'), checkout);
  writeFileSync(join(dir, 'init'), init);
  chmodSync(join(dir, 'init'), 0o755);
  execFileSync('sh', ['-c', `cd '${dir}' && find . | busybox cpio -o -H newc > '${out}.tmp' 2>/dev/null && mv '${out}.tmp' '${out}'`]);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

interface Boot { code: number | null; console: string; ms: number; timedOut: boolean }

function boot(k: { vmlinuz: string }, initrd: string, suite: string, append = ''): Promise<Boot> {
  const t0 = Date.now();
  const args = [
    '-m', '2048', '-smp', '2', '-nographic', '-no-reboot', '-kernel', k.vmlinuz, '-initrd', initrd,
    '-append', `console=ttyS0 panic=-1 quiet loglevel=4 ftc.suite=${suite} ${append}`.trim(),
    // cache=loose: with cache=none every node start took 14-18 s instead of about one.
    // multidevs=remap: / spans several host filesystems (/proc, /sys, /dev all have inode 1); without
    // it the guest's 9p client took /host/proc for /host/sys (QEMU warns of file ID collisions).
    '-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
  ];
  return new Promise((resolve) => {
    const q = spawn('nice', ['-n', '5', 'qemu-system-x86_64', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const keep = (d: Buffer) => {
      const s = d.toString();
      process.stdout.write(s);
      if (text.length < 8 << 20) text += s;
    };
    q.stdout!.on('data', keep);
    q.stderr!.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; q.kill('SIGKILL'); }, BOOT_TIMEOUT_MS);
    q.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, console: text, ms: Date.now() - t0, timedOut });
    });
  });
}

const BOOTS = ['devices', 'perms', 'abandon', 'stall', 'nowayout', 'board'];
const only = process.argv.slice(2);
if (only.includes('--help') || only.includes('-h')) {
  process.stdout.write(`usage: npm run test:kernel [-- BOOT...]\n  boots: ${BOOTS.join(', ')} (default: all); docs/kernel.md says what each checks\n  cache: ${cache} (FTC_KERNEL_CACHE)\n`);
  process.exit(0);
}
const unknown = only.filter((b) => !BOOTS.includes(b));
if (unknown.length) {
  say(`no boot named ${unknown.join(', ')}: use one of ${BOOTS.join(', ')}`);
  process.exit(2);
}
const wanted = (suite: string) => only.length === 0 || only.includes(suite);

if (process.getuid?.() !== 0) skip('needs root (apt-get, and QEMU reading the whole root over 9p)');
if (!has('apt-get')) skip('needs apt-get (Debian\'s packages)');
ensurePackages();
const kernel = ensureKernel();
// gpio-sim is not in Debian's kernel: built out of tree (test/kernel/gpio-sim.ts), after configfs.
const gpioSim = ensureGpioSim({ cache, version: kernel.version, say });
const initrd = ensureInitramfs(kernel, [gpioSim]);
const failures: string[] = [];


// 1. The device suite: ava's TAP, its exit code from the guest.
/** Every boot that ran, with its wall time, for the last line. */
const ran: string[] = [];
let bootsMs = 0;
const done = (suite: string, ms: number) => {
  ran.push(`${suite} ${(ms / 1000).toFixed(0)} s`);
  bootsMs += ms;
};
if (wanted('devices')) {
const dev = await boot(kernel, initrd, 'devices');
done('devices', dev.ms);
const exit = /FTC-KERNEL-EXIT (\d+)/.exec(dev.console);
const summary = dev.console.split('\n').filter((l) => /^# (tests|pass|fail|skip|todo)/.test(l.trim())).join(', ');
say(`devices boot: ${(dev.ms / 1000).toFixed(1)} s, ${summary || 'no TAP summary'}`);
if (dev.timedOut) failures.push(`devices: no end within ${BOOT_TIMEOUT_MS / 1000} s`);
else if (!exit) failures.push('devices: the guest ended without FTC-KERNEL-EXIT (see the console above)');
else if (exit[1] !== '0') failures.push(`devices: ava exited ${exit[1]}`);
if (!/^# pass\s+[1-9]/m.test(dev.console)) failures.push('devices: no test passed (were they skipped outside the guest?)');
}

// 2. Permissions: our adapters as an unprivileged user, without and with our udev rules (perms.sh).
if (wanted('perms')) {
  const b = await boot(kernel, initrd, 'perms');
  done('perms', b.ms);
  const lines = b.console.split('\n').map((l) => l.trim());
  const oks = lines.filter((l) => /^ok \d+ - perms /.test(l)).length;
  const notOks = lines.filter((l) => /^not ok \d+ - perms /.test(l));
  const exit = /FTC-KERNEL-EXIT (\d+)/.exec(b.console)?.[1];
  say(`perms boot: ${(b.ms / 1000).toFixed(1)} s, ${oks} of 6 checks passed, exit ${exit ?? 'none'}`);
  for (const l of notOks) failures.push(`perms: ${l}`);
  if (oks !== 6) failures.push(`perms: ${oks} checks passed of 6`);
  if (exit !== '0') failures.push(`perms: the suite exited ${exit ?? 'without FTC-KERNEL-EXIT'}`);
}

// 3. Boots that must end in a watchdog reset: what the guest prints on the way there, per mode.
const RESETS: { suite: string; append?: string; what: string; expect: RegExp[] }[] = [
  { suite: 'abandon', what: 'feeding abandoned without the magic V', expect: [/armed, timeout 2000 ms/, /feeding stops now/] },
  { suite: 'stall', what: 'a supervised task stops checking in: the gate stops feeding', expect: [/armed, timeout 2000 ms, supervised/, /stops checking in[^]*gate stopped: /, /service closed, disarmed false/] },
  { suite: 'nowayout', append: 'ftc.nowayout=1', what: 'softdog nowayout=1: a clean disarm cannot stop it', expect: [/armed, timeout 2000 ms/, /under nowayout: disarmed false/] },
];
for (const r of RESETS.filter((x) => wanted(x.suite))) {
  const b = await boot(kernel, initrd, r.suite, r.append);
  done(r.suite, b.ms);
  const reset = /softdog: Initiating system reboot/.test(b.console);
  say(`${r.suite} boot (${r.what}): ${(b.ms / 1000).toFixed(1)} s, ${reset ? 'reset by softdog' : 'NOT reset'}`);
  if (b.timedOut) failures.push(`${r.suite}: no end within ${BOOT_TIMEOUT_MS / 1000} s`);
  if (!reset) failures.push(`${r.suite}: softdog did not reset the guest`);
  if (/FTC-KERNEL-EXIT/.test(b.console)) failures.push(`${r.suite}: the guest ran to its end: it was not reset`);
  for (const e of r.expect) if (!e.test(b.console)) failures.push(`${r.suite}: the guest did not print ${String(e)}`);
}

// 4. The whole board: three `ftc run` processes in the guest on its real devices (board-guest.ts),
// TAP lines on the console, then b1's event loop stalls and softdog must reset the guest.
if (wanted('board')) {
  const b = await boot(kernel, initrd, 'board');
  const lines = b.console.split('\n').map((l) => l.trim());
  const plan = lines.map((l) => /^1\.\.(\d+)$/.exec(l)?.[1]).find(Boolean);
  const oks = lines.filter((l) => /^ok \d+ - /.test(l)).length;
  const notOks = lines.filter((l) => /^not ok \d+ - /.test(l));
  const reset = /softdog: Initiating system reboot/.test(b.console);
  say(`board boot: ${(b.ms / 1000).toFixed(1)} s, ${oks} of ${plan ?? '?'} checks passed, ${reset ? 'reset by softdog after b1 stalled' : 'NOT reset'}`);
  if (b.timedOut) failures.push(`board: no end within ${BOOT_TIMEOUT_MS / 1000} s`);
  for (const l of notOks) failures.push(`board: ${l}`);
  if (!plan || oks !== Number(plan)) failures.push(`board: ${oks} checks passed of ${plan ?? 'no plan'}`);
  if (!/b1 stalls now/.test(b.console)) failures.push('board: b1 was not stalled');
  if (!reset) failures.push('board: softdog did not reset the guest after b1 stalled');
  if (/FTC-KERNEL-EXIT/.test(b.console)) failures.push('board: the guest ran to its end: it was not reset');
  done('board', b.ms);
}

if (failures.length) {
  for (const f of failures) say(`FAIL ${f}`);
  process.exit(1);
}
say(`ok: ${ran.length} boot(s) passed (${ran.join(', ')}), ${(bootsMs / 1000).toFixed(0)} s in all`);
