export type { BatchingOptions } from './batcher.js'
export { sha256File, verifySha256 } from './checksum.js'
export {
  Classifier,
  type ClassifyOptions,
  type ClassifyResult,
  type Prediction,
} from './classifier.js'
export { convertBertEncoder } from './convert/convert-bert.js'
export { cpuQuota } from './cpu-quota.js'
export { Embedder, type EmbedResult } from './embedder.js'
export {
  InferenceError,
  InputTooLongError,
  MlError,
  ModelLoadError,
  QueueFullError,
} from './errors.js'
export {
  assertPinned,
  isInstalled,
  LOCK_PATH,
  type ModelLock,
  type ModelRole,
  type NewPin,
  obtainPinnedModel,
  type PinnedFile,
  type PinnedModel,
  type PinnedSource,
  readModelLock,
  writeNewPins,
} from './fetch-models.js'
export { ensureModel, GENERATOR_VERSION, generateModel } from './generate/generate-model.js'
export { createRng } from './generate/rng.js'
export { isModelName, MODEL_SPECS, type ModelName } from './generate/specs.js'
export {
  MODEL_FILE,
  type ModelFiles,
  PRECISIONS,
  type Precision,
  readModelFiles,
} from './model-files.js'
export type { RunOptions, RuntimeOptions, TokenUsage } from './model-runtime.js'
export {
  GENERATED_MODELS,
  MODEL_ROLES,
  type ModelSource,
  parseModelSources,
} from './model-sources.js'
export { meanPoolNormalize, softmaxRows } from './pooling.js'
export {
  cosine,
  cosineRanker,
  RANKING_DOCUMENTS,
  RANKING_QUERIES,
  type RankingDocument,
  type RankingQuery,
  type RankingResult,
  rankingAccuracy,
} from './quality/index.js'
export {
  measureRawThroughput,
  type RawThroughput,
  type RawThroughputOptions,
} from './raw-throughput.js'
export { sessionOptions } from './session-options.js'
export { type EncodedText, TextTokenizer } from './tokenizer.js'
