import type { DependencyCheck } from '@flotilla/service'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { ScopedChroma } from './chroma/index.js'
import type { AppDataConfig } from './config.js'
import { type AppGraph, openGraph } from './neo4j/index.js'
import { openPostgres } from './postgres/index.js'
import { openQdrant, type ScopedQdrant } from './qdrant/index.js'
import { createRedis } from './redis/index.js'
import { DEFAULT_RETRY } from './retry.js'

/** The scoped client of each store. */
export interface AppClients {
  postgres: pg.Pool
  redis: Redis
  chroma: ScopedChroma
  qdrant: ScopedQdrant
  neo4j: AppGraph
}

export interface AppData {
  pg?: pg.Pool
  redis?: Redis
  chroma?: ScopedChroma
  qdrant?: ScopedQdrant
  graph?: AppGraph
  /** The store's client; throws when it was not opened (no credentials for it). */
  client<S extends keyof AppClients>(store: S): AppClients[S]
  /** One check per opened store, for `app.readiness.add`. */
  readiness: DependencyCheck[]
  /** Closes every client; safe to call twice. */
  close(): Promise<void>
}

export interface OpenOptions {
  /** Receives errors of idle connections (a lost server); default: ignored. */
  onError?: (store: string, error: Error) => void
}

/**
 * Opens the app's own stores from its credentials, which name everything (database, key
 * prefix, tenant, collections, label). PostgreSQL must answer (with bounded retries) or
 * this throws DataUnavailableError; Redis connects in the background, since ioredis
 * reconnects by itself and a cache may start without it.
 */
export async function openAppData(
  config: AppDataConfig,
  options: OpenOptions = {},
): Promise<AppData> {
  const onError = options.onError ?? (() => {})
  const retry = config.retry ?? DEFAULT_RETRY
  const data: AppData = {
    client(store) {
      const opened = {
        postgres: data.pg,
        redis: data.redis,
        chroma: data.chroma,
        qdrant: data.qdrant,
        neo4j: data.graph,
      }
      const client = opened[store]
      if (!client) throw new Error(`${store} is not open: the app's credentials do not name it`)
      return client as AppClients[typeof store]
    },
    readiness: [],
    close: async () => {},
  }
  const closers: Array<() => Promise<void>> = []
  let closed = false
  data.close = async () => {
    if (closed) return
    closed = true
    await Promise.allSettled(closers.map((close) => close()))
  }

  try {
    if (config.redis) {
      const redis = createRedis(config.redis)
      redis.on('error', (error: Error) => onError('redis', error))
      redis.connect().catch((error: Error) => onError('redis', error))
      closers.push(async () => redis.disconnect())
      data.redis = redis
      data.readiness.push({
        name: 'redis',
        required: config.redis.required ?? true,
        check: () => redis.ping(),
      })
    }
    if (config.chroma) {
      const chroma = new ScopedChroma(config.chroma)
      data.chroma = chroma
      data.readiness.push({
        name: 'chroma',
        required: config.chroma.required ?? true,
        check: () => chroma.heartbeat(),
      })
    }
    if (config.qdrant) {
      const qdrant = openQdrant(config.qdrant)
      data.qdrant = qdrant
      data.readiness.push(qdrant.readiness)
    }
    if (config.graph) {
      const graph = openGraph(config.graph)
      closers.push(() => graph.close())
      data.graph = graph
      data.readiness.push(graph.readiness)
    }
    if (config.postgres) {
      const pool = await openPostgres(config.postgres, (error) => onError('postgres', error), retry)
      closers.push(() => pool.end())
      data.pg = pool
      data.readiness.push({
        name: 'postgres',
        required: config.postgres.required ?? true,
        check: () => pool.query('SELECT 1'),
      })
    }
  } catch (error) {
    await data.close()
    throw error
  }
  return data
}
