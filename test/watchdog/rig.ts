/**
 * A small watchdog rig for scenario tests: a control task with checkpoints, the supervisor,
 * the gate and a simulated watchdog that records resets, all under one virtual clock.
 * The task runs every `cyclePeriodMs`; a scenario chooses what each cycle does.
 */
import { VirtualClock } from '../../src/ports/clock.ts';
import type { SupervisorConfig } from '../../src/watchdog/core-supervisor.ts';
import { Supervisor } from '../../src/watchdog/core-supervisor.ts';
import type { FeedGateConfig } from '../../src/watchdog/core-gate.ts';
import { SimWatchdog } from '../../src/watchdog/sim-watchdog.ts';
import type { ResetReason } from '../../src/watchdog/sim-watchdog.ts';
import { WatchdogService } from '../../src/watchdog/watchdog-service.ts';
import { eventLoopDelayMeasurement } from '../../src/watchdog/event-loop-monitor.ts';

export const cyclePeriodMs = 10;
export const aliveCycleMs = 100;
export const deadlineMaxMs = 8;
export const aliveFailedCyclesTolerance = 1;
export const loopDelayLimitMs = 200;
export const hwTimeoutMs = 1000;
export const feedPeriodMs = 100;

export const controlSteps = ['cycleStart', 'read', 'compute', 'write', 'cycleEnd'] as const;

export function supervisorConfig(): SupervisorConfig {
  return {
    entities: [
      {
        name: 'control',
        checkpoints: [...controlSteps],
        alive: [{ checkpoint: 'cycleEnd', referenceCycleMs: aliveCycleMs, expectedIndications: 10, minMargin: 2, maxMargin: 2, failedCyclesTolerance: aliveFailedCyclesTolerance }],
        deadline: [{ start: 'cycleStart', end: 'cycleEnd', minMs: 0, maxMs: deadlineMaxMs }],
        logical: [
          {
            initial: ['cycleStart'],
            final: ['cycleEnd'],
            transitions: [
              ['cycleStart', 'read'],
              ['read', 'compute'],
              ['compute', 'write'],
              ['write', 'cycleEnd'],
            ],
          },
        ],
      },
    ],
    measurements: [{ name: eventLoopDelayMeasurement, limit: loopDelayLimitMs, exceededTolerance: 0, staleMs: 2000 }],
  };
}

/** What one control cycle does: the checkpoints it reports, each `stepMs` apart. */
export type CyclePlan = { steps: readonly string[]; stepMs: number } | 'skip';
export const healthyCycle: CyclePlan = { steps: controlSteps, stepMs: 1 };

export interface Rig {
  clock: VirtualClock;
  supervisor: Supervisor;
  service: WatchdogService;
  hw: SimWatchdog;
  resets: ResetReason[];
  /** Feed times, ms. */
  feeds: number[];
  /** Event-loop delay the next sample reports (a stall sets it). */
  loopDelayMs: number;
  /** Runs `cycles` control cycles, choosing each cycle's plan by its index. */
  run(cycles: number, plan?: (i: number) => CyclePlan): void;
  /** The loop stalls: no tick for `ms`, then the monitor reports the delay. */
  stall(ms: number): void;
  /** Time the gate stopped (first tick where state became stopped), if it did. */
  stoppedAtMs: number | undefined;
}

export async function makeRig(gate: Partial<FeedGateConfig> = {}): Promise<Rig> {
  const clock = new VirtualClock(0);
  const supervisor = new Supervisor(supervisorConfig(), 0);
  const resets: ResetReason[] = [];
  const hw = new SimWatchdog({ clock, timeoutMs: hwTimeoutMs, windowMinMs: gate.windowMinMs, onReset: (r) => resets.push(r) });
  const feeds: number[] = [];
  const origFeed = hw.feed.bind(hw);
  hw.feed = () => {
    feeds.push(clock.nowMs());
    origFeed();
  };
  const rig: Rig = {
    clock,
    supervisor,
    hw,
    resets,
    feeds,
    loopDelayMs: 1,
    stoppedAtMs: undefined,
    service: undefined as unknown as WatchdogService,
    run(cycles, plan = () => healthyCycle) {
      for (let i = 0; i < cycles; i++) {
        const startMs = clock.nowMs();
        const p = plan(i);
        if (p !== 'skip') {
          for (const cp of p.steps) {
            supervisor.checkpoint('control', cp, clock.nowMs());
            tickAll();
            clock.advance(p.stepMs);
          }
        }
        const restMs = startMs + cyclePeriodMs - clock.nowMs();
        if (restMs > 0) clock.advance(restMs);
        tickAll();
      }
    },
    stall(ms) {
      clock.advance(ms);
      rig.loopDelayMs = ms;
      tickAll();
      rig.loopDelayMs = 1;
    },
  };
  const tickAll = () => {
    rig.service.tick(clock.nowMs());
    if (rig.stoppedAtMs === undefined && rig.service.gate.state === 'stopped') rig.stoppedAtMs = clock.nowMs();
    hw.poll(clock.nowMs());
  };
  rig.service = await WatchdogService.start({
    hw,
    supervisor,
    clock,
    gate: { timeoutMs: hwTimeoutMs, feedPeriodMs, jitterMarginMs: 20, ...gate },
    eventLoop: () => ({ maxMs: rig.loopDelayMs, p99Ms: rig.loopDelayMs, meanMs: rig.loopDelayMs, count: 1 }),
    measurePeriodMs: 50,
  });
  return rig;
}
