/**
 * The examples on the whole simulated rig with their field I/O (`ftc sim --workload ... --io
 * ...`): every board reads its own simulated TMP102 or switch lines through the real drivers and
 * drives its own output lines. Each story is one fault: the active board crashes, or one board's
 * sensor stops answering. Either way no cycle is lost, no output differs from the fault-free
 * reference (quantised through the same converters), and no cycle has two drivers.
 */
import test from 'ava';
import { simulateJudged } from '../helpers/e2e-sim.ts';

const durationMs = 10_000;
// An I²C sensor that stops answering is a failed sample its board logs (field); a switch line that
// breaks reads a wrong level, which only the peers' comparison shows (sensorDisagree).
const stories: { example: string; signal: string; i2c: boolean }[] = [
  { example: 'thermostat', signal: 'tempC', i2c: true },
  { example: 'sequencer', signal: 'levelHigh', i2c: false },
];

for (const { example, signal, i2c } of stories) {
  const extra = { workload: `examples/${example}/workload.ts`, io: `examples/${example}/io.yaml`, durationMs };

  test.serial(`${example} on its own sensors: the active board crashes and the others carry on`, async (t) => {
    const { summary, lines } = await simulateJudged(t, ['kill:active@3s'], () => [], extra);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    t.is(events.filter((e) => e.kind === 'field').length >= 3, true, 'every board said where its signals come from');
    t.is(summary.failovers, 1, 'one failover');
    t.is(summary.lostCycles, 0);
    t.is(summary.wrongOutputs, 0);
    t.is(summary.dualDriven, 0);
  });

  test.serial(`${example} on its own sensors: one board's ${signal} stops answering for 3 s and is outvoted, not crashed`, async (t) => {
    const { summary, lines } = await simulateJudged(t, [`sensor:b2:${signal}:nack@3s+3s`], () => [], extra);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const b2 = events.filter((e) => e.board === 'b2');
    if (i2c) t.true(b2.some((e) => e.kind === 'field' && e.signal === signal), `b2 logged its ${signal} source failing`);
    t.false(events.some((e) => e.kind === 'process-spawn' && e.child === 'b2' && e.reason !== 'power-on'), 'b2 was not restarted');
    t.false(events.some((e) => (e.kind === 'votedOut' || e.kind === 'fence') && e.target === 'b2'), 'a bad sensor is not a bad board: b2 stays in');
    t.true(events.some((e) => e.kind === 'alarm' && e.code === 'sensorDisagree' && e.target === 'b2'), 'its peers flagged its sample');
    t.is(summary.lostCycles, 0);
    t.is(summary.wrongOutputs, 0);
    t.is(summary.dualDriven, 0);
  });
}
