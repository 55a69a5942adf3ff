import type { DatagramLink } from '../ports/serial.ts';
import type { PlantMsg } from '../rig/sim-protocol.ts';
import type { ProcessIo } from './board.ts';

/** Sensor readings kept (by cycle): a few cycles ahead and behind. */
const readingsKeptMax = 16;

/**
 * The workload's field I/O through a plant reached over UDP: the simulator's plant process, or a
 * plant model on a lab PC when real boards run against a simulated process (hardware in the loop).
 * Readings arrive by cycle; outputs and select lines go out every cycle. A change of this board's
 * select choice is handed to `onSelectChange` (the johnny-five output-select relays).
 */
export class UdpPlantIo implements ProcessIo {
  readonly #readings = new Map<number, readonly number[]>();
  #last: readonly number[];
  #selected: string | null | undefined = undefined;
  readonly stats = { readings: 0, badDatagrams: 0, staleReads: 0 };

  constructor(
    readonly self: string,
    readonly link: DatagramLink,
    readonly plantAddr: string,
    readonly onSelectChange: (board: string | null) => void,
    inputsCount = 2,
    /** Each reading as it arrives (a simulated board's field bench sets its devices from it). */
    readonly onReading?: (cycle: number, values: readonly number[]) => void,
  ) {
    this.#last = new Array<number>(inputsCount).fill(0);
    link.onMessage((data) => {
      try {
        const m = JSON.parse(Buffer.from(data).toString('utf8')) as PlantMsg;
        if (m.t !== 'sens' || typeof m.cycle !== 'number' || !Array.isArray(m.values)) throw new Error('not a reading');
        this.#readings.set(m.cycle, m.values);
        this.stats.readings++;
        this.onReading?.(m.cycle, m.values);
        if (this.#readings.size > readingsKeptMax) this.#readings.delete(Math.min(...this.#readings.keys()));
      } catch {
        this.stats.badDatagrams++;
      }
    });
  }

  sensors(cycle: number): readonly number[] {
    const r = this.#readings.get(cycle);
    if (r) this.#last = r;
    else this.stats.staleReads++;
    return this.#last;
  }

  present(cycle: number, outputs: readonly number[], safe: boolean, epoch?: number): void {
    this.#send({ t: 'out', b: this.self, cycle, outputs: [...outputs], safe, ...(epoch !== undefined ? { epoch } : {}) });
  }

  select(cycle: number, board: string | null): void {
    this.#send({ t: 'sel', b: this.self, cycle, sel: board });
    if (board !== this.#selected) {
      this.#selected = board;
      this.onSelectChange(board);
    }
  }

  #send(m: PlantMsg): void {
    this.link.send(Buffer.from(JSON.stringify(m)), this.plantAddr);
  }
}
