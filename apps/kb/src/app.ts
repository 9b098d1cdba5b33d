import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import type { FastifyInstance } from 'fastify'
import type { KbConfig } from './config.js'
import type { DocumentGraph, VectorStore } from './indexing/stores.js'
import discovery from './plugins/app/discovery.js'
import documents from './plugins/app/documents.js'
import indexer from './plugins/app/indexer.js'
import embedder from './plugins/external/embedder.js'
import stores from './plugins/external/stores.js'

const here = fileURLToPath(new URL('.', import.meta.url))

export interface KbOptions {
  config: KbConfig
  /** The credentials; default the process's environment (its credential file). */
  env?: Record<string, string | undefined>
  /** Stand-ins for Qdrant and Neo4j (tests only). */
  replace?: { vectors?: VectorStore; graph?: DocumentGraph }
}

/** The kb app: everything it adds to a flotilla service. */
export async function kbApp(app: FastifyInstance, { config, env, replace }: KbOptions) {
  await app.register(stores, { ...(env ? { env } : {}), ...(replace ? { replace } : {}) })
  await app.register(embedder, {
    ...(config.EMBEDDER_URL ? { url: config.EMBEDDER_URL } : {}),
    timeoutMs: config.EMBEDDER_TIMEOUT_MS,
  })
  await app.register(documents, { maxBackoffMs: config.INDEX_MAX_BACKOFF_MS })
  await app.register(indexer, {
    intervalMs: config.INDEX_INTERVAL_MS,
    batchSize: config.INDEX_BATCH_SIZE,
    inlineWaitMs: config.EMBEDDER_TIMEOUT_MS,
  })
  await app.register(discovery)
  await app.register(autoload, { dir: join(here, 'routes') })
}
