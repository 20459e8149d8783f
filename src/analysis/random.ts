/**
 * A small seeded PRNG (mulberry32) for what must repeat from a seed outside training: the latent
 * points of the explorer after a reload, the trials of a random sweep. Training has its own
 * generator (src/trainer/rng.ts), whose state checkpoints carry.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
