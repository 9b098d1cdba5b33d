import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import type { FastifyInstance } from 'fastify'
import type { NotesConfig } from './config.js'
import notesStore from './plugins/app/notes-store.js'
import postgres from './plugins/external/postgres.js'
import rateLimit from './plugins/external/rate-limit.js'
import redis from './plugins/external/redis.js'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The notes app: everything it adds to a flotilla service. */
export async function notesApp(app: FastifyInstance, config: NotesConfig): Promise<void> {
  await app.register(postgres, { databaseUrl: config.DATABASE_URL })
  await app.register(redis, { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX })
  await app.register(rateLimit, { perMinute: config.RATE_LIMIT_PER_MINUTE })
  await app.register(notesStore, { cacheTtlSeconds: config.CACHE_TTL_SECONDS })
  await app.register(autoload, { dir: join(here, 'routes') })
}
