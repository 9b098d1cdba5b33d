import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { App } from '@flotilla/stack'
import type { BackupAccess, StoreBackup } from '../backup-types.js'
import { appDataConfigFromEnv } from '../config.js'
import { resourcesFor } from '../names.js'
import { type GraphConfig, openGraph } from './graph.js'
import {
  type Properties,
  type PropertyValue,
  validateNodeId,
  validateProperties,
  validateRelationshipType,
} from './identifiers.js'
import type { GraphRecord } from './records.js'
import type { GraphCounts, GraphSnapshots } from './snapshot.js'

export const NEO4J_FILE = 'neo4j.jsonl'

/** What backup and restore need of a graph: AppGraph (openGraph), or a stand-in in tests. */
export type BackupGraph = GraphSnapshots & { close(): Promise<void> }

export interface Neo4jBackupAccess extends BackupAccess {
  /** How the app's graph is opened; default AppGraph (openGraph), so only its label is reached. */
  openGraph?: (config: GraphConfig) => BackupGraph
}

/**
 * The app's graph: label and database as resourcesFor names them (never what a credentials
 * file claims), the rest from the credentials by the same rule the app uses: community
 * through neo4j-guard with the app's token, enterprise with the app's own Bolt user.
 */
export function graphConfigFor(app: App, env: Record<string, string | undefined>): GraphConfig {
  const resources = resourcesFor(app).neo4j
  if (!resources) throw new Error(`neo4j: ${app.name} does not declare the neo4j store`)
  if (!env.NEO4J_URL) throw new Error("neo4j: NEO4J_URL is missing from the app's credentials")
  const neo4jEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => name.startsWith('NEO4J_')),
  )
  const config = appDataConfigFromEnv(neo4jEnv).graph as GraphConfig
  if (config.label !== resources.label) {
    throw new Error(
      `neo4j: the credentials name label "${config.label}", but ${app.name}'s is "${resources.label}"`,
    )
  }
  const database = 'database' in config ? config.database : undefined
  if (database !== undefined && database !== resources.database) {
    throw new Error(
      `neo4j: the credentials name database "${database}", but ${app.name}'s is "${resources.database}"`,
    )
  }
  return config
}

function sortedKeys(props: Properties): Properties {
  return Object.fromEntries(
    Object.keys(props)
      .sort()
      .map((key) => [key, props[key] as PropertyValue]),
  )
}

/**
 * One record as one line, fields in a fixed order and property keys sorted: with
 * exportAll's order (nodes by id, links by from/type/to), equal data gives equal files.
 */
export function snapshotLine(record: GraphRecord): string {
  const line =
    record.kind === 'node'
      ? { kind: record.kind, id: record.id, props: sortedKeys(record.props) }
      : {
          kind: record.kind,
          from: record.from,
          type: record.type,
          to: record.to,
          props: sortedKeys(record.props),
        }
  return `${JSON.stringify(line)}\n`
}

/** Writes the app's whole graph to `file`, one page at a time; returns what it wrote. */
export async function dumpNeo4j(graph: GraphSnapshots, file: string): Promise<GraphCounts> {
  const counts: GraphCounts = { nodes: 0, links: 0 }
  const out = createWriteStream(file, { mode: 0o600 })
  try {
    for await (const record of graph.exportAll()) {
      if (record.kind === 'node') counts.nodes++
      else counts.links++
      if (!out.write(snapshotLine(record))) await once(out, 'drain')
    }
  } finally {
    out.end()
    await once(out, 'close')
  }
  return counts
}

function parseRecord(value: unknown): GraphRecord {
  const v = (value ?? {}) as Record<string, unknown>
  if (v.kind === 'node') {
    return { kind: 'node', id: validateNodeId(v.id), props: validateProperties(v.props) }
  }
  if (v.kind === 'link') {
    return {
      kind: 'link',
      from: validateNodeId(v.from),
      type: validateRelationshipType(v.type),
      to: validateNodeId(v.to),
      props: validateProperties(v.props),
    }
  }
  throw new Error(`kind must be "node" or "link", got ${JSON.stringify(v.kind)}`)
}

/** The file's records, each checked; an error names the line. Nodes must precede links. */
export async function* readSnapshot(file: string): AsyncGenerator<GraphRecord> {
  const lines = createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  let number = 0
  let seenLink = false
  for await (const line of lines) {
    number++
    if (!line) continue
    let record: GraphRecord
    try {
      record = parseRecord(JSON.parse(line))
      if (record.kind === 'node' && seenLink) throw new Error('a node after the links')
    } catch (error) {
      throw new Error(`${NEO4J_FILE} line ${number}: ${(error as Error).message}`)
    }
    seenLink ||= record.kind === 'link'
    yield record
  }
}

/** Reads the whole file once, checking every line; returns what it holds. */
export async function checkSnapshot(file: string): Promise<GraphCounts> {
  const counts: GraphCounts = { nodes: 0, links: 0 }
  for await (const record of readSnapshot(file)) {
    if (record.kind === 'node') counts.nodes++
    else counts.links++
  }
  return counts
}

export async function countNeo4j(graph: GraphSnapshots): Promise<GraphCounts> {
  return { nodes: await graph.count(), links: await graph.countLinks() }
}

/**
 * Makes the app's graph what `file` holds: every node of the label deleted, the file's
 * nodes and links imported, then the graph counted against `expected` (checkSnapshot's
 * result: run it first, so a bad file is refused before anything is deleted).
 */
export async function restoreNeo4j(
  graph: GraphSnapshots,
  file: string,
  expected: GraphCounts,
): Promise<GraphCounts> {
  await graph.clear()
  await graph.importAll(readSnapshot(file))
  const after = await countNeo4j(graph)
  if (after.nodes !== expected.nodes || after.links !== expected.links) {
    throw new Error(
      `neo4j: restored graph holds ${after.nodes} node(s) and ${after.links} link(s), ${NEO4J_FILE} ${expected.nodes} and ${expected.links}`,
    )
  }
  return after
}

async function withGraph<T>(
  access: Neo4jBackupAccess,
  use: (graph: BackupGraph) => Promise<T>,
): Promise<T> {
  const graph = (access.openGraph ?? openGraph)(graphConfigFor(access.app, access.env))
  try {
    return await use(graph)
  } finally {
    await graph.close()
  }
}

/** The nodes and links of the app's label, as JSON Lines, through the app's own graph access. */
export const neo4jBackup: StoreBackup<Neo4jBackupAccess, GraphCounts> = {
  count: async (access) => (access.env.NEO4J_URL ? withGraph(access, countNeo4j) : undefined),
  async backup(access, dir, log) {
    if (!access.env.NEO4J_URL) {
      log('neo4j: skipped (no NEO4J_URL in the credentials)')
      return []
    }
    const counts = await withGraph(access, (graph) => dumpNeo4j(graph, join(dir, NEO4J_FILE)))
    log(`neo4j: ${counts.nodes} node(s), ${counts.links} link(s) → ${NEO4J_FILE}`)
    return [NEO4J_FILE]
  },
  async prepareRestore(access, dir, files) {
    if (!files.includes(NEO4J_FILE)) return undefined
    // The graph is cleared before its import: its credentials are resolved and its file read
    // through now, before any store changes.
    graphConfigFor(access.app, access.env)
    const file = join(dir, NEO4J_FILE)
    const expected = await checkSnapshot(file)
    return async (log) => {
      const restored = await withGraph(access, (graph) => restoreNeo4j(graph, file, expected))
      log(`neo4j: ${restored.nodes} node(s), ${restored.links} link(s) restored`)
    }
  },
}
