/** Seeded PRNG (mulberry32) so the generated weights are identical on every machine. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fills a tensor with normal(mean, std) samples (Box-Muller). */
export function normalTensor(rng: () => number, size: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(size)
  for (let i = 0; i < size; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - rng()))
    const angle = 2 * Math.PI * rng()
    out[i] = mean + std * radius * Math.cos(angle)
    if (i + 1 < size) out[i + 1] = mean + std * radius * Math.sin(angle)
  }
  return out
}
