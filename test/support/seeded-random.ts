// Deterministic pseudo-random numbers for tests, so a failing case can be reproduced from its
// seed. Two generators, because tests written against each keep the sequences their assertions
// were tuned on (a modelled log's shape depends on the numbers drawn).

/** mulberry32. (src/docker/log-frame-parser.test.ts has its own copy of the same function.) */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit linear congruential generator (Numerical Recipes' constants): small and fast. */
export function lcgRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
