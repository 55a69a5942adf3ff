/** DatagramLink over node:dgram on loopback. */
import test from 'ava';
import { openDatagramLink, parseHostPort } from '../../src/adapters/real/udp.ts';
import { waitFor } from './_wait.ts';

test('two links on loopback exchange datagrams and know who sent them', async (t) => {
  const a = await openDatagramLink({ host: '127.0.0.1', port: 0 });
  const b = await openDatagramLink({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const got: Array<[string, string]> = [];
  b.onMessage((data, from) => got.push([Buffer.from(data).toString(), from]));
  t.true(a.send(Buffer.from('one'), b.localAddress));
  t.true(a.send(Buffer.from('two'), b.localAddress));
  await waitFor('two datagrams', () => got.length === 2);
  t.deepEqual(got.map(([m]) => m).sort(), ['one', 'two']);
  t.is(got[0]![1], a.localAddress);
  t.is(b.stats.rxBytes, 6);
  await waitFor('send callbacks', () => a.stats.txBytes === 6);
});

test('network errors on send are counted, never thrown; sending after close is dropped and counted', async (t) => {
  const a = await openDatagramLink({ host: '127.0.0.1', port: 0 });
  // Linux refuses a broadcast destination without SO_BROADCAST: EACCES in the send callback.
  t.true(a.send(Buffer.from('x'), '255.255.255.255:9'), 'accepted for sending');
  await waitFor('the error to be counted', () => a.stats.errors === 1);
  await a.close();
  await a.close();
  t.false(a.send(Buffer.from('x'), '127.0.0.1:9'));
  t.is(a.stats.txDropped, 1);
});

test('oversized payloads and malformed addresses are programmer errors', async (t) => {
  const a = await openDatagramLink({ host: '127.0.0.1', port: 0, datagramBytesMax: 100 });
  t.teardown(() => a.close());
  t.throws(() => a.send(Buffer.alloc(101), '127.0.0.1:9'), { instanceOf: RangeError, message: /101 bytes exceed datagramBytesMax 100/ });
  t.throws(() => a.send(Buffer.alloc(1), 'localhost'), { instanceOf: RangeError, message: /"localhost" is invalid/ });
  t.deepEqual(parseHostPort('[::1]:5000'), { host: '::1', port: 5000 });
});

test('binding a port that is taken rejects with a clear message', async (t) => {
  const a = await openDatagramLink({ host: '127.0.0.1', port: 0 });
  t.teardown(() => a.close());
  const port = Number(a.localAddress.split(':')[1]);
  await t.throwsAsync(openDatagramLink({ host: '127.0.0.1', port }), { message: /UDP bind 127\.0\.0\.1:\d+ failed: .*EADDRINUSE.*fix links\.udp/ });
});
