import { fileURLToPath } from 'node:url'
import { type AppDataConfig, openAppData, runMigrations } from '@flotilla/data'
import type { DependencyCheck } from '@flotilla/service'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import type { DocumentGraph, VectorStore } from '../../indexing/stores.js'
import { APP_NAME, DOCS_COLLECTION } from '../../resources.js'

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool
    /** Absent when Qdrant is not configured: documents queue until it is. */
    vectors: VectorStore | undefined
    /** Absent when Neo4j is not configured: links queue until it is. */
    graph: DocumentGraph | undefined
  }
}

export interface StoresOptions {
  data: AppDataConfig
  /** Stand-ins for Qdrant and Neo4j (tests); they replace what `data` would open. */
  replace?: { vectors?: VectorStore; graph?: DocumentGraph }
}

const migrationsDir = fileURLToPath(new URL('../../../migrations', import.meta.url))

function notConfigured(name: string, variable: string): DependencyCheck {
  return {
    name,
    required: false,
    check: async () => {
      throw new Error(`not configured (${variable} is not set)`)
    },
  }
}

/**
 * kb's stores through @flotilla/data. Only PostgreSQL is required: Qdrant and Neo4j are
 * optional in /readyz, and what they miss while away is queued in PostgreSQL.
 */
export default fp(
  async (app: FastifyInstance, { data: dataConfig, replace = {} }: StoresOptions) => {
    const { postgres } = dataConfig
    if (!postgres) throw new Error('kb needs PostgreSQL: DATABASE_URL is not set')
    const config: AppDataConfig = { postgres }
    if (dataConfig.retry) config.retry = dataConfig.retry
    if (dataConfig.qdrant && !replace.vectors)
      config.qdrant = { ...dataConfig.qdrant, required: false }
    if (dataConfig.graph && !replace.graph) config.graph = { ...dataConfig.graph, required: false }

    const data = await openAppData(APP_NAME, config, {
      onError: (store, error) => app.log.warn({ err: error, store }, 'store connection lost'),
    })
    app.addHook('onClose', () => data.close())
    if (data.qdrant && !data.qdrant.collections.includes(DOCS_COLLECTION)) {
      throw new Error(
        `QDRANT_API_KEY does not grant kb's collection "${DOCS_COLLECTION}" (it grants ${data.qdrant.collections.join(', ')})`,
      )
    }
    await runMigrations({
      databaseUrl: postgres.url,
      dir: migrationsDir,
      log: (message) => app.log.debug(message),
    })

    const vectors = replace.vectors ?? data.qdrant
    const graph = replace.graph ?? data.graph
    for (const check of data.readiness) app.readiness.add(check)
    if (replace.vectors) app.readiness.add(replace.vectors.readiness)
    if (replace.graph) app.readiness.add(replace.graph.readiness)
    if (!vectors) app.readiness.add(notConfigured('qdrant', 'QDRANT_URL'))
    if (!graph) app.readiness.add(notConfigured('neo4j', 'NEO4J_URL'))

    app.decorate('pg', data.pg as pg.Pool)
    app.decorate('vectors', vectors)
    app.decorate('graph', graph)
  },
  { name: 'stores' },
)
