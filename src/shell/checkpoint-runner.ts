/**
 * The checkpoint class on a board (shell ring): the pure CheckpointCore, fed the rig's membership
 * as the lockstep core sees it, and the workload's own (possibly asynchronous, non-deterministic)
 * step run on the primary once per cycle.
 *
 * Epochs are numbered by the rig's cycle: the primary starts epoch c at cycle c's start with the
 * inputs it samples then, and its outputs are presented for cycle c when a backup has
 * acknowledged the checkpoint, so the output stage (2-out-of-3 selects on the active board, as
 * for lockstep workloads) takes them on the cycle grid it already has. A step still running at
 * the next cycle start is not doubled: that cycle has no epoch (the output stage holds).
 */
import { CheckpointCore, makeCheckpointConfig, type CkptEffect, type MembershipView } from '../checkpoint/core.ts';
import { CHUNK_DATA_BYTES_MAX, encodeCkpt } from '../checkpoint/codec.ts';
import { CkptInbox } from './ckpt-inbox.ts';
import { MsgType } from '../bus/msgtypes.ts';
import type { BoardLog } from '../eventlog/eventlog.ts';
import type { Workload } from '../workload/types.ts';
import type { ProcessIo } from './board.ts';

/** The largest state a checkpoint workload may have (encoded). */
export const CHECKPOINT_STATE_BYTES_MAX = 64 * 1024;

export interface CheckpointRunnerParts<S> {
  selfIdx: number;
  boards: readonly string[];
  workload: Workload<S>;
  io: ProcessIo;
  log: BoardLog;
  periodMs: number;
  send(type: number, payload: Uint8Array, to?: number): void;
}

export class CheckpointRunner<S> {
  readonly core: CheckpointCore;
  readonly stats = { epochs: 0, released: 0, skipped: 0, stepErrors: 0 };
  readonly #p: CheckpointRunnerParts<S>;
  readonly #inbox = new CkptInbox();
  #state: S | null = null;
  #running = false;
  #lastStartedCycle = -1;
  #view: MembershipView = { member: false, primary: null, membersMask: 0 };
  /** A committed epoch whose cycle has passed (re-released on resume): presented at the next cycle start. */
  #reRelease: { epoch: number; outputs: readonly number[] } | null = null;
  #cycle = -1;

  constructor(p: CheckpointRunnerParts<S>) {
    this.#p = p;
    this.core = new CheckpointCore(makeCheckpointConfig({
      self: p.selfIdx, boards: p.boards.length, chunkBytesMax: CHUNK_DATA_BYTES_MAX, stateBytesMax: CHECKPOINT_STATE_BYTES_MAX,
      outputsMax: p.workload.outputs.length, retryMs: 2 * p.periodMs,
    }));
  }

  /** A frame of type Checkpoint from a peer. */
  receive(payload: Uint8Array): void {
    this.#inbox.receive(payload);
  }

  /** One step at `nowMs` with the membership as it stands; `cycle` is the rig's current cycle. */
  tick(nowMs: number, view: MembershipView, cycle: number): void {
    this.#view = view;
    this.#cycle = cycle;
    const inbox = this.#inbox.take();
    this.#apply(this.core.step(nowMs, inbox, view));
    if (this.core.role !== 'primary' || cycle <= this.#lastStartedCycle) return;
    if (this.#running) { this.stats.skipped++; this.#lastStartedCycle = cycle; return; }
    this.#lastStartedCycle = cycle;
    const re = this.#reRelease;
    if (re) {
      // The newest committed outputs, late: this cycle carries them (tagged with their epoch, so
      // the output stage knows them for what they are); the next cycle computes afresh.
      this.#reRelease = null;
      this.stats.released++;
      this.#p.io.present(cycle, re.outputs, false, re.epoch);
      return;
    }
    this.#startEpoch(cycle);
  }

  get statusLine(): Record<string, unknown> {
    return { role: this.core.role, term: this.core.term, held: this.core.heldEpoch, releasedEpoch: this.core.releasedEpoch, ...this.stats, ...this.#inbox.stats };
  }

  #startEpoch(epoch: number): void {
    const wl = this.#p.workload;
    const state = this.#state ?? wl.init();
    const inputs = [...this.#p.io.sensors(epoch)];
    this.#running = true;
    const step = wl.stepAsync ? wl.stepAsync(state, inputs) : Promise.resolve(wl.step(state, inputs));
    step.then(
      (r) => {
        this.#running = false;
        if (this.core.role !== 'primary' || epoch < this.core.nextEpoch) return; // demoted, or resumed past it, while it ran
        this.#state = r.state;
        this.stats.epochs++;
        this.#apply(this.core.complete(epoch, wl.encode(r.state), r.outputs, this.#view));
      },
      (e: unknown) => {
        this.#running = false;
        this.stats.stepErrors++;
        this.#p.log.append('workload-error', { epoch, error: e instanceof Error ? e.message : String(e) });
      },
    );
  }

  #apply(fx: CkptEffect[]): void {
    for (const e of fx) {
      switch (e.kind) {
        case 'send':
          this.#p.send(MsgType.Checkpoint, encodeCkpt(e.msg), e.to === undefined ? undefined : e.to + 1);
          break;
        case 'release':
          // Its cycle gone (the output stage closes cycle c at c + 1.5 periods): the outputs of the
          // checkpoint a new primary resumed from. Held for the next cycle.
          if (e.epoch < this.#cycle - 1) this.#reRelease = { epoch: e.epoch, outputs: e.outputs };
          else {
            this.stats.released++;
            this.#p.io.present(e.epoch, e.outputs, false);
          }
          break;
        case 'resume':
          // Continue from the newest checkpoint of the rig (null: nobody had one, start from init).
          this.#state = e.state ? this.#p.workload.decode(e.state) : null;
          this.#p.log.append('resumed', { epoch: e.epoch, term: e.term });
          break;
        case 'event':
          if (e.code === 'primary' || e.code === 'demoted') this.#p.log.append(`checkpoint-${e.code}`, { detail: e.detail });
          break;
      }
    }
  }
}
