import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

const optionalInteger = (minimum: number) => Type.Optional(Type.Integer({ minimum }))

export const embedderConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3101 }),
  /** A sentence-transformers ONNX export: model.onnx, tokenizer.json, config.json. */
  MODEL_DIR: Type.String({ minLength: 1 }),
  /** The name clients ask for; default: the model directory's name. */
  MODEL_NAME: Type.Optional(Type.String({ minLength: 1 })),
  /** Other names accepted for the model, comma-separated. */
  MODEL_ALIASES: Type.String({ default: '' }),
  /** Inference worker threads, each with its own copy of the model. */
  POOL_SIZE: Type.Integer({ minimum: 1, default: 1 }),
  /** onnxruntime threads per worker; default: the container's CPU quota over the pool. */
  INTRA_OP_THREADS: optionalInteger(1),
  /** Inputs per batch; 1 turns dynamic batching off. */
  MAX_BATCH_SIZE: Type.Integer({ minimum: 1, default: 32 }),
  MAX_BATCH_TOKENS: Type.Integer({ minimum: 1, default: 8192 }),
  MAX_WAIT_MS: Type.Number({ minimum: 0, default: 2 }),
  /** Inputs waiting for a worker; beyond it requests get 503 with Retry-After. */
  MAX_QUEUE: Type.Integer({ minimum: 1, default: 1024 }),
  RUN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** Token cap per input, at most the model's own. */
  MAX_TOKENS: optionalInteger(2),
  MAX_INPUTS: Type.Integer({ minimum: 1, default: 512 }),
  MAX_INPUT_CHARS: Type.Integer({ minimum: 1, default: 20_000 }),
  REDIS_URL: Type.String({ minLength: 1 }),
  /** Every key of this app starts with it; the Redis ACL allows only these. */
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[a-z][a-z0-9_]*:$', default: 'embedder:' }),
  CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86_400 }),
  /** The Chroma guard; without it the collection routes answer 503. */
  CHROMA_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** This app's token for the guard (appToken(secret, "embedder")). */
  CHROMA_TOKEN: Type.String({ default: '' }),
  CHROMA_TENANT: Type.String({ minLength: 1, default: 'embedder' }),
  CHROMA_DATABASE: Type.String({ minLength: 1, default: 'main' }),
})

export type EmbedderConfig = Static<typeof embedderConfigSchema>
