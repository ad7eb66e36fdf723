/**
 * mulberry32: numbers in [0, 1), the same sequence for the same seed on every machine and Node version, where
 * a draw must be repeatable (index planes shared by rebuilds, a test's shuffle replayed from its seed).
 */
export const seededRandom = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
