/** A ConsoleBackend with fixed, busy-looking data, recording the actions it was asked for. */
import type { ActionResult, ConsoleBackend, FaultSpec, LogEvent, VoteInfo } from '../../src/console/backend.ts';

export interface FakeBackend extends ConsoleBackend {
  calls: string[];
}

export function fakeBackend(overrides: Partial<ConsoleBackend> = {}): FakeBackend {
  const calls: string[] = [];
  const vote = (cycle: number): VoteInfo => ({
    cycle,
    outcome: cycle % 7 === 0 ? 'majority' : 'unanimous',
    agree: cycle % 7 === 0 ? ['b1', 'b2'] : ['b1', 'b2', 'b3'],
    dissent: cycle % 7 === 0 ? ['b3'] : [],
    missing: [],
    digest: (cycle * 2654435761).toString(16).padStart(16, '0'),
  });
  const ok = (message: string): ActionResult => ({ ok: true, message });
  const base: FakeBackend = {
    calls,
    status: () => ({
      board: 'b1', boot: 3, bootReason: 'watchdog', uptimeMs: 65_000, cycle: 123_456, rateHz: 100, epoch: 7,
      role: 'active', activeBoard: 'b1', mode: 'TMR', members: ['b1', 'b2', 'b3'], health: 'ok', lastVote: vote(123_456),
    }),
    members: () => [
      { board: 'b1', state: 'member', role: 'active', boot: 3, cycle: 123_456, lastSeenAgoMs: null, health: 'ok' },
      { board: 'b2', state: 'member', role: 'standby', boot: 1, cycle: 123_456, lastSeenAgoMs: 4, health: 'ok' },
      { board: 'b3', state: 'fenced', role: 'fenced', boot: 2, cycle: 120_001, lastSeenAgoMs: 34_000, health: 'failed' },
    ],
    votes: (n) => Array.from({ length: n }, (_, i) => vote(123_456 - n + 1 + i)),
    links: () => [
      { peer: 'b2', medium: 'serial', state: 'up', rttMs: 0.36, lossPct: 0, crcErrors: 0, authErrors: 0, framesRx: 987_654_321, framesTx: 987_654_300, lastRxAgoMs: 3 },
      { peer: 'b2', medium: 'udp', state: 'up', rttMs: 0.12, lossPct: 0.1, crcErrors: 0, authErrors: 0, framesRx: 987_654_321, framesTx: 987_654_300, lastRxAgoMs: 2 },
      { peer: 'b3', medium: 'serial', state: 'degraded', rttMs: 2.5, lossPct: 12.5, crcErrors: 1234, authErrors: 2, framesRx: 5_000_000, framesTx: 5_000_010, lastRxAgoMs: 120 },
      { peer: 'b3', medium: 'udp', state: 'down', rttMs: null, lossPct: 100, crcErrors: 0, authErrors: 0, framesRx: 0, framesTx: 5_000_010, lastRxAgoMs: null },
    ],
    wdt: () => ({
      device: '/dev/watchdog', armed: true, timeoutMs: 15_000, timeleftMs: 14_200, lastFeedAgoMs: 8, feeding: true,
      withheldReason: null,
      checks: [
        { name: 'alive', ok: true, detail: 'tick loop ran 100 times in the last second' },
        { name: 'deadline', ok: true, detail: 'worst cycle 3.2 ms of 10 ms' },
        { name: 'logical', ok: true, detail: 'checkpoint sequence A-B-C-D in order' },
      ],
    }),
    psu: () => ({ supplies: [
      { name: 'a', ok: true, volts: 5.08, amps: 0.912, detail: 'INA219 @0x40' },
      { name: 'b', ok: false, volts: 0, amps: null, detail: 'power-good low since 12:01:02' },
    ] }),
    nic: () => ({ bond: 'bond0', mode: 'active-backup', activeSlave: 'eth0', interfaces: [
      { name: 'eth0', up: true, speedMbps: 1000, rxErrors: 0, txErrors: 0 },
      { name: 'eth1', up: false, speedMbps: null, rxErrors: 17, txErrors: 3 },
    ] }),
    log: (n) => Array.from({ length: n }, (_, i): LogEvent => ({
      t: new Date(Date.UTC(2026, 4, 25, 17, 0, i)).toISOString(), mono: i * 1000, board: 'b1', boot: 3, seq: i,
      kind: i % 2 ? 'vote' : 'link', cycle: i, peer: 'b2', detail: { long: 'x'.repeat(100) },
    })),
    faults: () => [
      { atMs: 3000, source: 'injected', what: 'hang:b2@3s+500ms', state: 'cleared' },
      { atMs: 3120, source: 'detected', what: 'b2 missed 2 votes: fenced', state: 'active' },
      { atMs: null, source: 'injected', what: 'kill:b3@8s', state: 'pending' },
    ],
    handover: (b) => { calls.push(`handover ${b}`); return ok(`handing over to ${b} at cycle 123500`); },
    service: (a) => { calls.push(`service ${a}`); return ok(a === 'leave' ? 'leaving for service' : 'back from service'); },
    fence: (b) => { calls.push(`fence ${b}`); return ok(`${b} fenced`); },
    inject: (s: FaultSpec) => { calls.push(`inject ${s.kind}`); return ok(`scheduled ${s.kind}`); },
  };
  return Object.assign(base, overrides);
}
