import { RANKING_DOCUMENTS, RANKING_QUERIES, type RankingQuery } from './ranking-set.js'

export interface RankingResult {
  /** Share of queries whose answering document came first. */
  accuracy: number
  queries: number
  misses: { query: string; answer: string; first: string | undefined }[]
}

/**
 * Asks `rank` for each query's documents, best first (ids of RANKING_DOCUMENTS, however the
 * caller searched: cosine over embeddings, kb's search through Qdrant, …) and counts the
 * queries whose answer came first.
 */
export async function rankingAccuracy(
  rank: (query: string) => Promise<readonly string[]>,
  queries: readonly RankingQuery[] = RANKING_QUERIES,
): Promise<RankingResult> {
  const misses: RankingResult['misses'] = []
  for (const { query, answer } of queries) {
    const [first] = await rank(query)
    if (first !== answer) misses.push({ query, answer, first })
  }
  return { accuracy: 1 - misses.length / queries.length, queries: queries.length, misses }
}

/**
 * A ranker over RANKING_DOCUMENTS by cosine similarity of `embed`'s vectors (what a vector
 * store does with the same embeddings): the documents are embedded once.
 */
export async function cosineRanker(
  embed: (texts: string[]) => Promise<ArrayLike<number>[]>,
): Promise<(query: string) => Promise<string[]>> {
  const vectors = await embed(RANKING_DOCUMENTS.map((doc) => doc.text))
  return async (query) => {
    const [q] = await embed([query])
    const scored = RANKING_DOCUMENTS.map((doc, i) => ({
      id: doc.id,
      score: cosine(q as ArrayLike<number>, vectors[i] as ArrayLike<number>),
    }))
    return scored.sort((a, b) => b.score - a.score).map((s) => s.id)
  }
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  return dot / Math.sqrt(na * nb)
}
