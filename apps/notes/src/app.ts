import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { appData } from '@flotilla/data/fastify'
import type { FastifyInstance } from 'fastify'
import type { NotesConfig } from './config.js'
import notesStore from './plugins/app/notes-store.js'
import rateLimit from './plugins/external/rate-limit.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const migrations = join(here, '../migrations')

export interface NotesOptions {
  config: NotesConfig
  /** The credentials; default the process's environment (its credential file). */
  env?: Record<string, string | undefined>
}

/** The notes app: everything it adds to a flotilla service. */
export async function notesApp(app: FastifyInstance, { config, env }: NotesOptions): Promise<void> {
  // PostgreSQL holds the notes; Redis is a cache and the rate limits' counter, so without it
  // /readyz says degraded and reads fall back to PostgreSQL.
  await app.register(appData, {
    required: ['postgres'],
    optional: ['redis'],
    migrations,
    ...(env ? { env } : {}),
  })
  await app.register(rateLimit, { perMinute: config.RATE_LIMIT_PER_MINUTE })
  await app.register(notesStore, { cacheTtlSeconds: config.CACHE_TTL_SECONDS })
  await app.register(autoload, { dir: join(here, 'routes') })
}
