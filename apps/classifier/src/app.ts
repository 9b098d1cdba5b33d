import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import type { FastifyInstance } from 'fastify'
import type { ClassifierConfig } from './config.js'
import classifications from './plugins/app/classifier.js'
import redis from './plugins/external/redis.js'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The classifier app: everything it adds to a flotilla service. */
export async function classifierApp(app: FastifyInstance, config: ClassifierConfig): Promise<void> {
  await app.register(redis, { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX })
  await app.register(classifications, {
    modelName: config.MODEL_NAME ?? basename(config.MODEL_DIR),
    cacheTtlSeconds: config.CACHE_TTL_SECONDS,
    limits: { maxInputs: config.MAX_INPUTS, maxInputChars: config.MAX_INPUT_CHARS },
    runtime: {
      modelDir: config.MODEL_DIR,
      poolSize: config.POOL_SIZE,
      intraOpThreads: config.INTRA_OP_THREADS,
      maxTokens: config.MAX_TOKENS,
      maxBatchSize: config.MAX_BATCH_SIZE,
      maxBatchTokens: config.MAX_BATCH_TOKENS,
      maxWaitMs: config.MAX_WAIT_MS,
      maxQueue: config.MAX_QUEUE,
      runTimeoutMs: config.RUN_TIMEOUT_MS,
    },
  })
  await app.register(autoload, { dir: join(here, 'routes') })
}
