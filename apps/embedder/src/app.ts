import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { redisCache } from '@flotilla/ml-service'
import type { FastifyInstance } from 'fastify'
import manifest from '../package.json' with { type: 'json' }
import type { EmbedderConfig } from './config.js'
import callers from './plugins/app/callers.js'
import collections from './plugins/app/collections.js'
import embeddings from './plugins/app/embeddings.js'
import chroma from './plugins/external/chroma.js'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The embedder app: everything it adds to a flotilla service. */
export async function embedderApp(app: FastifyInstance, config: EmbedderConfig): Promise<void> {
  await app.register(redisCache, { app: 'embedder', config })
  await app.register(chroma, {
    url: config.CHROMA_URL,
    token: config.CHROMA_TOKEN,
    tenant: config.CHROMA_TENANT,
    database: config.CHROMA_DATABASE,
  })
  await app.register(embeddings, {
    config,
    aliases: config.MODEL_ALIASES.split(',')
      .map((alias) => alias.trim())
      .filter(Boolean),
  })
  await app.register(callers, { secret: config.EMBEDDER_CALLER_SECRET })
  // The collections declared in the manifest are the ones offered to other apps.
  await app.register(collections, { offered: manifest.flotilla.stores.chroma })
  await app.register(autoload, { dir: join(here, 'routes') })
}
