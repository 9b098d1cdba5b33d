import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { appData } from '@flotilla/data/fastify'
import type { FastifyInstance } from 'fastify'
import type { EmbedderConfig } from './config.js'
import callers from './plugins/app/callers.js'
import collections from './plugins/app/collections.js'
import embeddings from './plugins/app/embeddings.js'

const here = fileURLToPath(new URL('.', import.meta.url))

export interface EmbedderOptions {
  config: EmbedderConfig
  /** The credentials; default the process's environment (its credential file). */
  env?: Record<string, string | undefined>
}

/** The embedder app: everything it adds to a flotilla service. */
export async function embedderApp(
  app: FastifyInstance,
  { config, env }: EmbedderOptions,
): Promise<void> {
  // Redis is the model's cache and Chroma holds the collections: embedding serves without
  // either, so both are optional (/readyz degraded, collection routes 503).
  await app.register(appData, { optional: ['redis', 'chroma'], ...(env ? { env } : {}) })
  await app.register(embeddings, {
    config,
    aliases: config.MODEL_ALIASES.split(',')
      .map((alias) => alias.trim())
      .filter(Boolean),
  })
  await app.register(callers, { secret: config.EMBEDDER_CALLER_SECRET })
  await app.register(collections)
  await app.register(autoload, { dir: join(here, 'routes') })
}
