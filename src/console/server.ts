/**
 * Serve the console on a serial port (ring 3, thin): bytes from the SerialLink go to a
 * ConsoleSession with the time of arrival; its output goes back out. A write the link refuses
 * (queue full, port gone) is counted by the link itself (SerialLink contract) and not retried:
 * console output is best effort, the board's work is not.
 */
import type { Clock } from '../ports/clock.ts';
import type { SerialLink } from '../ports/serial.ts';
import { ConsoleSession } from './session.ts';
import type { ConsoleSessionOptions } from './session.ts';

export interface ConsoleServerOptions extends Omit<ConsoleSessionOptions, 'write'> {
  link: SerialLink;
  clock: Clock;
}

export interface ConsoleServer {
  readonly session: ConsoleSession;
  /** Resolves when all input received so far has been handled (tests). */
  idle(): Promise<void>;
}

export function serveConsole(options: ConsoleServerOptions): ConsoleServer {
  const { link, clock, ...sessionOptions } = options;
  const session = new ConsoleSession({
    ...sessionOptions,
    write: (text) => {
      link.write(Buffer.from(text, 'utf8'));
    },
  });
  let last: Promise<void> = Promise.resolve();
  link.onData((chunk) => {
    last = session.feed(chunk, clock.nowMs());
  });
  session.start();
  return { session, idle: () => last };
}
