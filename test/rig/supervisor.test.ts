import test from 'ava';
import { spawn } from 'node:child_process';
import { Supervisor, WATCHDOG_RESET_EXIT_CODE } from '../../src/rig/supervisor.ts';
import type { LifecycleEvent, SupervisorOptions } from '../../src/rig/supervisor.ts';

const childScript = new URL('./fixtures/child.ts', import.meta.url).pathname;
const superviseScript = new URL('./fixtures/supervise.ts', import.meta.url).pathname;

interface Seen {
  name: string;
  e: Record<string, unknown>;
}

/** A supervisor over real child processes, with everything it reports recorded. */
function rig(names: string[], env: Record<string, string> = {}, options: SupervisorOptions = {}) {
  const events: Seen[] = [];
  const life: LifecycleEvent[] = [];
  const output: string[] = [];
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const sup = new Supervisor(
    names.map((name) => ({ name, command: process.execPath, args: ['--import=tsx', childScript], env })),
    {
      exitOnSignal: false,
      ...options,
      onEvent: (name, e) => (events.push({ name, e }), notify()),
      onLifecycle: (e) => (life.push(e), notify()),
      onOutput: (name, line, stream) => (output.push(`${name} ${stream}: ${line}`), notify()),
    },
  );
  /** Wait (bounded) until `pred` holds over what was seen so far. */
  const until = async (pred: () => boolean, what: string, timeoutMs = 15_000) => {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  const hellos = (name: string) => events.filter((x) => x.name === name && x.e.kind === 'hello').map((x) => x.e);
  return { sup, events, life, output, until, hellos };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('three children start with boot 1 after power-on, and their JSON and text lines are forwarded by name', async (t) => {
  const r = rig(['b1', 'b2', 'b3']);
  t.teardown(() => r.sup.stop());
  r.sup.start();
  await r.until(() => ['b1', 'b2', 'b3'].every((n) => r.hellos(n).length === 1), 'three hellos');
  for (const n of ['b1', 'b2', 'b3']) t.like(r.hellos(n)[0], { name: n, boot: 1, reason: 'power-on' });
  await r.until(() => r.output.includes('b2 stdout: plain text line'), 'a text line');
  t.is(r.life.filter((e) => e.kind === 'spawn').length, 3);
});

test('a child that exits with the watchdog-reset code is restarted with the next boot and its reason', async (t) => {
  const r = rig(['b1']);
  t.teardown(() => r.sup.stop());
  r.sup.start();
  await r.until(() => r.hellos('b1').length === 1, 'hello');
  const firstPid = r.sup.status('b1').pid;
  t.true(r.sup.send('b1', { cmd: 'reset', reason: 'deadline missed' }));
  await r.until(() => r.hellos('b1').length === 2, 'hello after reset');
  t.like(r.hellos('b1')[1], { boot: 2, reason: 'deadline missed' });
  t.like(r.life.find((e) => e.kind === 'exit'), { name: 'b1', code: WATCHDOG_RESET_EXIT_CODE, boot: 1 });
  t.not(r.sup.status('b1').pid, firstPid);
  t.is(r.sup.status('b1').resets, 1);
});

test('kill -9 is a real crash: the child dies by SIGKILL and stays down until restarted', async (t) => {
  const r = rig(['b2']);
  t.teardown(() => r.sup.stop());
  r.sup.start();
  await r.until(() => r.hellos('b2').length === 1, 'hello');
  const pid = r.sup.status('b2').pid!;
  r.sup.kill('b2');
  await r.until(() => r.life.some((e) => e.kind === 'exit'), 'exit');
  t.like(r.life.find((e) => e.kind === 'exit'), { name: 'b2', signal: 'SIGKILL', code: null });
  t.false(alive(pid));
  await new Promise((res) => setTimeout(res, 300));
  t.is(r.hellos('b2').length, 1, 'not restarted by itself');
  t.false(r.sup.status('b2').running);
  await r.sup.restart('b2');
  await r.until(() => r.hellos('b2').length === 2, 'hello after restart');
  t.like(r.hellos('b2')[1], { boot: 2, reason: 'restart' });
});

test('a hang freezes the whole process for its duration (SIGSTOP), then it carries on (SIGCONT)', async (t) => {
  const r = rig(['b1'], { TICK_MS: '10' });
  t.teardown(() => r.sup.stop());
  r.sup.start();
  const ticks = () => r.events.filter((x) => x.e.kind === 'tick').map((x) => x.e.t as number);
  await r.until(() => ticks().length >= 5, 'ticks');
  const pid = r.sup.status('b1').pid;
  r.sup.hang('b1', 400);
  t.true(r.sup.status('b1').stopped);
  await r.until(() => r.life.some((e) => e.kind === 'fault' && e.fault === 'resume'), 'resume');
  const n = ticks().length;
  await r.until(() => ticks().length >= n + 5, 'ticks after the hang');
  const ts = ticks();
  const gaps = ts.slice(1).map((x, i) => x - ts[i]!);
  t.true(Math.max(...gaps) >= 350, `largest gap between ticks ${Math.max(...gaps)} ms`);
  t.is(r.sup.status('b1').pid, pid, 'same process: a hang is not a restart');
  t.is(r.hellos('b1').length, 1);
});

test('stop() ends every child, even a hung one and one that ignores SIGTERM', async (t) => {
  const r = rig(['b1', 'b2', 'b3'], {}, { stopTimeoutMs: 500 });
  r.sup.start();
  await r.until(() => ['b1', 'b2', 'b3'].every((n) => r.hellos(n).length === 1), 'hellos');
  const pids = ['b1', 'b2', 'b3'].map((n) => r.sup.status(n).pid!);
  r.sup.hang('b1', null);
  r.sup.send('b3', { cmd: 'ignore-term' });
  await new Promise((res) => setTimeout(res, 200));
  await r.sup.stop();
  for (const pid of pids) t.false(alive(pid), `pid ${pid}`);
  t.like(r.life.filter((e) => e.kind === 'exit').find((e) => e.name === 'b3'), { signal: 'SIGKILL' });
});

test('a child stuck in a reset loop is given up after restartsMax resets', async (t) => {
  const r = rig(['b1'], { RESET_AT_START: '1' }, { restartsMax: 2 });
  t.teardown(() => r.sup.stop());
  r.sup.start();
  await r.until(() => r.life.some((e) => e.kind === 'give-up'), 'give-up');
  t.is(r.hellos('b1').length, 3, 'first start + 2 restarts');
  t.like(r.life.find((e) => e.kind === 'give-up'), { name: 'b1', restarts: 2 });
  t.deepEqual(r.hellos('b1').map((h) => h.reason), ['power-on', 'boot loop', 'boot loop']);
});

test('an overlong output line is dropped and reported; the lines after it still arrive', async (t) => {
  const r = rig(['b1'], { TICK_MS: '100000' }, { lineBytesMax: 4096 });
  t.teardown(() => r.sup.stop());
  r.sup.start();
  await r.until(() => r.hellos('b1').length === 1, 'hello');
  r.sup.send('b1', { cmd: 'long' });
  await r.until(() => r.events.some((x) => x.e.kind === 'after-long'), 'the line after');
  t.true(r.life.some((e) => e.kind === 'line-too-long'));
  t.false(r.output.some((l) => l.includes('xxxxxxxx')));
});

test('an unknown child name is a programmer error naming the children', (t) => {
  const r = rig(['b1']);
  t.throws(() => r.sup.kill('b9'), { message: /no child named "b9" \(children: b1\)/ });
  t.throws(() => new Supervisor([{ name: 'a', command: 'x', args: [] }, { name: 'a', command: 'x', args: [] }]), {
    message: /two children named "a"/,
  });
});

for (const [how, signal] of [['SIGINT', 'SIGINT'], ['kill -9 of the supervisor', 'SIGKILL']] as const) {
  test(`no orphans: after ${how}, the supervisor's children are gone, a hung one included`, async (t) => {
    const proc = spawn(process.execPath, ['--import=tsx', superviseScript, 'hang'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = performance.now() + 15_000;
    while (!out.includes('"pids"') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const { pids } = JSON.parse(out.split('\n').find((l) => l.includes('"pids"'))!) as { pids: number[] };
    t.is(pids.length, 2);
    // c1 is hung (SIGSTOP) by now: it can react to nothing.
    const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
    proc.kill(signal);
    const code = await exited;
    if (signal === 'SIGINT') t.is(code, 130);
    // kill -9 of the supervisor: the kernel kills the children (PR_SET_PDEATHSIG), hung ones too.
    for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    const left = pids.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    t.deepEqual(left, []);
  });
}
