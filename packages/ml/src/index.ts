export type { BatchingOptions } from './batcher.js'
export { sha256File, verifySha256 } from './checksum.js'
export {
  Classifier,
  type ClassifyOptions,
  type ClassifyResult,
  type Prediction,
} from './classifier.js'
export { cpuQuota } from './cpu-quota.js'
export { Embedder, type EmbedResult } from './embedder.js'
export {
  InferenceError,
  InputTooLongError,
  MlError,
  ModelLoadError,
  QueueFullError,
} from './errors.js'
export { assertPinned, fetchPinnedModel, type PinnedModel } from './fetch-models.js'
export { ensureModel, GENERATOR_VERSION, generateModel } from './generate/generate-model.js'
export { isModelName, MODEL_SPECS, type ModelName } from './generate/specs.js'
export type { RunOptions, RuntimeOptions, TokenUsage } from './model-runtime.js'
export { meanPoolNormalize, softmaxRows } from './pooling.js'
export {
  measureRawThroughput,
  type RawThroughput,
  type RawThroughputOptions,
} from './raw-throughput.js'
export { type EncodedText, TextTokenizer } from './tokenizer.js'
