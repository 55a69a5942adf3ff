/**
 * Builds the HwWatchdog a board config names (`watchdog.kind`: dev | systemd | gpio-kick | sim,
 * src/config/board.ts WATCHDOG_KINDS). The shell opens the GPIO lines and owns the clock.
 */
import type { Clock } from '../ports/clock.ts';
import type { GpioLine } from '../ports/gpio.ts';
import type { HwWatchdog } from '../ports/watchdog.ts';
import { LinuxWatchdog } from './dev-watchdog.ts';
import { GpioWatchdog } from './gpio-watchdog.ts';
import { SimWatchdog } from './sim-watchdog.ts';
import type { ResetReason } from './sim-watchdog.ts';
import { SystemdNotifyWatchdog } from './systemd-notify.ts';

export type HwWatchdogSpec =
  | { kind: 'dev'; device: string; timeoutMs?: number; sysfsDir?: string }
  | { kind: 'systemd'; env?: Record<string, string | undefined> }
  | { kind: 'gpio-kick'; kick: GpioLine; enable?: GpioLine; timeoutMs: number; name?: string }
  | { kind: 'sim'; clock: Clock; timeoutMs: number; windowMinMs?: number; onReset: (reason: ResetReason) => void };

/** Drivers may also react to expiry (see WatchdogService). */
export type AnyHwWatchdog = HwWatchdog & { trigger?(reason: string): unknown; abandon?(): void };

export function createHwWatchdog(spec: HwWatchdogSpec): AnyHwWatchdog {
  switch (spec.kind) {
    case 'dev':
      return new LinuxWatchdog({ devicePath: spec.device, timeoutMs: spec.timeoutMs, sysfsDir: spec.sysfsDir });
    case 'systemd':
      return new SystemdNotifyWatchdog(spec.env ? { env: spec.env } : {});
    case 'gpio-kick':
      return new GpioWatchdog({ kick: spec.kick, enable: spec.enable, timeoutMs: spec.timeoutMs, name: spec.name });
    case 'sim':
      return new SimWatchdog({ clock: spec.clock, timeoutMs: spec.timeoutMs, windowMinMs: spec.windowMinMs, onReset: spec.onReset });
  }
}

/**
 * The board's watchdog plus systemd's, fed together by the one supervision gate. Under
 * hw/systemd/ftc.service (Type=notify, WatchdogSec=) systemd waits for READY=1 and wants
 * WATCHDOG=1 whatever resets the hardware: with `watchdog.kind: dev` or `gpio-kick` and no
 * notifier the start would time out and a hung event loop would go unseen by systemd.
 * Its reset deadline is the shorter of the two; `trigger`/`abandon` belong to the hardware one.
 */
export class PairedWatchdog implements AnyHwWatchdog {
  readonly name: string;
  readonly timeoutMs: number;
  readonly timeoutMaxMs: number;

  constructor(
    readonly hw: AnyHwWatchdog,
    readonly systemd: SystemdNotifyWatchdog,
  ) {
    this.name = `${hw.name} + ${systemd.name}`;
    this.timeoutMs = Math.min(hw.timeoutMs, systemd.timeoutMs);
    this.timeoutMaxMs = Math.min(hw.timeoutMaxMs, systemd.timeoutMaxMs);
  }

  async start(): Promise<void> {
    // The hardware first: READY=1 tells systemd that supervision really is armed.
    await this.hw.start();
    await this.systemd.start();
  }

  feed(): void {
    this.hw.feed();
    this.systemd.feed();
  }

  async disarm(): Promise<boolean> {
    const [hw] = await Promise.all([this.hw.disarm(), this.systemd.disarm()]);
    return hw;
  }

  trigger(reason: string): unknown {
    return this.hw.trigger?.(reason);
  }

  abandon(): void {
    this.hw.abandon?.();
  }
}

/** `hw` alone, or paired with systemd's notifier when this process runs under Type=notify. */
export function withSystemdNotify(hw: AnyHwWatchdog, env: Record<string, string | undefined> = process.env): AnyHwWatchdog {
  if (hw instanceof SystemdNotifyWatchdog) return hw;
  const systemd = new SystemdNotifyWatchdog({ env });
  return systemd.active ? new PairedWatchdog(hw, systemd) : hw;
}
