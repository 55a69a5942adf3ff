/**
 * Field I/O: where a workload's input signals come from and where its outputs go on one board.
 *
 * Each input signal of the workload has one `FieldSource` (a GPIO line, an I²C sensor or ADC, a
 * johnny-five part); each output one `FieldSink`. The board samples its own sources every cycle
 * (src/field/field-io.ts); the voter agrees the three boards' samples as for any other input.
 * Real drivers and simulated devices sit behind the same two interfaces.
 */

/**
 * One input signal's source.
 *
 * Contract:
 * - `sample()` takes one reading and resolves with it in the signal's engineering unit (volts,
 *   °C, amperes, a count, 0/1 for a discrete line). The caller never has two `sample()` calls of
 *   one source in flight at once.
 * - An operating error (I²C NACK or timeout, a GPIO read that failed, a conversion that never
 *   finished) rejects with an Error whose `code` names it (`EREMOTEIO`, `ETIMEDOUT`, `EIO`,
 *   `ENOTREADY`...). The caller counts it and uses no value for that cycle: it is a bad sample,
 *   never a crash.
 * - A bounded number of bus transactions per call (each driver states its own maximum), so one
 *   sample takes bounded bus time.
 * - `close()` releases the line or the bus; after it `sample()` rejects with code `ECLOSED`.
 */
export interface FieldSource {
  /** Human-readable, for messages and the console: `ads1115@0x48 AIN0 on i2c-1`. */
  readonly describe: string;
  sample(): Promise<number>;
  close(): Promise<void> | void;
}

/**
 * One output signal's sink: the board's own line into the 2-out-of-3 output-select stage (the
 * stage, not the sink, decides whether this board's value reaches the actuator).
 *
 * Contract:
 * - `write(value)` sets the output to the workload's value (analog: in the signal's range, a
 *   PWM duty is scaled from it; discrete: 0 or 1). Synchronous: a sink that needs a bus
 *   transaction starts it and does not wait. It never throws on an operating error: a failed
 *   write is counted in `errors`, and the next `write` tries again.
 * - `close()` leaves the output in its safe level (the sink's `safe` value) and releases it.
 */
export interface FieldSink {
  readonly describe: string;
  write(value: number): void;
  /** Operating errors seen so far (a failed write is counted, never thrown). */
  readonly errors: number;
  close(): Promise<void> | void;
}

/** Errors of a field source that are not a bus or line error of their own. */
export class FieldError extends Error {
  constructor(
    readonly code: 'ENOTREADY' | 'ECLOSED' | 'ERANGE' | string,
    message: string,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}
