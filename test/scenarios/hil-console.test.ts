/**
 * The HIL runner's console driving, against fake boards whose consoles are served over real
 * pseudo-terminals (the same console code a board runs, the same serial adapter on both ends).
 */
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PtyCable } from '../../src/adapters/sim/pty-cable.ts';
import { openSerialLink } from '../../src/adapters/real/serial.ts';
import type { StatusInfo } from '../../src/console/backend.ts';
import { hashConsolePassword } from '../../src/config/password.ts';
import type { SerialLink } from '../../src/ports/serial.ts';
import { ConsoleDriver, ConsoleError } from '../../src/scenarios/console-driver.ts';
import { HilSetupError, fillInstruction, hilSetupFromEnv, parseConsoleMap, runHilScenario, type HilConsole } from '../../src/scenarios/hil.ts';
import { formatOutcome, scenarioById, scenarioFaults } from '../../src/scenarios/index.ts';
import { FakeRig, RIG_BOARDS, serveOnPty, type FakeRigOptions } from './fake-rig.ts';
import { fakeBackend } from '../console/fake-backend.ts';

async function driverFor(t: { teardown(fn: () => Promise<void> | void): void }, path: string, board: string | null, password: string | null = null, readTimeoutMs = 3000) {
  const link = await openSerialLink({ path });
  const d = new ConsoleDriver({ link, board, password, readTimeoutMs });
  t.teardown(() => d.close());
  return d;
}

async function fakeRig(t: { teardown(fn: () => Promise<void> | void): void }, o: FakeRigOptions = {}) {
  const rig = new FakeRig(o);
  t.teardown(() => rig.stop());
  const consoles = new Map<string, HilConsole>();
  for (const b of RIG_BOARDS) {
    const served = await serveOnPty(b, rig.backend(b), o);
    t.teardown(() => served.close());
    consoles.set(b, await driverFor(t, served.path, b, o.passwordHash ? 'lab-pass' : null));
  }
  return { rig, consoles };
}

test('the driver reads status --json from a console after line noise, and learns the board from the prompt', async (t) => {
  const served = await serveOnPty('b2', fakeBackend());
  t.teardown(() => served.close());
  const d = await driverFor(t, served.path, null);
  // Junk on the wire before the first command: half a line, bytes no terminal would send.
  served.boardLink.write(Buffer.from('\x01\xfe~~garbage~~\x1b[3'));
  const s = await d.json<StatusInfo>('status');
  t.is(s.cycle, 123_456);
  t.is(d.board, 'b2');
  const lines = await d.run('help status');
  t.deepEqual(lines, ['usage: status [--json]', '  role, cycle, mode, membership, last vote']);
});

test('a garbled JSON answer is retried and the second answer is used', async (t) => {
  let corrupt = 1;
  const wrap = (_b: string, link: SerialLink): SerialLink => ({
    get path() { return link.path; }, get isOpen() { return link.isOpen; }, txQueueBytesMax: link.txQueueBytesMax, stats: link.stats,
    write: (d) => {
      const text = Buffer.from(d).toString('latin1');
      if (corrupt > 0 && text.startsWith('{')) {
        corrupt--;
        return link.write(Buffer.from(text.replace('"cycle"', '"cy\u00ffle"').replace(/}\s*$/, ''), 'latin1'));
      }
      return link.write(d);
    },
    onData: (l) => link.onData(l), onClose: (l) => link.onClose(l), close: () => link.close(),
  });
  const served = await serveOnPty('b1', fakeBackend(), { wrapLink: wrap });
  t.teardown(() => served.close());
  const d = await driverFor(t, served.path, 'b1');
  const s = await d.json<StatusInfo>('status');
  t.is(corrupt, 0, 'the first answer was corrupted');
  t.is(s.board, 'b1');
});

test('a console that never answers times out with a message naming the board, the command and the port', async (t) => {
  const cable = await PtyCable.open();
  t.teardown(() => cable.close());
  const d = await driverFor(t, cable.pathB, 'b3', null, 300);
  const e = await t.throwsAsync(d.json('status'), { instanceOf: ConsoleError });
  t.is(e.code, 'garbled');
  t.regex(e.message, /b3 \(\/dev\/pts\/\d+\) did not answer the resync .* within 300 ms.*3 attempts/);
});

test('a console cabled to the wrong board is caught by its prompt', async (t) => {
  const served = await serveOnPty('b1', fakeBackend());
  t.teardown(() => served.close());
  const d = await driverFor(t, served.path, 'b2');
  const e = await t.throwsAsync(d.sync(), { instanceOf: ConsoleError });
  t.is(e.code, 'wrong-board');
  t.regex(e.message, /answers as b1, not b2: fix the console mapping \(FTC_HIL_CONSOLES\)/);
});

test('a mutating command gets the console password when one is set, and says so when none is given', async (t) => {
  const hash = hashConsolePassword('lab-pass', { N: 1024 });
  const backend = fakeBackend();
  const served = await serveOnPty('b1', backend, { passwordHash: hash });
  t.teardown(() => served.close());
  const withPw = await driverFor(t, served.path, 'b1', 'lab-pass');
  t.deepEqual(await withPw.act('inject flip:b3@0s'), { status: 'ok', message: 'scheduled flip' });
  t.deepEqual(backend.calls, ['inject flip']);
  await withPw.close();
  const noPw = await driverFor(t, served.path, 'b1', null);
  const e = await t.throwsAsync(noPw.act('fence b2'), { instanceOf: ConsoleError });
  t.regex(e.message, /b1 asks for the console password for "fence": set FTC_HIL_PASSWORD/);
  t.deepEqual(backend.calls, ['inject flip'], 'nothing was fenced');
  // The driver is usable again afterwards (the prompt was cancelled).
  t.is((await noPw.json<StatusInfo>('status')).board, 'b1');
});

test('stall on the fake rig: the runner injects it, sees the watchdog reset and the board back, and passes', async (t) => {
  const { rig, consoles } = await fakeRig(t);
  const lines: string[] = [];
  const r = await runHilScenario({ scenario: scenarioById('stall'), boards: RIG_BOARDS, consoles, pollMs: 150, budgetMs: 1500, log: (l) => lines.push(l) });
  t.log([...lines, ...(r.outcome ? formatOutcome(r.outcome) : [])].join('\n'));
  t.is(r.status, 'pass');
  t.deepEqual(rig.calls, ['b3: inject stall']);
  t.is(r.outcome!.results.find((x) => x.check === 'reset')!.status, 'pass');
  t.is(r.outcome!.results.find((x) => x.check === 'noLostCycle')!.status, 'pass', 'the vote histories cover the window');
  t.deepEqual(r.outcome!.unverified, ['noWrongOutput: wrong output(s) cannot be measured by this runner']);
  t.is(r.logs.b3?.[0]?.reason, 'watchdog');
});

test('kill of the active board on the fake rig goes through a peer fencing it, and the takeover is seen', async (t) => {
  const { rig, consoles } = await fakeRig(t);
  const r = await runHilScenario({ scenario: scenarioById('kill-active'), boards: RIG_BOARDS, consoles, pollMs: 150, budgetMs: 1500 });
  t.log(r.messages.join('\n'));
  t.deepEqual(rig.calls, ['b2: fence b1']);
  t.is(r.observed!.target, 'b1');
  t.is(r.status, 'pass', r.outcome ? formatOutcome(r.outcome).join('\n') : '');
});

test('a restart that nobody performs is reported as a failure, after telling the operator what to do', async (t) => {
  const { consoles } = await fakeRig(t);
  const lines: string[] = [];
  const r = await runHilScenario({ scenario: scenarioById('restart'), boards: RIG_BOARDS, consoles, pollMs: 150, budgetMs: 600, log: (l) => lines.push(l), addresses: new Map([['b2', '10.77.0.2']]) });
  t.true(lines.some((l) => l.startsWith('OPERATOR, now: restart ftc on b2 (ssh 10.77.0.2 sudo systemctl restart ftc)')), lines.join('\n'));
  t.is(r.status, 'fail');
  t.deepEqual(r.outcome!.failures, ['reset: b2 did not reset within 5 s', 'rejoin: b2 never left the voting set: did the fault take effect?']);
});

test('a board whose config does not allow inject refuses it, and the result says how to enable it', async (t) => {
  const { consoles } = await fakeRig(t, { injectEnabled: false });
  const r = await runHilScenario({ scenario: scenarioById('psu'), boards: RIG_BOARDS, consoles, pollMs: 100, budgetMs: 500 });
  t.is(r.status, 'refused');
  t.is(r.outcome, null);
  t.regex(r.messages.at(-1)!, /^b1 refused "inject psu:b1:a@0ms": inject is disabled.*console\.allowInject: true.*; the lab rig needs console\.allowInject: true in b1's board config \(hw\/HIL\.md\)$/);
});

test('a PSU fault a real board cannot inject itself is handed to FTC_HIL_ACTION_CMD with the fault in its environment', async (t) => {
  const { rig, consoles } = await fakeRig(t, { selfInject: ['flip', 'stall'] });
  const dir = mkdtempSync(join(tmpdir(), 'ftc-hil-'));
  const lines: string[] = [];
  const r = await runHilScenario({
    scenario: scenarioById('psu'), boards: RIG_BOARDS, consoles, pollMs: 100, budgetMs: 400, log: (l) => lines.push(l),
    actionCmd: `echo "$FTC_HIL_ACTION $FTC_HIL_BOARD $FTC_HIL_SPEC" > ${join(dir, 'action.txt')}`,
  });
  t.deepEqual(rig.calls, []);
  t.true(lines.includes("b1 cannot inject psu:b1:a@0ms itself (psu cannot be injected from this board's console); doing it physically"), lines.join('\n'));
  t.is(readFileSync(join(dir, 'action.txt'), 'utf8'), 'psu b1 psu:b1:a@0ms\n');
  // Nothing on the fake rig reacts to the command, so the takeover is missing.
  t.is(r.status, 'fail');
  t.deepEqual(r.outcome!.failures, ['activeMoves: the active role did not leave b1 within 3 s']);
});

test('the operator instruction names the supply, the interface, the cable ends and the duration', (t) => {
  const at = (id: string) => {
    const s = scenarioById(id);
    const a = s.hil.via === 'inject' ? s.hil.otherwise! : s.hil.action;
    const spec = scenarioFaults(s)[0]!;
    return fillInstruction(a.instruction, spec, 'b2', '10.77.0.2');
  };
  t.is(at('psu'), 'switch off supply A of b2 (the board must stay up on the other one), switch it back on after the run');
  t.is(at('nic'), 'unplug the Ethernet cable of eth0 on b2, plug it back after the run');
  t.is(at('cut-serial'), 'unplug the serial cable between b1 and b2 for 3 s, then plug it back');
  t.is(at('hang'), 'freeze the ftc process of b2 for 500 ms (ssh 10.77.0.2 "sudo systemctl kill -s STOP ftc; sleep 0.5; sudo systemctl kill -s CONT ftc")');
});

test('the HIL setup comes from the environment, with one clear message per mistake', (t) => {
  t.throws(() => hilSetupFromEnv({}), { instanceOf: HilSetupError, message: /FTC_HIL_RIG is not set: .* see hw\/HIL\.md/ });
  t.throws(() => hilSetupFromEnv({ FTC_HIL_RIG: 'hw/rigs/lab.yaml' }), { message: /FTC_HIL_CONSOLES is not set: .*b1=\/dev\/ttyUSB0,b2=\/dev\/ttyUSB1,b3=\/dev\/ttyUSB2/ });
  const s = hilSetupFromEnv({ FTC_HIL_RIG: 'hw/rigs/lab.yaml', FTC_HIL_CONSOLES: 'b1=/dev/ttyUSB0, b2=/dev/ttyUSB1,b3=/dev/ttyUSB2', FTC_HIL_PASSWORD: 'ftc-lab' });
  t.deepEqual(s.boards, [
    { id: 'b1', console: '/dev/ttyUSB0', address: '10.77.0.1' },
    { id: 'b2', console: '/dev/ttyUSB1', address: '10.77.0.2' },
    { id: 'b3', console: '/dev/ttyUSB2', address: '10.77.0.3' },
  ]);
  t.is(s.password, 'ftc-lab');
  t.throws(() => parseConsoleMap('b1=/dev/ttyUSB0,b4=/dev/x', ['b1', 'b2']), { message: /unknown board "b4" \(the rig has b1, b2\)/ });
  t.throws(() => parseConsoleMap('b1=ttyUSB0', ['b1']), { message: /"b1=ttyUSB0" is not <board>=<device path>/ });
  t.throws(() => parseConsoleMap('b1=/dev/a', ['b1', 'b2']), { message: /no console for b2/ });
  t.throws(() => hilSetupFromEnv({ FTC_HIL_RIG: 'hw/rigs/nope.yaml', FTC_HIL_CONSOLES: 'b1=/dev/a' }), { instanceOf: HilSetupError, message: /nope\.yaml/ });
});
