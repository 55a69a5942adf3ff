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
