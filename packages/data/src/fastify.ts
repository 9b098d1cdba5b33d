import type { StoreName } from '@flotilla/stack'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { type AppDataConfig, appDataConfigFromEnv } from './config.js'
import { runMigrations } from './migrations.js'
import { type AppData, openAppData } from './open.js'
import type { RetryOptions } from './retry.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's stores, opened from its credentials by `appData`. */
    data: AppData
  }
}

export interface AppDataOptions {
  /** Stores the app cannot serve without: missing credentials stop the start, /readyz fails without them. */
  required?: StoreName[]
  /** Stores the app serves without (a cache, an index fed from a queue): /readyz says degraded. */
  optional?: StoreName[]
  /** The credentials; default the process's environment (the credential file, `node --env-file`). */
  env?: Record<string, string | undefined>
  /** The app's PostgreSQL migrations, applied as its own role before it serves. */
  migrations?: string
  /** Connect retries of PostgreSQL; bounded. */
  retry?: RetryOptions
}

const CONFIG_KEY = {
  postgres: 'postgres',
  redis: 'redis',
  chroma: 'chroma',
  qdrant: 'qdrant',
  neo4j: 'graph',
} as const satisfies Record<StoreName, keyof AppDataConfig>

const URL_VARIABLE: Record<StoreName, string> = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  chroma: 'CHROMA_URL',
  qdrant: 'QDRANT_URL',
  neo4j: 'NEO4J_URL',
}

/** Only the stores the app names, each marked required or not. */
function selectStores(
  all: AppDataConfig,
  required: StoreName[],
  optional: StoreName[],
): { config: AppDataConfig; missing: StoreName[] } {
  const config: AppDataConfig = {}
  const missing: StoreName[] = []
  for (const store of [...required, ...optional]) {
    const key = CONFIG_KEY[store]
    const found = all[key]
    if (!found) {
      missing.push(store)
      continue
    }
    const isRequired = required.includes(store)
    if (key === 'redis' && !isRequired) {
      // A cache: a command fails at once while Redis is away instead of queueing, so the
      // app falls back to its source without waiting.
      const redis = found as NonNullable<AppDataConfig['redis']>
      config.redis = {
        ...redis,
        required: false,
        options: { enableOfflineQueue: false, maxRetriesPerRequest: 1, ...redis.options },
      }
    } else {
      Object.assign(config, { [key]: { ...found, required: isRequired } })
    }
  }
  return { config, missing }
}

/**
 * The one way an app reaches its stores: opens the scoped clients its credential file
 * names (and only those the app lists), decorates `app.data`, adds each to /readyz and
 * closes them with the app. A required store without credentials stops the start; an
 * optional one is reported down in /readyz (degraded) until it is provisioned.
 */
export const appData = fp(
  async (app: FastifyInstance, options: AppDataOptions) => {
    const required = options.required ?? []
    const optional = options.optional ?? []
    const { config, missing } = selectStores(
      appDataConfigFromEnv(options.env ?? process.env),
      required,
      optional,
    )
    const absentRequired = missing.filter((store) => required.includes(store))
    if (absentRequired.length > 0) {
      const variables = absentRequired.map((store) => URL_VARIABLE[store]).join(', ')
      throw new Error(`the app needs ${absentRequired.join(', ')}: ${variables} not set`)
    }
    if (options.retry) config.retry = options.retry
    const data = await openAppData(config, {
      // An idle connection losing its server; unhandled, it would crash the process.
      onError: (store, error) => app.log.warn({ err: error, store }, 'store connection lost'),
    })
    app.addHook('onClose', () => data.close())
    for (const check of data.readiness) app.readiness.add(check)
    for (const store of missing) {
      app.readiness.add({
        name: store,
        required: false,
        check: async () => {
          throw new Error(`not configured (${URL_VARIABLE[store]} is not set)`)
        },
      })
    }
    if (options.migrations && config.postgres) {
      await runMigrations({
        databaseUrl: config.postgres.url,
        dir: options.migrations,
        log: (message) => app.log.debug(message),
      })
    }
    app.decorate('data', data)
  },
  { name: 'app-data' },
)
