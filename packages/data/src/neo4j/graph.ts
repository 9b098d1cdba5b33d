import type { DependencyCheck } from '@flotilla/service'
import neo4j, { type Driver } from 'neo4j-driver'
import type { Neo4jMode } from '../provision/admin-config.js'
import { type CypherQuery, graphQueries, type NeighbourOptions } from './cypher.js'
import type { Properties } from './identifiers.js'
import { clearGraph, exportGraph, type GraphSnapshots, importGraph } from './snapshot.js'

export interface GraphConfig {
  url: string
  user: string
  password: string
  /** Community (default): the label is the only fence. Enterprise: the database is. */
  mode?: Neo4jMode
  /** The app's label, resourcesFor(app).neo4j.label; every node carries it in both modes. */
  label: string
  /** The app's database, resourcesFor(app).neo4j.database; required in enterprise mode. */
  database?: string
  /** Whether /readyz fails without Neo4j. Default true. */
  required?: boolean
}

/**
 * A small graph API that builds all Cypher itself: no raw Cypher reaches the server.
 * Backup and restore (GraphSnapshots) go through it too, so they stay inside the label.
 */
export interface AppGraph extends GraphSnapshots {
  readonly label: string
  readonly database: string | undefined
  upsertNode(id: string, props?: Properties): Promise<Properties>
  getNode(id: string): Promise<Properties | undefined>
  /** True when a node was deleted (with its relationships). */
  deleteNode(id: string): Promise<boolean>
  /** Creates (or updates) one relationship; false when either node is missing. */
  link(fromId: string, toId: string, type: string, props?: Properties): Promise<boolean>
  /** True when a relationship was removed. */
  unlink(fromId: string, toId: string, type: string): Promise<boolean>
  neighbours(id: string, options?: NeighbourOptions): Promise<Properties[]>
  ready(signal?: AbortSignal): Promise<void>
  readiness: DependencyCheck
  close(): Promise<void>
}

export function openGraph(config: GraphConfig): AppGraph {
  const mode = config.mode ?? 'community'
  if (mode !== 'community' && mode !== 'enterprise')
    throw new Error(`neo4j: unknown mode "${String(mode)}"`)
  if (mode === 'enterprise' && !config.database)
    throw new Error('neo4j: enterprise mode needs the app database')
  const queries = graphQueries(config.label)
  const database = mode === 'enterprise' ? config.database : undefined
  const driver: Driver = neo4j.driver(config.url, neo4j.auth.basic(config.user, config.password), {
    disableLosslessIntegers: true,
  })

  const run = async (query: CypherQuery, write: boolean) => {
    const { records } = await driver.executeQuery(query.text, query.params, {
      routing: write ? neo4j.routing.WRITE : neo4j.routing.READ,
      ...(database ? { database } : {}),
    })
    return records
  }
  const single = async <T>(query: CypherQuery, write: boolean, key: string): Promise<T> =>
    (await run(query, write))[0]?.get(key) as T

  const ready = async () => {
    await driver.verifyConnectivity(database ? { database } : {})
    await run({ text: 'RETURN 1 AS ok', params: {} }, false)
  }

  return {
    label: config.label,
    database,
    upsertNode: (id, props = {}) => single<Properties>(queries.upsertNode(id, props), true, 'node'),
    getNode: async (id) =>
      (await run(queries.getNode(id), false))[0]?.get('node') as Properties | undefined,
    deleteNode: async (id) => (await single<number>(queries.deleteNode(id), true, 'deleted')) > 0,
    link: async (from, to, type, props = {}) =>
      (await single<number>(queries.link(from, to, type, props), true, 'linked')) > 0,
    unlink: async (from, to, type) =>
      (await single<number>(queries.unlink(from, to, type), true, 'unlinked')) > 0,
    neighbours: async (id, options) =>
      (await run(queries.neighbours(id, options), false)).map((r) => r.get('node') as Properties),
    count: () => single<number>(queries.count(), false, 'count'),
    countLinks: () => single<number>(queries.countLinks(), false, 'count'),
    exportAll: (options = {}) => exportGraph(run, queries, options.pageSize),
    importAll: (records, options = {}) => importGraph(run, queries, records, options.batchSize),
    clear: (options = {}) => clearGraph(run, queries, options.batchSize),
    ready,
    readiness: { name: 'neo4j', required: config.required ?? true, check: ready },
    close: () => driver.close(),
  }
}
