import test from 'ava';
import fc from 'fast-check';
import { HealthDecodeError, decodeHealth, encodeHealth, healthDeductions, healthScore, healthScoreMax } from '../../src/watchdog/core-health.ts';
import type { HealthSummary } from '../../src/watchdog/core-health.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectHealth, readTemperatureC } from '../../src/watchdog/board-health.ts';
import { Supervisor } from '../../src/watchdog/core-supervisor.ts';
import { supervisorConfig } from './rig.ts';

const perfect: HealthSummary = { supervision: 'OK', psu: 'redundant', nic: 'redundant', temperatureC: 45, eventLoopDelayMs: 3, linkErrorRatesPpm: [0, 0] };

test('a perfect board scores the maximum and has nothing to explain', (t) => {
  t.is(healthScore(perfect), healthScoreMax);
  t.deepEqual(healthDeductions(perfect), []);
});

test('the voter can rank boards: each degradation lowers the score, and the console can say why', (t) => {
  const psuDegraded = { ...perfect, psu: 'degraded' as const };
  const nicDown = { ...perfect, nic: 'down' as const };
  const hot = { ...perfect, temperatureC: 78 };
  const noisyLink = { ...perfect, linkErrorRatesPpm: [0, 2500] };
  const failing = { ...perfect, supervision: 'FAILED' as const };
  const ranked = [nicDown, failing, psuDegraded, hot, noisyLink, perfect].sort((a, b) => healthScore(b) - healthScore(a));
  t.deepEqual(ranked, [perfect, noisyLink, hot, psuDegraded, failing, nicDown]);
  t.deepEqual(healthDeductions({ ...psuDegraded, temperatureC: 90 }), [
    { points: 300, reason: 'temperature 90 °C at or above 85 °C' },
    { points: 200, reason: 'power degraded' },
  ]);
  t.deepEqual(healthDeductions(noisyLink), [{ points: 25, reason: 'link 1 errors 2500 ppm' }]);
});

test('health summaries survive the compact encoding', (t) => {
  const bytes = encodeHealth({ ...perfect, temperatureC: -12.3, linkErrorRatesPpm: [0, 17, 1_000_000] });
  t.is(bytes.length, 7 + 3 * 4);
  t.deepEqual(decodeHealth(bytes), { ...perfect, temperatureC: -12.3, linkErrorRatesPpm: [0, 17, 1_000_000] });
  const none = encodeHealth({ ...perfect, temperatureC: undefined, eventLoopDelayMs: undefined, linkErrorRatesPpm: [] });
  t.is(none.length, 7);
  t.like(decodeHealth(none), { temperatureC: undefined, eventLoopDelayMs: undefined, linkErrorRatesPpm: [] });
});

test('seeded: any summary in range round-trips; any truncation or corruption is rejected or decodes within range', (t) => {
  const seed = 4242;
  t.log(`seed ${seed}`);
  const summary = fc.record({
    supervision: fc.constantFrom('OK', 'FAILED', 'EXPIRED'),
    psu: fc.constantFrom('redundant', 'degraded', 'lost', 'unknown'),
    nic: fc.constantFrom('redundant', 'degraded', 'down', 'unknown'),
    temperatureC: fc.option(fc.integer({ min: -400, max: 1500 }).map((d) => d / 10), { nil: undefined }),
    eventLoopDelayMs: fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: undefined }),
    linkErrorRatesPpm: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 8 }),
  }) as fc.Arbitrary<HealthSummary>;
  t.notThrows(() =>
    fc.assert(
      fc.property(summary, fc.nat(), fc.integer({ min: 0, max: 255 }), (h, cut, byte) => {
        const bytes = encodeHealth(h);
        if (JSON.stringify(decodeHealth(bytes)) !== JSON.stringify(h)) return false;
        const truncated = bytes.slice(0, cut % bytes.length);
        try {
          decodeHealth(truncated);
          return false;
        } catch (e) {
          if (!(e instanceof HealthDecodeError)) return false;
        }
        const corrupt = bytes.slice();
        corrupt[cut % corrupt.length] = byte;
        try {
          const d = decodeHealth(corrupt);
          return d.linkErrorRatesPpm.every((p) => p <= 1_000_000) && Number.isFinite(healthScore(d));
        } catch (e) {
          return e instanceof HealthDecodeError;
        }
      }),
      { seed, numRuns: 2000 },
    ),
  );
});

test('a payload from a newer format version is refused with a message saying so', (t) => {
  const bytes = encodeHealth(perfect);
  bytes[0] = 2;
  t.throws(() => decodeHealth(bytes), { instanceOf: HealthDecodeError, message: /version 2, this board speaks 1/ });
});

test('a board gathers its summary from its monitors and its thermal zone, and a broken sensor is left out', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ftc-thermal-'));
  const zone = join(dir, 'temp');
  writeFileSync(zone, '71250\n');
  const supervisor = new Supervisor(supervisorConfig(), 0);
  const h = collectHealth({ supervisor, psu: { state: 'degraded' }, nic: { state: 'redundant' }, temperaturePath: zone, eventLoopDelayMs: 4, linkErrorRatesPpm: [12] });
  t.deepEqual(h, { supervision: 'OK', psu: 'degraded', nic: 'redundant', temperatureC: 71.25, eventLoopDelayMs: 4, linkErrorRatesPpm: [12] });
  t.deepEqual(decodeHealth(encodeHealth(h)), { ...h, temperatureC: 71.3 });
  writeFileSync(zone, 'garbage');
  t.regex((readTemperatureC(zone) as Error).message, /is not millidegrees/);
  t.is(collectHealth({ supervisor, temperaturePath: zone, linkErrorRatesPpm: [] }).temperatureC, undefined);
  t.regex((readTemperatureC(join(dir, 'absent')) as Error).message, /ENOENT/);
});
