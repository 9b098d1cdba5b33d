import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import type { FastifyInstance } from 'fastify'
import manifest from '../package.json' with { type: 'json' }
import type { EmbedderConfig } from './config.js'
import collections from './plugins/app/collections.js'
import embeddings from './plugins/app/embeddings.js'
import chroma from './plugins/external/chroma.js'
import redis from './plugins/external/redis.js'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The embedder app: everything it adds to a flotilla service. */
export async function embedderApp(app: FastifyInstance, config: EmbedderConfig): Promise<void> {
  await app.register(redis, { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX })
  await app.register(chroma, {
    url: config.CHROMA_URL,
    token: config.CHROMA_TOKEN,
    tenant: config.CHROMA_TENANT,
    database: config.CHROMA_DATABASE,
  })
  await app.register(embeddings, {
    modelName: config.MODEL_NAME ?? basename(config.MODEL_DIR),
    aliases: config.MODEL_ALIASES.split(',')
      .map((alias) => alias.trim())
      .filter(Boolean),
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
  // The collections declared in the manifest are the ones offered to other apps.
  await app.register(collections, { offered: manifest.flotilla.stores.chroma })
  await app.register(autoload, { dir: join(here, 'routes') })
}
