import { fileURLToPath } from 'node:url'
import { type AppResources, resourcesFor } from '@flotilla/data/names'
import { createDatabase, startPostgres } from '@flotilla/data/postgres/test-server'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { loadRegistry } from '@flotilla/stack'
import { type OutageProxy, startOutageProxy } from '@flotilla/testkit'
import pg from 'pg'
import { type Harness as EmbedderHarness, startEmbedder } from '../../embedder/test/harness.js'
import { kbApp } from '../src/app.js'
import { kbConfigSchema } from '../src/config.js'
import type { DocumentGraph, VectorStore } from '../src/indexing/stores.js'
import { FakeGraph, FakeQdrant } from './fakes.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const kb = (await loadRegistry(root)).apps.find((app) => app.name === 'kb')
if (!kb) throw new Error('kb is not in the registry')
/** kb's store names as the provisioner derives them (and writes into its credentials). */
export const KB = resourcesFor(kb) as Required<Pick<AppResources, 'qdrant' | 'neo4j'>>
export const DOCS_COLLECTION = KB.qdrant.collections[0] as string

export interface Harness<V extends VectorStore = FakeQdrant, G extends DocumentGraph = FakeGraph> {
  app: Service
  /** The real embedder app (generated model) listening on 127.0.0.1, behind this proxy. */
  embedder: OutageProxy
  postgres: OutageProxy
  /** A direct connection to kb's database, for looking behind the API. */
  sql: pg.Pool
  vectors: V
  graph: G
  close(): Promise<void>
}

export interface StartOptions<V, G> {
  env?: Record<string, string>
  /** Defaults: in-process fakes of Qdrant and Neo4j. */
  stores?: { vectors: V; graph: G }
  model?: 'tiny-encoder' | 'minilm-encoder'
}

/**
 * kb on a fresh database of the real test PostgreSQL, talking HTTP to the real embedder
 * app (run in-process on a generated model), each behind an outage proxy.
 */
export async function startKb<
  V extends VectorStore = FakeQdrant,
  G extends DocumentGraph = FakeGraph,
>(options: StartOptions<V, G> = {}): Promise<Harness<V, G>> {
  const [pgServer, embedderApp] = await Promise.all([
    startPostgres(),
    startEmbedder({}, options.model ?? 'tiny-encoder'),
  ])
  const embedderAddress = await listenLocally(embedderApp)
  const databaseUrl = await createDatabase(pgServer.url, 'kb')
  const postgres = await startOutageProxy({ host: pgServer.host, port: pgServer.port })
  const embedder = await startOutageProxy(embedderAddress)
  const stores = options.stores ?? {
    vectors: new FakeQdrant(KB.qdrant.byName) as unknown as V,
    graph: new FakeGraph() as unknown as G,
  }
  const config = loadConfig(kbConfigSchema, {
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1000',
    EMBEDDER_URL: `http://127.0.0.1:${embedder.port}`,
    EMBEDDER_TIMEOUT_MS: '2000',
    INDEX_INTERVAL_MS: '50',
    INDEX_MAX_BACKOFF_MS: '100',
    ...options.env,
  })
  const app = await createService({ name: 'kb', version: 'test', config })
  await app.register(kbApp, {
    config,
    env: { DATABASE_URL: postgres.wrap(databaseUrl) },
    replace: stores,
  })
  await app.ready()
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  return {
    app,
    embedder,
    postgres,
    sql,
    ...stores,
    async close() {
      await app.close()
      await sql.end()
      await Promise.all([postgres.close(), embedder.close(), pgServer.stop()])
      await embedderApp.close()
    },
  }
}

async function listenLocally(embedder: EmbedderHarness): Promise<{ host: string; port: number }> {
  await embedder.app.listen({ host: '127.0.0.1', port: 0 })
  const address = embedder.app.server.address()
  if (!address || typeof address === 'string') throw new Error('embedder did not listen on TCP')
  return { host: '127.0.0.1', port: address.port }
}

/** Polls until `check` passes or `timeoutMs` is over (then fails with its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
