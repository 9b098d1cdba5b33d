import { basename } from 'node:path'
import { PRECISIONS, type RuntimeOptions } from '@flotilla/ml'
import { type Static, type TObject, Type } from 'typebox'
import type { InputLimits } from './input-limits.js'

const optionalInteger = (minimum: number) => Type.Optional(Type.Integer({ minimum }))

/**
 * The settings every ML app reads, for `serviceConfig({ PORT, ...mlServiceProperties() })`:
 * the model and its runtime, request limits, and the cache's lifetime. The cache itself is
 * the app's Redis, opened by appData from its credentials.
 */
export function mlServiceProperties() {
  return {
    /** An ONNX export: model.onnx, tokenizer.json, config.json. */
    MODEL_DIR: Type.String({ minLength: 1 }),
    /** The name clients ask for and cache keys carry; default: the model directory's name. */
    MODEL_NAME: Type.Optional(Type.String({ minLength: 1 })),
    /** fp32 serves model.onnx; int8 its int8 quantization, model.int8.onnx, in MODEL_DIR. */
    MODEL_PRECISION: Type.Union(
      PRECISIONS.map((precision) => Type.Literal(precision)),
      { default: 'fp32' },
    ),
    /** Inference worker threads, each with its own copy of the model. */
    POOL_SIZE: Type.Integer({ minimum: 1, default: 1 }),
    /** onnxruntime threads per worker; default: the container's CPU quota over the pool. */
    INTRA_OP_THREADS: optionalInteger(1),
    /** Inputs per batch; 1 turns dynamic batching off. */
    MAX_BATCH_SIZE: Type.Integer({ minimum: 1, default: 32 }),
    /**
     * Padded tokens (inputs × longest input) per batch. Working memory grows with it (attention
     * is batch × heads × seq²), throughput on CPU hardly does beyond a few long inputs, and short
     * ones still batch by the dozen. One worker's peak under 32 clients of inputs at the model's
     * limit (apps/embedder/bench/memory.ts): distilbert-sst2's size, 512 tokens, fp32 1.9 GB at
     * 8192, 0.75 GB at 2048; int8 431 MB at 2048, 337 MB at 1024, 288 MB at 512.
     */
    MAX_BATCH_TOKENS: Type.Integer({ minimum: 1, default: 1024 }),
    /** Inputs waiting for a worker; beyond it requests get 503 with Retry-After. */
    MAX_QUEUE: Type.Integer({ minimum: 1, default: 1024 }),
    RUN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
    /** Token cap per input, at most the model's own. */
    MAX_TOKENS: optionalInteger(2),
    MAX_INPUTS: Type.Integer({ minimum: 1, default: 512 }),
    MAX_INPUT_CHARS: Type.Integer({ minimum: 1, default: 20_000 }),
    CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86_400 }),
  }
}

export type MlServiceConfig = Static<TObject<ReturnType<typeof mlServiceProperties>>>

export function modelName(config: MlServiceConfig): string {
  return config.MODEL_NAME ?? basename(config.MODEL_DIR)
}

/** The model as cache keys name it: an int8 model's rows differ from fp32's, so never mix. */
export function cachedModelName(config: MlServiceConfig): string {
  const name = modelName(config)
  return config.MODEL_PRECISION === 'fp32' ? name : `${name}@${config.MODEL_PRECISION}`
}

export function runtimeOptions(config: MlServiceConfig): RuntimeOptions {
  return {
    modelDir: config.MODEL_DIR,
    precision: config.MODEL_PRECISION,
    poolSize: config.POOL_SIZE,
    intraOpThreads: config.INTRA_OP_THREADS,
    maxTokens: config.MAX_TOKENS,
    maxBatchSize: config.MAX_BATCH_SIZE,
    maxBatchTokens: config.MAX_BATCH_TOKENS,
    maxQueue: config.MAX_QUEUE,
    runTimeoutMs: config.RUN_TIMEOUT_MS,
  }
}

export function inputLimits(config: MlServiceConfig): InputLimits {
  return { maxInputs: config.MAX_INPUTS, maxInputChars: config.MAX_INPUT_CHARS }
}
