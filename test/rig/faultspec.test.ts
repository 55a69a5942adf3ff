import test from 'ava';
import fc from 'fast-check';
import {
  FAULT_EXAMPLES,
  FaultSpecError,
  faultEndMs,
  formatDurationMs,
  formatFaultSpec,
  parseDurationMs,
  parseFaultSpec,
  parseFaultSpecs,
} from '../../src/rig/faultspec.ts';

test('durations read as milliseconds: 500ms, 2s, 1.5s, 1m', (t) => {
  t.is(parseDurationMs('500ms'), 500);
  t.is(parseDurationMs('2s'), 2000);
  t.is(parseDurationMs('1.5s'), 1500);
  t.is(parseDurationMs('1.1s'), 1100);
  t.is(parseDurationMs('1m'), 60_000);
  t.is(parseDurationMs('20s'), 20_000);
  t.is(parseDurationMs('0s'), 0);
  t.throws(() => parseDurationMs('5'), { message: /a unit is required/ });
  t.throws(() => parseDurationMs('5 parsecs'), { message: /not a duration/ });
  t.throws(() => parseDurationMs('-1s'), { message: /not a duration/ });
  t.throws(() => parseDurationMs('25h'), { message: /24 h limit/ });
});

test('every example of the issue parses into a typed fault with times in ms', (t) => {
  t.deepEqual(parseFaultSpec('kill:b2@5s'), { kind: 'kill', board: 'b2', atMs: 5000 });
  t.deepEqual(parseFaultSpec('kill:active@5s'), { kind: 'kill', board: 'active', atMs: 5000 });
  t.deepEqual(parseFaultSpec('hang:b1@3s+500ms'), { kind: 'hang', board: 'b1', atMs: 3000, forMs: 500 });
  t.deepEqual(parseFaultSpec('stall:b1@3s+2s'), { kind: 'stall', board: 'b1', atMs: 3000, forMs: 2000 });
  t.deepEqual(parseFaultSpec('flip:b3@4s'), { kind: 'flip', board: 'b3', atMs: 4000 });
  t.deepEqual(parseFaultSpec('cut:b1-b2/serial@2s+3s'), {
    kind: 'cut', a: 'b1', b: 'b2', medium: 'serial', atMs: 2000, forMs: 3000,
  });
  t.deepEqual(parseFaultSpec('cut:b1-b2/udp@2s'), {
    kind: 'cut', a: 'b1', b: 'b2', medium: 'udp', atMs: 2000, forMs: null,
  });
  t.deepEqual(parseFaultSpec('corrupt:b1-b2/serial:1e-3@2s+5s'), {
    kind: 'corrupt', a: 'b1', b: 'b2', medium: 'serial', bitErrorRate: 0.001, atMs: 2000, forMs: 5000,
  });
  t.deepEqual(parseFaultSpec('partition:b1|b2,b3@6s+2s'), {
    kind: 'partition', groups: [['b1'], ['b2', 'b3']], atMs: 6000, forMs: 2000,
  });
  t.deepEqual(parseFaultSpec('psu:b2:a@3s'), { kind: 'psu', board: 'b2', supply: 'a', atMs: 3000, forMs: null });
  t.deepEqual(parseFaultSpec('nic:b3:eth0@3s'), { kind: 'nic', board: 'b3', iface: 'eth0', atMs: 3000, forMs: null });
  t.deepEqual(parseFaultSpec('restart:b2@8s'), { kind: 'restart', board: 'b2', atMs: 8000 });
});

test('a link named backwards is the same link', (t) => {
  t.deepEqual(parseFaultSpec('cut:b2-b1/udp@1s'), parseFaultSpec('cut:b1-b2/udp@1s'));
});

test('every spec formats back to text that parses to the same fault', (t) => {
  for (const spec of Object.values(FAULT_EXAMPLES)) {
    const f = parseFaultSpec(spec);
    t.deepEqual(parseFaultSpec(formatFaultSpec(f)), f, spec);
  }
  t.is(formatFaultSpec(parseFaultSpec('hang:b1@3s+500ms')), 'hang:b1@3s+500ms');
  t.is(formatFaultSpec(parseFaultSpec('corrupt:b1-b2/serial:1e-3@2s+5s')), 'corrupt:b1-b2/serial:0.001@2s+5s');
});

test('a fault ends at its start plus its duration, or never', (t) => {
  t.is(faultEndMs(parseFaultSpec('hang:b1@3s+500ms')), 3500);
  t.is(faultEndMs(parseFaultSpec('cut:b1-b2/udp@2s')), null);
  t.is(faultEndMs(parseFaultSpec('kill:b2@5s')), null);
});

const bad: Array<[string, RegExp]> = [
  ['', /empty/],
  ['explode:b1@1s', /unknown fault kind "explode"; kinds are kill, hang/],
  ['kill', /needs a target/],
  ['kill:b2', /no "@time"/],
  ['kill:b9@5s', /unknown board "b9" \(boards: b1, b2, b3 or active\)/],
  ['kill:b2@5', /a unit is required/],
  ['kill:b2@soon', /not a duration/],
  ['kill:b2@5s+1s', /instant and takes no "\+duration"/],
  ['hang:b1@3s+0ms', /more than 0/],
  ['hang:b1@3s+', /not a duration/],
  ['cut:b1b2/serial@2s', /not a link/],
  ['cut:b1-b1/serial@2s', /two different boards/],
  ['cut:b1-b2/carrier-pigeon@2s', /unknown link medium "carrier-pigeon"/],
  ['cut:active-b2/udp@2s', /"active" is only allowed for faults on one board/],
  ['corrupt:b1-b2/serial@2s', /bit-error rate/],
  ['corrupt:b1-b2/serial:2@2s', /must be a number in \(0, 1\]/],
  ['corrupt:b1-b2/serial:0@2s', /must be a number in \(0, 1\]/],
  ['corrupt:b1-b2/serial:abc@2s', /must be a number/],
  ['partition:b1,b2,b3@6s', /at least two groups/],
  ['partition:b1|b2@6s', /missing b3/],
  ['partition:b1|b1,b2,b3@6s', /more than one group/],
  ['psu:b2@3s', /psu:<board>:<supply a\|b>/],
  ['psu:b2:c@3s', /unknown supply "c"/],
  ['nic:b3@3s', /nic:<board>:<interface>/],
  ['nic:b3:eth0;rm -rf@3s', /not an interface name/],
  ['nic:b3:averyveryverylongname0@3s', /not an interface name/],
  ['kill:b2@' + 'x'.repeat(300), /longer than 200/],
];

for (const [spec, message] of bad) {
  test(`the bad spec "${spec.slice(0, 40)}" gets one clear message with the spec and an example`, (t) => {
    const err = t.throws(() => parseFaultSpec(spec), { instanceOf: FaultSpecError, message });
    t.truthy(err);
    t.true(err!.message.startsWith(`bad fault spec "${spec}": `));
    t.regex(err!.message, /\. Example: [a-z]+:\S+@\d/);
    t.false(err!.message.includes('\n'));
    // The example shown parses: it is an example of the right form.
    t.notThrows(() => parseFaultSpec(err!.example));
  });
}

test('a rig with other board names validates against them', (t) => {
  const boards = ['n1', 'n2', 'n3', 'n4'];
  t.deepEqual(parseFaultSpec('partition:n1,n2|n3,n4@1s', { boards }).kind, 'partition');
  t.throws(() => parseFaultSpec('kill:b1@1s', { boards }), { message: /boards: n1, n2, n3, n4/ });
});

test('a list of specs stops at the first bad one', (t) => {
  t.is(parseFaultSpecs(['kill:b2@5s', 'flip:b3@4s']).length, 2);
  t.throws(() => parseFaultSpecs(['kill:b2@5s', 'nope']), { message: /"nope"/ });
});

test('random text never crashes the parser: it parses or throws a FaultSpecError', (t) => {
  const seed = 20260525;
  const alphabet = fc.constantFrom(...'killhangcutb123-/|,:@+msactive.e'.split(''));
  fc.assert(
    fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (s) => {
      try {
        const f = parseFaultSpec(s);
        return parseFaultSpec(formatFaultSpec(f)).kind === f.kind;
      } catch (e) {
        return e instanceof FaultSpecError;
      }
    }),
    { seed, numRuns: 3000 },
  );
  t.log(`seed ${seed}`);
  t.is(formatDurationMs(90_000), '90s');
});
