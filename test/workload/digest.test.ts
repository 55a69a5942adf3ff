import test from 'ava';
import { fnv1a64, sameDigest, toDigest } from '../../src/voter/hash.ts';
import { completeWorkload } from '../../src/workload/loader.ts';
import { encodeState } from '../../src/workload/state-codec.ts';

const def = {
  name: 'counter', inputs: [], outputs: [{ name: 'n', kind: 'discrete' as const }], safeOutputs: [0],
  init: () => ({ n: 0 }),
  step: (s: { n: number }) => ({ state: { n: s.n + 1 }, outputs: [s.n + 1] }),
};

test('the loader\'s default digest is FNV-1a 64 of the state\'s encoding: equal states agree, others differ', (t) => {
  const w = completeWorkload(def);
  const a = toDigest(w.digest({ n: 41 }));
  t.true(sameDigest(a, fnv1a64(encodeState({ n: 41 }))));
  t.true(sameDigest(a, toDigest(w.digest({ n: 41 }))));
  t.false(sameDigest(a, toDigest(w.digest({ n: 42 }))));
});

test('a given encoding is what the default digest hashes', (t) => {
  const w = completeWorkload({ ...def, encode: (s: { n: number }) => Uint8Array.of(s.n & 0xff), decode: (b: Uint8Array) => ({ n: b[0]! }) });
  t.true(sameDigest(toDigest(w.digest({ n: 7 })), fnv1a64(Uint8Array.of(7))));
});
