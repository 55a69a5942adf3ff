/**
 * The process class's liveness probe (src/process/probe.ts) against real sockets, a real HTTP
 * server and real commands on this machine; the schedule under a virtual clock (nowMs given).
 */
import test from 'ava';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp, type AddressInfo } from 'node:net';
import { Prober, probeOnce } from '../../src/process/probe.ts';
import type { ProbeSpec, ProbeTarget } from '../../src/process/spec.ts';

const spec = (target: ProbeTarget, over: Partial<ProbeSpec> = {}): ProbeSpec => ({ target, intervalMs: 1000, timeoutMs: 300, failuresMax: 2, startGraceMs: 5000, ...over });
const listen = (s: Server | ReturnType<typeof createTcp>) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

test('tcp: a listening port is alive, a closed one is refused', async (t) => {
  const srv = createTcp((c) => c.end());
  const port = await listen(srv);
  t.is(await probeOnce(spec({ kind: 'tcp', host: '127.0.0.1', port })), null);
  srv.close();
  await new Promise((r) => srv.once('close', r));
  t.regex((await probeOnce(spec({ kind: 'tcp', host: '127.0.0.1', port }))) ?? '', /ECONNREFUSED/);
});

test('http: 2xx is alive, 500 is not, and a server that never answers fails at the timeout', async (t) => {
  const srv = createHttp((req, res) => {
    if (req.url === '/ok') res.end('ok');
    else if (req.url === '/bad') { res.statusCode = 500; res.end(); }
    // /hang: no answer
  });
  const port = await listen(srv);
  t.is(await probeOnce(spec({ kind: 'http', url: `http://127.0.0.1:${port}/ok` })), null);
  t.regex((await probeOnce(spec({ kind: 'http', url: `http://127.0.0.1:${port}/bad` }))) ?? '', /status 500/);
  t.regex((await probeOnce(spec({ kind: 'http', url: `http://127.0.0.1:${port}/hang` }, { timeoutMs: 100 }))) ?? '', /no answer within 100 ms/);
  srv.closeAllConnections();
  srv.close();
});

test('exec: exit 0 is alive; another exit code or a missing command is not', async (t) => {
  t.is(await probeOnce(spec({ kind: 'exec', argv: ['true'] })), null);
  t.regex((await probeOnce(spec({ kind: 'exec', argv: ['false'] }))) ?? '', /exit 1/);
  t.regex((await probeOnce(spec({ kind: 'exec', argv: ['/no/such/check'] }))) ?? '', /ENOENT/);
});

test('the prober waits out the start grace, probes once per interval, and is dead after failuresMax in a row', async (t) => {
  const p = new Prober(spec({ kind: 'exec', argv: ['false'] }), 0);
  p.tick(4999);
  await p.settled();
  t.is(p.stats.probes, 0, 'within the start grace');
  p.tick(5000);
  await p.settled();
  t.is(p.failuresInRow, 1);
  t.false(p.dead);
  p.tick(5500); // not due yet
  await p.settled();
  t.is(p.stats.probes, 1);
  p.tick(6000);
  await p.settled();
  t.true(p.dead);
  p.reset(6000);
  t.is(p.failuresInRow, 0);
  t.false(p.dead);
});

test('one answer in between resets the count: failures must be in a row', async (t) => {
  const srv = createTcp((c) => c.end());
  const port = await listen(srv);
  const p = new Prober(spec({ kind: 'tcp', host: '127.0.0.1', port }, { startGraceMs: 0, failuresMax: 2 }), 0);
  srv.close();
  await new Promise((r) => srv.once('close', r));
  p.tick(0);
  await p.settled();
  t.is(p.failuresInRow, 1);
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  p.tick(1000);
  await p.settled();
  t.is(p.failuresInRow, 0);
  t.false(p.dead);
  srv.close();
});
