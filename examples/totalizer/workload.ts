/**
 * Example: a flow totalizer. It counts a flow meter's pulses (a hall-effect meter such as a
 * YF-S201 gives about 450 pulses a litre) into litres delivered, works out the flow rate, and
 * raises an alarm while the rate is above a limit. A button zeroes the total.
 * Inputs: pulses (analog: the count of edges the board's GPIO edge counter has seen), reset (0|1 button).
 * Outputs: total (L, to the mL), rateLpm (L/min, to 0.01, over rateWindowCycles), alarmHigh (0|1).
 * Options: litresPerPulse (1/450), periodS (0.05: the rig's cycle period, ftc sim's 20 Hz; set it
 * to 1/rateHz of your rig, the workload cannot read a clock), rateWindowCycles (20), alarmLpm (20).
 *
 * How three boards agree on a count: each board samples its counter at its own cycle start, a
 * fraction of a millisecond from the others, so at a few hundred edges a second their counts
 * differ by an edge now and then. Mid-value select takes the middle count, and a spread within
 * toleranceAbs (1 edge) is agreement, not a fault; a board further off (its counter missed edges)
 * is outvoted and flagged. The agreed count can then go back by an edge (the middle board of
 * the next cycle sampled earlier, or two boards' mean is a half edge), so the workload counts
 * only forward from the highest count it has seen.
 *
 * Deterministic: integers in, integer edge counts in the state; litres and rates are computed
 * from them by the same arithmetic on every board and rounded to fixed quanta.
 */
import { defineWorkload, keyedNoise, type PlantContext, type PlantModel } from '../../src/workload/define.ts';

export interface TotalizerState {
  /** The last counter value counted from (the highest seen since the counter last restarted); null before the first sample. */
  counter: number | null;
  /** Edges counted since the rig started (across counter restarts). */
  edges: number;
  /** `edges` when the reset button was last pressed: the total counts from here. */
  resetAtEdges: number;
  /** `edges` at the start of the rate window, and the window's cycles so far. */
  windowFromEdges: number;
  windowCycles: number;
  rateLpm: number;
  /** The button was down last cycle (a reset is its press, not its hold). */
  resetDown: boolean;
}

/** A 32-bit edge counter: it wraps here (about 110 days at 450 pulses/s). */
const counterMax = 2 ** 32 - 1;
/**
 * A count further below the last one than this is the counter starting again (a wrap, a driver
 * reload), not sampling spread (at most an edge, within the tolerance): counting goes on from it.
 */
const counterBackSlackEdges = 4;
/** Output quanta as steps per unit (mL, 0.01 L/min): dividing by a whole number gives the nearest double, not 6.2700000000000005. */
const totalStepsPerL = 1000;
const rateStepsPerLpm = 100;

const quantise = (x: number, stepsPerUnit: number) => Math.round(x * stepsPerUnit) / stepsPerUnit;

function positive(o: Readonly<Record<string, unknown>>, key: string, fallback: number, integer = false): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${key}: ${JSON.stringify(v)} is not a positive ${integer ? 'whole number' : 'number'}`);
  }
  return v;
}

/** The options both the workload and its plant read. */
export function totalizerOptions(o: Readonly<Record<string, unknown>>) {
  return {
    litresPerPulse: positive(o, 'litresPerPulse', 1 / 450),
    periodS: positive(o, 'periodS', 0.05),
    rateWindowCycles: Math.min(10_000, positive(o, 'rateWindowCycles', 20, true)),
    alarmLpm: positive(o, 'alarmLpm', 20),
  };
}

export default function totalizer(options: Readonly<Record<string, unknown>>) {
  const { litresPerPulse, periodS, rateWindowCycles, alarmLpm } = totalizerOptions(options);
  return defineWorkload<TotalizerState>({
    name: 'totalizer',
    version: '1',
    inputs: [
      { name: 'pulses', kind: 'analog', toleranceAbs: 1, min: 0, max: counterMax, unit: 'edges' },
      { name: 'reset', kind: 'discrete' },
    ],
    outputs: [
      { name: 'total', kind: 'analog', min: 0, unit: 'L' },
      { name: 'rateLpm', kind: 'analog', min: 0, unit: 'L/min' },
      { name: 'alarmHigh', kind: 'discrete' },
    ],
    // The displays blank to zero and the alarm stays quiet: a totalizer that fails safe stops reporting.
    safeOutputs: [0, 0, 0],
    init: () => ({ counter: null, edges: 0, resetAtEdges: 0, windowFromEdges: 0, windowCycles: 0, rateLpm: 0, resetDown: false }),
    step(s, agreed) {
      const count = Math.max(0, Math.floor(agreed[0]!));
      const resetDown = agreed[1] === 1;
      let counter = s.counter ?? count; // the first sample is where counting starts
      let edges = s.edges;
      if (count >= counter) {
        edges += count - counter;
        counter = count;
      } else if (count < counter - counterBackSlackEdges) {
        counter = count; // the counter started again: count on from here
      } // else: sampling spread, an edge or so back: keep counting from the highest
      const resetAtEdges = resetDown && !s.resetDown ? edges : s.resetAtEdges;
      let { windowFromEdges, windowCycles, rateLpm } = s;
      windowCycles += 1;
      if (windowCycles >= rateWindowCycles) {
        rateLpm = quantise(((edges - windowFromEdges) * litresPerPulse * 60) / (windowCycles * periodS), rateStepsPerLpm);
        windowFromEdges = edges;
        windowCycles = 0;
      }
      const total = quantise((edges - resetAtEdges) * litresPerPulse, totalStepsPerL);
      return {
        state: { counter, edges, resetAtEdges, windowFromEdges, windowCycles, rateLpm, resetDown },
        outputs: [total, rateLpm, rateLpm > alarmLpm ? 1 : 0],
      };
    },
  });
}

/** Boards sample their counters this much after the cycle's start, at most (each its own, seeded). */
const sampleSpreadS = 0.001;
/** The meter's phase is summed from a checkpoint every this many cycles (any cycle, in any order). */
const checkpointCycles = 1024;
/** The button: in each block of this many cycles it may be pressed once, for 3..8 cycles. */
const buttonBlockCycles = 600;
const buttonChance = 0.3;
/** Surges (the flow above the alarm) and dry spells, seeded per block of this many cycles. */
const flowBlockCycles = 400;

/**
 * The flow meter: a flow in L/min that wanders around a seeded base (6..10), surges by 18 L/min
 * (above the default alarm) in some blocks and stops in others; its pulses accumulate at the
 * flow times pulses-per-litre. Open loop (the totalizer drives nothing the meter sees), so every
 * sample is a pure function of (seed, board, cycle). The reset button is pressed now and then.
 */
export function plant(ctx: PlantContext): PlantModel {
  const { litresPerPulse } = totalizerOptions(ctx.options);
  const seed = ctx.seed;
  const P = ctx.periodS;
  const unit = (cycle: number, stream: number) => (keyedNoise(seed, cycle, stream) + 1) / 2;
  const baseLpm = 6 + 4 * unit(0, 30);
  const wanderPeriodS = 20 + 40 * unit(0, 31);
  const inBlock = (cycle: number, stream: number, chance: number, blockCycles: number, lenMin: number, lenMax: number): boolean => {
    const block = Math.floor(cycle / blockCycles);
    if (unit(block, stream) >= chance) return false;
    const len = lenMin + Math.floor(unit(block, stream + 1) * (lenMax - lenMin));
    const from = Math.floor(unit(block, stream + 2) * (blockCycles - len));
    const k = cycle - block * blockCycles;
    return k >= from && k < from + len;
  };
  /** Pulses per second during `cycle`. */
  const pulseHz = (cycle: number): number => {
    if (inBlock(cycle, 40, 0.15, flowBlockCycles, 40, 120)) return 0;
    const surge = inBlock(cycle, 50, 0.35, flowBlockCycles, 60, 200) ? 18 : 0;
    const lpm = Math.max(0, baseLpm + 3 * Math.sin((2 * Math.PI * cycle * P) / wanderPeriodS) + surge);
    return lpm / 60 / litresPerPulse;
  };
  const checkpoints: number[] = [0]; // phase (edges, fractional) at cycle k * checkpointCycles
  let lastCycle = -1;
  let lastPhase = 0;
  /** The meter's edges (fractional) at the start of `cycle`: summed in cycle order from its checkpoint, so the same whoever asks. */
  const phaseAt = (cycle: number): number => {
    if (cycle === lastCycle) return lastPhase;
    const k = Math.floor(cycle / checkpointCycles);
    while (checkpoints.length <= k) {
      const c0 = (checkpoints.length - 1) * checkpointCycles;
      let ph = checkpoints[checkpoints.length - 1]!;
      for (let i = c0; i < c0 + checkpointCycles; i++) ph += pulseHz(i) * P;
      checkpoints.push(ph);
    }
    let ph = checkpoints[k]!;
    let i = k * checkpointCycles;
    if (lastCycle >= i && lastCycle < cycle) { ph = lastPhase; i = lastCycle; } // the usual case: the next cycle
    for (; i < cycle; i++) ph += pulseHz(i) * P;
    lastCycle = cycle;
    lastPhase = ph;
    return ph;
  };
  return {
    sensorsFor(board: number, cycle: number): readonly number[] {
      const atS = sampleSpreadS * unit(cycle, 60 + board);
      const count = Math.min(counterMax, Math.floor(phaseAt(cycle) + pulseHz(cycle) * atS));
      return [count, inBlock(cycle, 70, buttonChance, buttonBlockCycles, 3, 8) ? 1 : 0];
    },
    step() { /* open loop: the meter does not see the totalizer's outputs */ },
  };
}
