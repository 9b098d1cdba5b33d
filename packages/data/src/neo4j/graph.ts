import type { DependencyCheck } from '@flotilla/service'
import neo4j, { type Driver } from 'neo4j-driver'
import { type CypherQuery, graphQueries, type NeighbourOptions } from './cypher.js'
import { type GuardGraphConfig, guardOperations } from './guard-client.js'
import { type Properties, validateLabel } from './identifiers.js'
import type { GraphOperations } from './operations.js'
import {
  clearGraph,
  cypherSnapshots,
  exportGraph,
  type GraphSnapshots,
  importGraph,
} from './snapshot.js'

/** Community: one database, a label per app behind neo4j-guard. Enterprise: a database per app. */
export type Neo4jMode = 'community' | 'enterprise'

/** Bolt with the server's credentials: the guard (admin, community) or an enterprise app. */
export interface BoltGraphConfig {
  url: string
  user: string
  password: string
  /** Community (default): one database, the label is the fence. Enterprise: the database is. */
  mode?: Neo4jMode
  /** The app's label (NEO4J_LABEL); every node carries it in both modes. */
  label: string
  /** The app's database (NEO4J_DATABASE); required in enterprise mode. */
  database?: string
  /** Whether /readyz fails without Neo4j. Default true. */
  required?: boolean
}

/** Community apps hold a guard token, never a Bolt credential; enterprise apps their own user. */
export type GraphConfig = GuardGraphConfig | BoltGraphConfig

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

export interface BoltOptions {
  /** Enterprise: the app's database. */
  database?: string
  /** Server-side transaction timeout: bounds what one statement may cost. */
  timeoutMs?: number
}

/**
 * The operations of one label over a shared driver: the guard keeps one driver for every
 * app and takes the label from the token; an enterprise app passes its database too.
 */
export function boltOperations(
  driver: Driver,
  label: string,
  { database, timeoutMs }: BoltOptions = {},
): GraphOperations {
  const queries = graphQueries(label)
  const run = async (query: CypherQuery, write: boolean) => {
    const { records } = await driver.executeQuery(query.text, query.params, {
      routing: write ? neo4j.routing.WRITE : neo4j.routing.READ,
      ...(database ? { database } : {}),
      ...(timeoutMs ? { transactionConfig: { timeout: timeoutMs } } : {}),
    })
    return records
  }
  const single = async <T>(query: CypherQuery, write: boolean, key: string): Promise<T> =>
    (await run(query, write))[0]?.get(key) as T

  return {
    upsertNode: (id, props) => single<Properties>(queries.upsertNode(id, props), true, 'node'),
    getNode: async (id) =>
      (await run(queries.getNode(id), false))[0]?.get('node') as Properties | undefined,
    deleteNode: async (id) => (await single<number>(queries.deleteNode(id), true, 'deleted')) > 0,
    link: async (from, to, type, props) =>
      (await single<number>(queries.link(from, to, type, props), true, 'linked')) > 0,
    unlink: async (from, to, type) =>
      (await single<number>(queries.unlink(from, to, type), true, 'unlinked')) > 0,
    neighbours: async (id, options) =>
      (await run(queries.neighbours(id, options), false)).map((r) => r.get('node') as Properties),
    count: () => single<number>(queries.count(), false, 'count'),
    countLinks: () => single<number>(queries.countLinks(), false, 'count'),
    ...cypherSnapshots(run, queries),
    ready: async () => {
      await driver.verifyConnectivity(database ? { database } : {})
      await run({ text: 'RETURN 1 AS ok', params: {} }, false)
    },
  }
}

/** AppGraph on top of its operations; the snapshot loops are shared by Bolt and the guard. */
function appGraph(
  ops: GraphOperations,
  meta: { label: string; database?: string; required?: boolean; close(): Promise<void> },
): AppGraph {
  return {
    label: meta.label,
    database: meta.database,
    upsertNode: (id, props = {}) => ops.upsertNode(id, props),
    getNode: (id) => ops.getNode(id),
    deleteNode: (id) => ops.deleteNode(id),
    link: (from, to, type, props = {}) => ops.link(from, to, type, props),
    unlink: (from, to, type) => ops.unlink(from, to, type),
    neighbours: (id, options) => ops.neighbours(id, options),
    count: () => ops.count(),
    countLinks: () => ops.countLinks(),
    exportAll: (options = {}) => exportGraph(ops, options.pageSize),
    importAll: (records, options = {}) => importGraph(ops, records, options.batchSize),
    clear: (options = {}) => clearGraph(ops, options.batchSize),
    ready: (signal) => ops.ready(signal),
    readiness: { name: 'neo4j', required: meta.required ?? true, check: (s) => ops.ready(s) },
    close: meta.close,
  }
}

function openBoltGraph(config: BoltGraphConfig): AppGraph {
  const mode = config.mode ?? 'community'
  if (mode !== 'community' && mode !== 'enterprise')
    throw new Error(`neo4j: unknown mode "${String(mode)}"`)
  if (mode === 'enterprise' && !config.database)
    throw new Error('neo4j: enterprise mode needs the app database')
  const label = validateLabel(config.label)
  const database = mode === 'enterprise' ? config.database : undefined
  const driver = neo4j.driver(config.url, neo4j.auth.basic(config.user, config.password), {
    disableLosslessIntegers: true,
  })
  return appGraph(boltOperations(driver, label, database ? { database } : {}), {
    label,
    ...(database ? { database } : {}),
    ...(config.required === undefined ? {} : { required: config.required }),
    close: () => driver.close(),
  })
}

/**
 * The app's graph. With a guard token (community): an HTTP client of neo4j-guard, which
 * holds the only Bolt credentials and takes the label from the token. With Bolt
 * credentials: Neo4j itself (an enterprise app's own user, or the guard's admin).
 */
export function openGraph(config: GraphConfig): AppGraph {
  if (!('token' in config)) return openBoltGraph(config)
  const label = validateLabel(config.label)
  return appGraph(guardOperations({ ...config, label }), {
    label,
    ...(config.required === undefined ? {} : { required: config.required }),
    close: async () => {},
  })
}
