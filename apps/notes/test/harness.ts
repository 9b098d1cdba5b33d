import { randomBytes } from 'node:crypto'
import { createDatabase, startPostgres } from '@flotilla/data/postgres/test-server'
import { startRedis } from '@flotilla/data/redis/test-server'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { type OutageProxy, startOutageProxy } from '@flotilla/testkit'
import type pg from 'pg'
import { notesApp } from '../src/app.js'
import { notesConfigSchema } from '../src/config.js'

export interface Harness {
  app: Service
  /** The app's own pool, to point it at a host that does not resolve. */
  pool: pg.Pool
  postgres: OutageProxy
  redis: OutageProxy
  redisUrl: string
  keyPrefix: string
  close(): Promise<void>
}

/** The notes app on a fresh database of the real test PostgreSQL and the real test Redis. */
export async function startNotes(env: Record<string, string> = {}): Promise<Harness> {
  const [pgServer, redisServer] = await Promise.all([startPostgres(), startRedis()])
  const databaseUrl = await createDatabase(pgServer.url, 'notes')
  const postgres = await startOutageProxy({ host: pgServer.host, port: pgServer.port })
  const redis = await startOutageProxy({ host: redisServer.host, port: redisServer.port })
  const keyPrefix = `notes_${randomBytes(4).toString('hex')}:`
  const settings = {
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1000',
    // What the provisioner's credential file holds.
    DATABASE_URL: postgres.wrap(databaseUrl),
    REDIS_URL: redis.wrap(redisServer.url),
    REDIS_KEY_PREFIX: keyPrefix,
    ...env,
  }
  const config = loadConfig(notesConfigSchema, settings)
  const app = await createService({ name: 'notes', version: 'test', config })
  let pool: pg.Pool | undefined
  await app.register(async (scope) => {
    await notesApp(scope, { config, env: settings })
    pool = scope.data.client('postgres')
  })
  await app.ready()
  return {
    app,
    pool: pool as pg.Pool,
    postgres,
    redis,
    redisUrl: redisServer.url,
    keyPrefix,
    async close() {
      await app.close()
      await Promise.all([postgres.close(), redis.close(), pgServer.stop(), redisServer.stop()])
    },
  }
}
