/**
 * Test helper: three fake boards whose consoles are served over real pseudo-terminals (PtyCable:
 * the board side opened with the real serial adapter, the host side left for the driver), with a
 * small shared rig state that the console's inject and fence change the way a healthy rig would.
 */
import { PtyCable } from '../../src/adapters/sim/pty-cable.ts';
import { openSerialLink } from '../../src/adapters/real/serial.ts';
import type { ConsoleBackend, LogEvent, StatusInfo, VoteInfo } from '../../src/console/backend.ts';
import { verifyPassword } from '../../src/console/password.ts';
import { serveConsole } from '../../src/console/server.ts';
import { monotonicClock } from '../../src/ports/clock.ts';
import type { SerialLink } from '../../src/ports/serial.ts';
import { fakeBackend } from '../console/fake-backend.ts';

export const RIG_BOARDS = ['b1', 'b2', 'b3'] as const;

export interface FakeRigOptions {
  injectEnabled?: boolean;
  passwordHash?: string | null;
  /** Wraps a board's console link (to corrupt what it sends, say). */
  wrapLink?: (board: string, link: SerialLink) => SerialLink;
  /** Fault kinds a board's console can inject itself (a real board: flip, stall); default all. */
  selfInject?: readonly string[];
  /** How a fenced or stalled board comes back: ms to leave, reset, rejoin. */
  leaveMs?: number;
  resetMs?: number;
  rejoinMs?: number;
}

export class FakeRig {
  readonly rateHz = 50;
  readonly t0 = performance.now();
  active = 'b1';
  members: string[] = [...RIG_BOARDS];
  readonly boot: Record<string, number> = { b1: 1, b2: 1, b3: 1 };
  readonly reason: Record<string, string> = { b1: 'power-on', b2: 'power-on', b3: 'power-on' };
  readonly calls: string[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #o: Required<Pick<FakeRigOptions, 'leaveMs' | 'resetMs' | 'rejoinMs'>>;
  readonly #selfInject: readonly string[] | null;

  constructor(o: FakeRigOptions = {}) {
    this.#o = { leaveMs: o.leaveMs ?? 100, resetMs: o.resetMs ?? 300, rejoinMs: o.rejoinMs ?? 600 };
    this.#selfInject = o.selfInject ?? null;
  }

  cycle(): number {
    return Math.floor(((performance.now() - this.t0) * this.rateHz) / 1000);
  }

  /** The board leaves the set, resets for `reason`, and comes back, on the configured schedule. */
  cycleBoard(board: string, reason: string): void {
    const later = (ms: number, fn: () => void) => this.#timers.push(setTimeout(fn, ms));
    later(this.#o.leaveMs, () => {
      this.members = this.members.filter((b) => b !== board);
      if (this.active === board) this.active = this.members[0]!;
    });
    later(this.#o.resetMs, () => {
      this.boot[board]!++;
      this.reason[board] = reason;
    });
    later(this.#o.rejoinMs, () => {
      this.members = RIG_BOARDS.filter((b) => b === board || this.members.includes(b));
    });
  }

  backend(board: string): ConsoleBackend {
    const status = (): StatusInfo => ({
      board, boot: this.boot[board]!, bootReason: this.reason[board]!, uptimeMs: 1000, cycle: this.cycle(), rateHz: this.rateHz, epoch: 1,
      role: !this.members.includes(board) ? 'down' : this.active === board ? 'active' : 'standby', activeBoard: this.active, mode: 'TMR',
      members: [...this.members], health: 'ok', lastVote: null,
    });
    const votes = (n: number): VoteInfo[] => {
      const last = this.cycle();
      return Array.from({ length: Math.min(n, last + 1) }, (_, i) => last - Math.min(n, last + 1) + 1 + i).map((cycle) => ({
        cycle, outcome: 'unanimous', agree: [...this.members], dissent: [], missing: [], digest: 'ab',
      }));
    };
    const log = (n: number): LogEvent[] => [{ t: new Date().toISOString(), mono: 0, board, boot: this.boot[board]!, seq: 0, kind: 'boot', reason: this.reason[board] }].slice(-n);
    return fakeBackend({
      status, votes, log,
      inject: (spec) => {
        if (this.#selfInject && !this.#selfInject.includes(spec.kind)) return { ok: false, message: `${spec.kind} cannot be injected from this board's console` };
        this.calls.push(`${board}: inject ${spec.kind}`);
        if (spec.kind === 'stall' && 'board' in spec) this.cycleBoard(spec.board, 'watchdog');
        return { ok: true, message: `${spec.kind} injected` };
      },
      fence: (b) => {
        this.calls.push(`${board}: fence ${b}`);
        this.cycleBoard(b, 'watchdog');
        return { ok: true, message: `${b} fenced` };
      },
    });
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
  }
}

export interface ServedConsole {
  /** The host side, for the driver. */
  path: string;
  /** The board's end of the console cable (write junk on it to simulate line noise). */
  boardLink: SerialLink;
  close(): Promise<void>;
}

/** Serves `backend` as `board`'s console on a fresh pty cable. */
export async function serveOnPty(board: string, backend: ConsoleBackend, o: FakeRigOptions = {}): Promise<ServedConsole> {
  const cable = await PtyCable.open();
  const raw = await openSerialLink({ path: cable.pathA });
  const link = o.wrapLink ? o.wrapLink(board, raw) : raw;
  serveConsole({
    link, clock: monotonicClock, backend, board, boards: [...RIG_BOARDS],
    passwordHash: o.passwordHash ?? null, verifyPassword, injectEnabled: o.injectEnabled ?? true,
  });
  return {
    path: cable.pathB,
    boardLink: raw,
    close: async () => {
      await raw.close();
      await cable.close();
    },
  };
}
