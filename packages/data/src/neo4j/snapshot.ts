import { type CypherQuery, type GraphQueries, validBatchSize } from './cypher.js'
import { ID_KEY, type Properties, validateRelationshipType } from './identifiers.js'

/** A node of the app's label: its id and its other properties. */
export interface GraphNode {
  kind: 'node'
  id: string
  props: Properties
}

/** A relationship between two nodes of the app's label. */
export interface GraphLink {
  kind: 'link'
  from: string
  type: string
  to: string
  props: Properties
}

export type GraphRecord = GraphNode | GraphLink

export interface GraphCounts {
  nodes: number
  links: number
}

/** Where a page of links ends: the next page starts after this (source, type, target). */
export type LinkCursor = Pick<GraphLink, 'from' | 'type' | 'to'>

export interface ExportOptions {
  /** Rows per query, 1-10000; default 1000. At most one page is held in memory. */
  pageSize?: number
}

export interface BatchOptions {
  /** Rows per write, 1-10000; default 1000. */
  batchSize?: number
}

/** The part of AppGraph that backup and restore use, all within the app's label. */
export interface GraphSnapshots {
  /** Nodes of the label. */
  count(): Promise<number>
  /** Relationships between two nodes of the label. */
  countLinks(): Promise<number>
  /**
   * Every node by id, then every link by (from, type, to): equal data comes out in equal
   * order. Each page is its own read, so writes during an export may or may not show.
   */
  exportAll(options?: ExportOptions): AsyncIterable<GraphRecord>
  /**
   * Upserts nodes and links in batches; links need their nodes written before them (as
   * exportAll orders them). Throws when a link names a node the graph does not have.
   */
  importAll(
    records: Iterable<GraphRecord> | AsyncIterable<GraphRecord>,
    options?: BatchOptions,
  ): Promise<GraphCounts>
  /** DETACH DELETEs every node of the label, in batches; returns how many. */
  clear(options?: BatchOptions): Promise<number>
}

/** How AppGraph runs one statement (write: on the leader). */
export type RunQuery = (
  query: CypherQuery,
  write: boolean,
) => Promise<ReadonlyArray<{ get(key: string): unknown }>>

function withoutId(props: Properties): Properties {
  const rest = { ...props }
  delete rest[ID_KEY]
  return rest
}

export async function* exportGraph(
  run: RunQuery,
  queries: GraphQueries,
  pageSize?: number,
): AsyncGenerator<GraphRecord> {
  const size = validBatchSize(pageSize, 'page size')
  let after = ''
  for (;;) {
    const page = await run(queries.exportNodes(after, size), false)
    for (const row of page) {
      after = row.get('id') as string
      yield { kind: 'node', id: after, props: withoutId(row.get('props') as Properties) }
    }
    if (page.length < size) break
  }
  let cursor: LinkCursor = { from: '', type: '', to: '' }
  for (;;) {
    const page = await run(queries.exportLinks(cursor, size), false)
    for (const row of page) {
      cursor = {
        from: row.get('source') as string,
        type: row.get('relType') as string,
        to: row.get('target') as string,
      }
      yield { kind: 'link', ...cursor, props: row.get('props') as Properties }
    }
    if (page.length < size) break
  }
}

export async function importGraph(
  run: RunQuery,
  queries: GraphQueries,
  records: Iterable<GraphRecord> | AsyncIterable<GraphRecord>,
  batchSize?: number,
): Promise<GraphCounts> {
  const size = validBatchSize(batchSize)
  const counts: GraphCounts = { nodes: 0, links: 0 }
  let nodes: GraphNode[] = []
  // Links wait per type (a type is part of the statement text); all pending ones together
  // stay within one batch.
  const links = new Map<string, GraphLink[]>()
  let pendingLinks = 0

  const flushNodes = async () => {
    if (nodes.length === 0) return
    const [row] = await run(queries.importNodes(nodes), true)
    counts.nodes += (row?.get('imported') as number | undefined) ?? 0
    nodes = []
  }
  const flushLinks = async () => {
    await flushNodes()
    for (const [type, batch] of links) {
      const [row] = await run(queries.importLinks(type, batch), true)
      const linked = (row?.get('linked') as number | undefined) ?? 0
      if (linked < batch.length) {
        throw new Error(
          `neo4j: importAll: ${batch.length - linked} ${type} link(s) name a node the graph does not have (nodes must come before their links)`,
        )
      }
      counts.links += linked
    }
    links.clear()
    pendingLinks = 0
  }

  for await (const record of records) {
    if (record.kind === 'node') {
      nodes.push(record)
      if (nodes.length >= size) await flushNodes()
    } else if (record.kind === 'link') {
      const batch = links.get(validateRelationshipType(record.type)) ?? []
      batch.push(record)
      links.set(record.type, batch)
      if (++pendingLinks >= size) await flushLinks()
    } else {
      const kind = (record as { kind?: unknown }).kind
      throw new Error(
        `neo4j: importAll: record kind must be "node" or "link", got ${JSON.stringify(kind)}`,
      )
    }
  }
  await flushLinks()
  return counts
}

export async function clearGraph(
  run: RunQuery,
  queries: GraphQueries,
  batchSize?: number,
): Promise<number> {
  const size = validBatchSize(batchSize)
  let total = 0
  for (;;) {
    const [row] = await run(queries.clearBatch(size), true)
    const deleted = (row?.get('deleted') as number | undefined) ?? 0
    total += deleted
    if (deleted < size) return total
  }
}
