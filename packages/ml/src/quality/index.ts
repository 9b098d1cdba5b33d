// `@flotilla/ml/quality`: the ranking check without loading onnxruntime (for the stack e2e).
export { cosine, cosineRanker, type RankingResult, rankingAccuracy } from './ranking.js'
export {
  RANKING_DOCUMENTS,
  RANKING_QUERIES,
  type RankingDocument,
  type RankingQuery,
} from './ranking-set.js'
