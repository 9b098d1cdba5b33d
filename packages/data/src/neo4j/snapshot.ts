import { type CypherQuery, type GraphQueries, validBatchSize } from './cypher.js'
import {
  GraphInputError,
  ID_KEY,
  type Properties,
  validateRelationshipType,
} from './identifiers.js'
import type { GraphLink, GraphNode, GraphRecord, LinkCursor } from './records.js'

export interface GraphCounts {
  nodes: number
  links: number
}

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

/**
 * The five primitives the snapshot loops below are made of: one bounded page read, one
 * bounded batch write or delete each. Bolt runs them as graphQueries' statements
 * (cypherSnapshots); the guard's HTTP client sends each as one request.
 */
export interface SnapshotPages {
  /** Up to `size` nodes with id > `after`, by id; props without the id. */
  nodePage(after: string, size: number): Promise<GraphNode[]>
  /** Up to `size` links after the cursor, by (from, type, to). */
  linkPage(after: LinkCursor, size: number): Promise<GraphLink[]>
  /** Upserts the nodes; returns how many were written. */
  writeNodes(nodes: ReadonlyArray<Pick<GraphNode, 'id' | 'props'>>): Promise<number>
  /** Upserts links of one type between existing nodes; returns how many were written. */
  writeLinks(type: string, links: ReadonlyArray<Omit<GraphLink, 'kind' | 'type'>>): Promise<number>
  /** DETACH DELETEs up to `size` nodes; returns how many. */
  clearBatch(size: number): Promise<number>
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

const counted = (rows: ReadonlyArray<{ get(key: string): unknown }>, key: string) =>
  (rows[0]?.get(key) as number | undefined) ?? 0

/** The snapshot primitives as graphQueries' statements, run over Bolt. */
export function cypherSnapshots(run: RunQuery, queries: GraphQueries): SnapshotPages {
  return {
    nodePage: async (after, size) =>
      (await run(queries.exportNodes(after, size), false)).map((row) => ({
        kind: 'node',
        id: row.get('id') as string,
        props: withoutId(row.get('props') as Properties),
      })),
    linkPage: async (after, size) =>
      (await run(queries.exportLinks(after, size), false)).map((row) => ({
        kind: 'link',
        from: row.get('source') as string,
        type: row.get('relType') as string,
        to: row.get('target') as string,
        props: row.get('props') as Properties,
      })),
    writeNodes: async (nodes) => counted(await run(queries.importNodes(nodes), true), 'imported'),
    writeLinks: async (type, links) =>
      counted(await run(queries.importLinks(type, links), true), 'linked'),
    clearBatch: async (size) => counted(await run(queries.clearBatch(size), true), 'deleted'),
  }
}

export async function* exportGraph(
  pages: SnapshotPages,
  pageSize?: number,
): AsyncGenerator<GraphRecord> {
  const size = validBatchSize(pageSize, 'page size')
  let after = ''
  for (;;) {
    const page = await pages.nodePage(after, size)
    for (const node of page) {
      after = node.id
      yield node
    }
    if (page.length < size) break
  }
  let cursor: LinkCursor = { from: '', type: '', to: '' }
  for (;;) {
    const page = await pages.linkPage(cursor, size)
    for (const link of page) {
      cursor = { from: link.from, type: link.type, to: link.to }
      yield link
    }
    if (page.length < size) break
  }
}

export async function importGraph(
  pages: SnapshotPages,
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
    counts.nodes += await pages.writeNodes(nodes)
    nodes = []
  }
  const flushLinks = async () => {
    await flushNodes()
    for (const [type, batch] of links) {
      const linked = await pages.writeLinks(type, batch)
      if (linked < batch.length) {
        throw new GraphInputError(
          `importAll: ${batch.length - linked} ${type} link(s) name a node the graph does not have (nodes must come before their links)`,
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
      throw new GraphInputError(
        `importAll: record kind must be "node" or "link", got ${JSON.stringify(kind)}`,
      )
    }
  }
  await flushLinks()
  return counts
}

export async function clearGraph(pages: SnapshotPages, batchSize?: number): Promise<number> {
  const size = validBatchSize(batchSize)
  let total = 0
  for (;;) {
    const deleted = await pages.clearBatch(size)
    total += deleted
    if (deleted < size) return total
  }
}
