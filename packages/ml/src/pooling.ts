/**
 * Mean of the token vectors where the mask is 1, then L2-normalised — what
 * sentence-transformers does for all-MiniLM-L6-v2. hidden is [batch, seq, width] row-major.
 */
export function meanPoolNormalize(
  hidden: Float32Array,
  mask: ArrayLike<bigint>,
  batch: number,
  seq: number,
  width: number,
): Float32Array {
  const out = new Float32Array(batch * width)
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * width, (b + 1) * width)
    let count = 0
    for (let s = 0; s < seq; s++) {
      if (mask[b * seq + s] === 0n) continue
      count++
      const offset = (b * seq + s) * width
      for (let d = 0; d < width; d++) row[d] = (row[d] as number) + (hidden[offset + d] as number)
    }
    let norm = 0
    for (let d = 0; d < width; d++) {
      const mean = (row[d] as number) / Math.max(count, 1)
      row[d] = mean
      norm += mean * mean
    }
    // The 1e-12 floor matches torch.nn.functional.normalize.
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12)
    for (let d = 0; d < width; d++) row[d] = (row[d] as number) * scale
  }
  return out
}

/** Row-wise softmax of logits [batch, labels], max-subtracted for stability. */
export function softmaxRows(logits: Float32Array, batch: number, labels: number): Float32Array {
  const out = new Float32Array(batch * labels)
  for (let b = 0; b < batch; b++) {
    const row = logits.subarray(b * labels, (b + 1) * labels)
    const max = Math.max(...row)
    let sum = 0
    for (let l = 0; l < labels; l++) {
      const e = Math.exp((row[l] as number) - max)
      out[b * labels + l] = e
      sum += e
    }
    for (let l = 0; l < labels; l++) out[b * labels + l] = (out[b * labels + l] as number) / sum
  }
  return out
}
