/**
 * The chaos harness's one source of randomness: a seeded generator (mulberry32), so that a run is named by its seed
 * and its schedule — which fault, when, for how long, which orders use ACME — is the same every time it is replayed.
 * (The CA's own randomness — serials, random values — stays the CSPRNG's; only the harness's choices are seeded.)
 */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  int(min: number, maxInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    between: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    pick: (items) => items[Math.floor(items.length * next())]!,
    chance: (p) => next() < p,
  };
}

/** A fresh seed when none is given (printed, so the run can be replayed with --seed). */
export const randomSeed = (): number => Math.floor(Math.random() * 2 ** 31);
