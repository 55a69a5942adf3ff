/**
 * Checkpoint-class messages received between two ticks of a board (shell ring): decoded as they
 * arrive, bounded, taken whole by the next tick. Shared by the checkpoint and process runners.
 */
import { decodeCkpt } from '../checkpoint/codec.ts';
import type { CkptMsg } from '../checkpoint/core.ts';

/** Messages queued between ticks at most (a flood is dropped and counted, never unbounded). */
export const CKPT_INBOX_MAX = 512;

export class CkptInbox {
  readonly stats = { badMessages: 0, dropped: 0 };
  #queue: CkptMsg[] = [];

  /** A frame of type Checkpoint from a peer: a malformed one is counted, never thrown. */
  receive(payload: Uint8Array): void {
    const d = decodeCkpt(payload);
    if (!d.ok) { this.stats.badMessages++; return; }
    if (this.#queue.length >= CKPT_INBOX_MAX) { this.stats.dropped++; return; }
    this.#queue.push(d.msg);
  }

  /** Everything received since the last take. */
  take(): CkptMsg[] {
    const q = this.#queue;
    this.#queue = [];
    return q;
  }
}
