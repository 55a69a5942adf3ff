/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit): the simulator's only
 * source of randomness, seeded from the run's seed so every run replays exactly.
 */
export class Prng {
  #a: number; #b: number; #c: number; #d: number;
  constructor(seed: number) {
    this.#a = 0x9e3779b9; this.#b = 0x243f6a88; this.#c = 0xb7e15162; this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number { return this.u32() / 4294967296; }
  int(n: number): number { return Math.floor(this.next() * n); }
  range(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
}

/**
 * Stateless noise in [-1, 1) keyed by (seed, cycle, stream): the plant's measurement noise is the
 * same whoever asks and in whatever order, so healthy boards read identical sensors.
 */
export function keyedNoise(seed: number, cycle: number, stream: number): number {
  let h = (seed ^ 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (cycle + 0x9e3779b9), 0xcc9e2d51) >>> 0;
  h = Math.imul(h ^ (h >>> 15) ^ (stream * 0x1b873593), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 2147483648 - 1;
}
