import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../src/ports/clock.ts';
import { BondingParseError, parseProcBonding } from '../../src/watchdog/core-bonding-parse.ts';
import { assessBond } from '../../src/watchdog/core-nic.ts';
import { NicMonitor, readBond } from '../../src/watchdog/nic-monitor.ts';

const fixtures = fileURLToPath(new URL('../fixtures/bonding/', import.meta.url));
const root = (name: string) => `${fixtures}${name}`;

const cases = [
  { fixture: 'active-backup-both-up', state: 'redundant', usable: ['eth0', 'eth1'] },
  { fixture: 'active-backup-one-down', state: 'degraded', usable: ['eth0'] },
  { fixture: 'active-backup-all-down', state: 'down', usable: [] },
  { fixture: '802.3ad-both-up', state: 'redundant', usable: ['eth0', 'eth1'] },
  { fixture: '802.3ad-one-down', state: 'degraded', usable: ['eth0'] },
  { fixture: '802.3ad-all-down', state: 'down', usable: [] },
  { fixture: '802.3ad-split-aggregator', state: 'degraded', usable: ['eth0'] },
] as const;

for (const c of cases) {
  test(`${c.fixture}: /proc and sysfs agree that the bond is ${c.state}`, (t) => {
    const proc = readBond(root(c.fixture), 'bond0', 'proc');
    const sysfs = readBond(root(c.fixture), 'bond0', 'sysfs');
    t.deepEqual({ ...proc, activeSlave: proc.activeSlave }, sysfs);
    const a = assessBond(proc);
    t.is({ redundant: 'redundant', degraded: 'degraded', none: 'down' }[a.redundancy], c.state);
    t.deepEqual(a.usable, [...c.usable]);
  });
}

test('active-backup parsing keeps the mode, the active slave and the link failure counts', (t) => {
  const b = readBond(root('active-backup-one-down'), 'bond0');
  t.like(b, { mode: 'active-backup', miiUp: true, activeSlave: 'eth0' });
  t.deepEqual(
    b.slaves.map((s) => [s.name, s.miiUp, s.linkFailureCount]),
    [
      ['eth0', true, 0],
      ['eth1', false, 3],
    ],
  );
});

test('in 802.3ad a slave that is up but outside the active aggregator is named as unusable', (t) => {
  const a = assessBond(readBond(root('802.3ad-split-aggregator'), 'bond0'));
  t.regex(a.cause, /eth1 up but in aggregator 2, not the active aggregator 1/);
});

test('the NIC monitor follows the bond between polls and asks to hand the active role away while it is not redundant', (t) => {
  const clock = new VirtualClock(0);
  const opts = { bond: 'bond0', root: root('802.3ad-both-up') };
  const mon = new NicMonitor(opts, clock);
  const seen: string[] = [];
  mon.onChange((c) => seen.push(`${c.to}${c.handOver ? ' (hand over)' : ''}`));
  mon.poll();
  t.false(mon.core.handOver);
  for (const [fixture, ms] of [['802.3ad-one-down', 100], ['802.3ad-all-down', 200], ['802.3ad-both-up', 300]] as const) {
    clock.set(ms);
    opts.root = root(fixture);
    mon.poll();
    if (fixture === '802.3ad-all-down') t.is(mon.core.linkFailures, 5);
  }
  t.deepEqual(seen, ['redundant', 'degraded (hand over)', 'down (hand over)', 'redundant']);
  t.deepEqual(mon.core.changes.map((c) => c.atMs), [0, 100, 200, 300]);
});

const malformed = [
  { fixture: 'malformed-truncated', source: 'proc', expect: /bond0 line \d+: slave "eth1" has no "MII Status" line \(file truncated\?\)/ },
  { fixture: 'malformed-not-bonding', source: 'proc', expect: /bond0 line 1: does not begin with "Ethernet Channel Bonding Driver:"/ },
  { fixture: 'malformed-bad-mode', source: 'proc', expect: /line 3: unknown bonding mode "quantum entanglement"/ },
  { fixture: 'malformed-bad-mii', source: 'proc', expect: /MII status "maybe" is neither "up" nor "down"/ },
  { fixture: 'malformed-sysfs-missing-slave', source: 'sysfs', expect: /eth1\/bonding_slave\/mii_status: file missing/ },
  { fixture: 'malformed-sysfs-bad-mode', source: 'sysfs', expect: /bonding\/mode line 1: unknown bonding mode "frobnicate 9"/ },
  { fixture: 'no-such-fixture', source: 'auto', expect: /no bond "bond0" here \(is the bonding module loaded and the bond configured\?\)/ },
] as const;

for (const m of malformed) {
  test(`${m.fixture}: one clear message naming the file, the cause and the fix`, (t) => {
    const e = t.throws(() => readBond(root(m.fixture), 'bond0', m.source), { instanceOf: BondingParseError });
    t.regex(e?.message ?? '', m.expect);
    t.regex(e?.message ?? '', /Fix: check that nic\.bond names a bonding interface/);
  });
}

test('a malformed file makes the monitor report unknown with the message, counted, never a crash', (t) => {
  const mon = new NicMonitor({ bond: 'bond0', root: root('malformed-truncated') }, new VirtualClock(0));
  mon.poll();
  mon.poll();
  t.is(mon.state, 'unknown');
  t.is(mon.core.readErrors, 2);
  t.regex(mon.core.lastError ?? '', /file truncated/);
  t.true(mon.core.handOver);
});

test('oversized input and bad bond names are rejected before parsing', (t) => {
  const big = readFileSync(`${root('active-backup-both-up')}/proc/net/bonding/bond0`, 'utf8').padEnd(70_000, ' ');
  t.throws(() => parseProcBonding('bond0', big), { message: /more than the 65536/ });
  t.throws(() => readBond(root('active-backup-both-up'), '../../etc'), { message: /not an interface name/ });
});
