import { createRng } from '@flotilla/ml'

const WORDS =
  'the a fleet of small services runs on one machine with embeddings search and quick answers for every user request today'.split(
    ' ',
  )

/**
 * Deterministic sentences of 8 to 40 words, like short documents or queries; practically
 * never the same twice, so a service's cache misses as it would on fresh text.
 */
export function sentences(seed: number): () => string {
  const random = createRng(seed)
  return () =>
    Array.from(
      { length: 8 + Math.floor(random() * 33) },
      () => WORDS[Math.floor(random() * WORDS.length)],
    ).join(' ')
}

/** Distinct texts of ~600 words: beyond any model's token limit, so each is truncated to it. */
export function longTexts(): () => string {
  let n = 0
  return () => {
    n++
    return `${n} ${Array.from({ length: 600 }, (_, i) => WORDS[(i * 7 + n) % WORDS.length]).join(' ')}`
  }
}
