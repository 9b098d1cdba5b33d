import { fileURLToPath } from 'node:url'
import { type AppDataOptions, appData } from '@flotilla/data/fastify'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import { DOCS, type DocumentGraph, type VectorStore } from '../../indexing/stores.js'

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool
    /** Absent when Qdrant is not configured: documents queue until it is. */
    vectors: VectorStore | undefined
    /** Absent when Neo4j is not configured: links queue until it is. */
    graph: DocumentGraph | undefined
  }
}

export interface StoresOptions extends Pick<AppDataOptions, 'env' | 'retry'> {
  /** Stand-ins for Qdrant and Neo4j (tests); they replace what the credentials would open. */
  replace?: { vectors?: VectorStore; graph?: DocumentGraph }
}

const migrations = fileURLToPath(new URL('../../../migrations', import.meta.url))

/**
 * kb's stores through appData. Only PostgreSQL is required: Qdrant and Neo4j are optional
 * in /readyz, and what they miss while away is queued in PostgreSQL.
 */
export default fp(
  async (app: FastifyInstance, { replace = {}, ...options }: StoresOptions) => {
    await app.register(appData, {
      ...options,
      required: ['postgres'],
      optional: [
        ...(replace.vectors ? [] : ['qdrant' as const]),
        ...(replace.graph ? [] : ['neo4j' as const]),
      ],
      migrations,
    })
    const vectors = replace.vectors ?? app.data.qdrant
    // Refuses to start with credentials that do not name kb's collection.
    vectors?.collection(DOCS)
    if (replace.vectors) app.readiness.add(replace.vectors.readiness)
    if (replace.graph) app.readiness.add(replace.graph.readiness)

    app.decorate('pg', app.data.client('postgres'))
    app.decorate('vectors', vectors)
    app.decorate('graph', replace.graph ?? app.data.graph)
  },
  { name: 'stores' },
)
