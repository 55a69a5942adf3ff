/**
 * Example: a batch sequencer with interlocks, as in a washer or a small process vessel. It runs
 * idle -> fill (inlet open until the high switch) -> mix (pump for mixCycles) -> drain (outlet
 * open until the low switch clears) -> idle, over and over.
 * Inputs (limit switches, 0|1): levelLow (1: the liquid covers the low switch), levelHigh (1: it
 * covers the high switch), doorClosed (1: the door's switch is made).
 * Outputs (0|1): inletValve, outletValve, pump.
 * Interlocks, applied last whatever the step says: never inlet and outlet open together; no
 * inlet with the high switch covered; the pump only with the door closed and the low switch
 * covered; everything off while the door is open (the step is held, and resumes when it closes).
 * A fill or drain that does not reach its switch within its timeout latches `fault` (all off)
 * until the door is opened and closed again (the operator's acknowledgement); it then drains.
 * Options (cycles): idleCycles (10), mixCycles (40), fillTimeoutCycles (400), drainTimeoutCycles (400).
 *
 * Deterministic: the state is a step name and a cycle count, moved only by the agreed switches.
 * Time is counted in cycles, never read from a clock.
 */
import { defineWorkload, keyedNoise, type PlantContext, type PlantModel } from '../../src/workload/define.ts';

export type SequencerStep = 'idle' | 'fill' | 'mix' | 'drain' | 'fault';

export interface SequencerState {
  step: SequencerStep;
  /** Cycles spent in the step (door-open cycles not counted), capped at cyclesInStepMax. */
  cyclesInStep: number;
  /** In `fault`: the door has been opened since (closing it again acknowledges). */
  doorOpened: boolean;
}

/** Above every timeout: the count stops growing once no decision depends on it. */
const cyclesInStepMax = 100_000;

function cyclesOption(o: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v >= cyclesInStepMax) {
    throw new RangeError(`${key}: ${JSON.stringify(v)} is not a whole number of cycles in 1..${cyclesInStepMax - 1}`);
  }
  return v;
}

const allOff = [0, 0, 0];

export default function sequencer(options: Readonly<Record<string, unknown>>) {
  const idleCycles = cyclesOption(options, 'idleCycles', 10);
  const mixCycles = cyclesOption(options, 'mixCycles', 40);
  const fillTimeoutCycles = cyclesOption(options, 'fillTimeoutCycles', 400);
  const drainTimeoutCycles = cyclesOption(options, 'drainTimeoutCycles', 400);
  const to = (step: SequencerStep): SequencerState => ({ step, cyclesInStep: 0, doorOpened: false });

  return defineWorkload<SequencerState>({
    name: 'sequencer',
    version: '1',
    inputs: [
      { name: 'levelLow', kind: 'discrete' },
      { name: 'levelHigh', kind: 'discrete' },
      { name: 'doorClosed', kind: 'discrete' },
    ],
    outputs: [
      { name: 'inletValve', kind: 'discrete' },
      { name: 'outletValve', kind: 'discrete' },
      { name: 'pump', kind: 'discrete' },
    ],
    // Valves closed and pump off: the vessel holds what it has.
    safeOutputs: [0, 0, 0],
    init: () => to('idle'),
    step(state, agreed) {
      const low = agreed[0] === 1;
      const high = agreed[1] === 1;
      const door = agreed[2] === 1;
      if (state.step === 'fault') {
        if (!door) return { state: { ...state, doorOpened: true }, outputs: [...allOff] };
        return state.doorOpened ? { state: to('drain'), outputs: [...allOff] } : { state, outputs: [...allOff] };
      }
      // Door open: everything off, the step held where it is.
      if (!door) return { state, outputs: [...allOff] };
      const n = Math.min(cyclesInStepMax, state.cyclesInStep + 1);
      let next: SequencerState = { step: state.step, cyclesInStep: n, doorOpened: false };
      switch (state.step) {
        case 'idle': if (n >= idleCycles) next = to('fill'); break;
        case 'fill': if (high) next = to('mix'); else if (n > fillTimeoutCycles) next = to('fault'); break;
        case 'mix': if (n >= mixCycles) next = to('drain'); break;
        case 'drain': if (!low) next = to('idle'); else if (n > drainTimeoutCycles) next = to('fault'); break;
        default: next = to('fault'); // a state this code never writes: stop, and let the operator look
      }
      let inlet = next.step === 'fill' ? 1 : 0;
      const outlet = next.step === 'drain' ? 1 : 0;
      let pump = next.step === 'mix' ? 1 : 0;
      // The interlocks, last, so no step logic can get round them.
      if (outlet === 1 || high) inlet = 0;
      if (!low) pump = 0;
      return { state: next, outputs: [inlet, outlet, pump] };
    },
  });
}

/** Where the switches sit, as a fraction of the vessel's height. */
const lowSwitchAt = 0.15;
const highSwitchAt = 0.85;
/** The door: in each block of this many cycles it may be opened once, for 10..70 cycles. */
const doorBlockCycles = 200;
const doorOpenChance = 0.35;
/** Levels kept for boards that ask late. */
const levelsKept = 64;

/**
 * The vessel: the inlet fills it at fillPerS (fraction of its height per second), the outlet
 * drains it at drainPerS; the pump only stirs. The switches read the true level (every board is
 * wired to the same switches). The door is opened now and then (seeded) and closed again.
 * Options (besides the workload's): fillPerS (0.25), drainPerS (0.3), levelStart (0.05).
 */
export function plant(ctx: PlantContext): PlantModel & { level: number } {
  const o = ctx.options as { fillPerS?: number; drainPerS?: number; levelStart?: number };
  const seed = ctx.seed;
  const fillPerS = o.fillPerS ?? 0.25;
  const drainPerS = o.drainPerS ?? 0.3;
  const unit = (cycle: number, stream: number) => (keyedNoise(seed, cycle, stream) + 1) / 2;
  const doorClosedAt = (cycle: number): number => {
    const block = Math.floor(cycle / doorBlockCycles);
    if (unit(block, 20) >= doorOpenChance) return 1;
    const from = Math.floor(unit(block, 21) * (doorBlockCycles - 70));
    const len = 10 + Math.floor(unit(block, 22) * 60);
    const k = cycle - block * doorBlockCycles;
    return k >= from && k < from + len ? 0 : 1;
  };
  const levels = new Map<number, number>();
  let applied = 0;
  const self = {
    level: o.levelStart ?? 0.05,
    sensorsFor(_board: number, cycle: number): readonly number[] {
      const l = levels.get(cycle) ?? self.level;
      return [l > lowSwitchAt ? 1 : 0, l >= highSwitchAt ? 1 : 0, doorClosedAt(cycle)];
    },
    step(outputs: readonly number[] | null): void {
      const [inlet = 0, outlet = 0] = outputs ?? allOff;
      const j = applied;
      const rate = (inlet === 1 ? fillPerS : 0) - (outlet === 1 ? drainPerS : 0);
      self.level = Math.max(0, Math.min(1, self.level + rate * ctx.periodS));
      applied = j + 1;
      levels.set(j + 2, self.level);
      levels.delete(j + 2 - levelsKept);
    },
  };
  levels.set(0, self.level);
  levels.set(1, self.level);
  return self;
}
