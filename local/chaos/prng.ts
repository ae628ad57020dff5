/**
 * A small seeded pseudo-random number generator for the chaos suite (Mulberry32, a public-domain 32-bit generator
 * by Tommy Ettinger): the same seed gives the same sequence on every machine, so a suite is reproducible with
 * `--seed`. Not for cryptography.
 */

/** A seeded source of numbers; every method advances the same stream. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). @throws RangeError when max < min. */
  int(min: number, max: number): number;
  /** True with probability `p` (0..1). */
  chance(p: number): boolean;
  /** One element of a non-empty array. @throws RangeError for an empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new independent generator seeded from this one and `label` (e.g. one stream per proxy hop). */
  fork(label: string): Prng;
}

/** 32-bit FNV-1a hash of a string, used to turn labels into seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A Mulberry32 generator seeded with `seed` (any integer; taken modulo 2^32).
 * @throws RangeError when `seed` is not a finite integer.
 */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const prng: Prng = {
    next,
    int(min, max) {
      if (max < min) throw new RangeError(`int(${min}, ${max}): max < min`);
      return min + Math.floor(next() * (max - min + 1));
    },
    chance: (p) => next() < p,
    pick(items) {
      if (items.length === 0) throw new RangeError("pick from an empty array");
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    fork: (label) => createPrng((Math.floor(next() * 4294967296) ^ hash32(label)) >>> 0),
  };
  return prng;
}
