/**
 * Test helper: a real null-modem cable of two pseudo-terminals (PtyCable), the board's end opened
 * with the real serial adapter (serialport's native binding) as a SerialLink, the other end's
 * path free for a client to open, as `screen` would.
 */
import { openSerialLink } from '../../src/adapters/real/serial.ts';
import { PtyCable } from '../../src/adapters/sim/pty-cable.ts';
import type { SerialLink } from '../../src/ports/serial.ts';

export interface PtyPair {
  /** Path of the client's side (/dev/pts/N). */
  path: string;
  link: SerialLink;
  close(): Promise<void>;
}

export async function openPtyPair(txQueueBytesMax = 64 * 1024): Promise<PtyPair> {
  const cable = await PtyCable.open();
  const link = await openSerialLink({ path: cable.pathA, txQueueBytesMax });
  return {
    path: cable.pathB,
    link,
    close: async () => {
      await link.close();
      await cable.close();
    },
  };
}
