import neo4j from 'neo4j-driver'
import {
  escapeIdentifier,
  GraphInputError,
  ID_KEY,
  type Properties,
  validateLabel,
  validateNodeId,
  validateProperties,
  validateRelationshipType,
} from './identifiers.js'
import type { GraphLink, GraphNode, LinkCursor } from './records.js'

/** A statement and its parameters: every value travels as a parameter, never in the text. */
export interface CypherQuery {
  text: string
  params: Record<string, unknown>
}

export type Direction = 'out' | 'in' | 'both'

export interface NeighbourOptions {
  /** Only relationships of this type. */
  type?: string
  /** Hops, 1-5; default 1. */
  depth?: number
  direction?: Direction
  /** At most this many nodes, 1-1000; default 100. */
  limit?: number
}

export const MAX_DEPTH = 5
export const MAX_NEIGHBOURS = 1000
/** Rows per page or batch of exportAll, importAll and clear. */
export const MAX_BATCH = 10_000
export const DEFAULT_BATCH = 1000

/** A page or batch size for exportAll, importAll and clear: 1-10000, default 1000. */
export function validBatchSize(value: number | undefined, what = 'batch size'): number {
  return boundedInteger(value, DEFAULT_BATCH, MAX_BATCH, what)
}

function cursorPart(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new GraphInputError(`${what} must be a string`)
  return value
}

function boundedInteger(
  value: number | undefined,
  fallback: number,
  max: number,
  what: string,
): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new GraphInputError(`${what} must be an integer 1-${max}, got ${n}`)
  return n
}

/**
 * Builds AppGraph's statements for one label. Every node pattern that introduces a node
 * carries the label, and variable-length paths require it of every node on the path, so
 * a statement can only ever reach nodes of that label, which must be an app's label.
 */
export function graphQueries(label: string) {
  const l = escapeIdentifier(validateLabel(label))
  return {
    upsertNode(id: string, props: Properties = {}): CypherQuery {
      return {
        text: `MERGE (n:${l} {id: $id}) SET n += $props RETURN properties(n) AS node`,
        params: { id: validateNodeId(id), props: validateProperties(props) },
      }
    },
    getNode(id: string): CypherQuery {
      return {
        text: `MATCH (n:${l} {id: $id}) RETURN properties(n) AS node`,
        params: { id: validateNodeId(id) },
      }
    },
    deleteNode(id: string): CypherQuery {
      return {
        text: `MATCH (n:${l} {id: $id}) DETACH DELETE n RETURN count(*) AS deleted`,
        params: { id: validateNodeId(id) },
      }
    },
    link(fromId: string, toId: string, type: string, props: Properties = {}): CypherQuery {
      const t = escapeIdentifier(validateRelationshipType(type))
      return {
        text:
          `MATCH (a:${l} {id: $from}) MATCH (b:${l} {id: $to}) ` +
          `MERGE (a)-[r:${t}]->(b) SET r += $props RETURN count(r) AS linked`,
        params: {
          from: validateNodeId(fromId),
          to: validateNodeId(toId),
          props: validateProperties(props),
        },
      }
    },
    unlink(fromId: string, toId: string, type: string): CypherQuery {
      const t = escapeIdentifier(validateRelationshipType(type))
      return {
        text: `MATCH (a:${l} {id: $from})-[r:${t}]->(b:${l} {id: $to}) DELETE r RETURN count(*) AS unlinked`,
        params: { from: validateNodeId(fromId), to: validateNodeId(toId) },
      }
    },
    neighbours(id: string, options: NeighbourOptions = {}): CypherQuery {
      const depth = boundedInteger(options.depth, 1, MAX_DEPTH, 'depth')
      const limit = boundedInteger(options.limit, 100, MAX_NEIGHBOURS, 'limit')
      const type =
        options.type === undefined
          ? ''
          : `:${escapeIdentifier(validateRelationshipType(options.type))}`
      const direction = options.direction ?? 'both'
      if (!['out', 'in', 'both'].includes(direction))
        throw new GraphInputError('direction must be out, in or both')
      const rel = `[${type}*1..${depth}]`
      const pattern =
        direction === 'out' ? `-${rel}->` : direction === 'in' ? `<-${rel}-` : `-${rel}-`
      return {
        text:
          `MATCH p = (a:${l} {id: $id})${pattern}(b:${l}) ` +
          `WHERE b <> a AND all(x IN nodes(p) WHERE x:${l}) ` +
          'RETURN DISTINCT properties(b) AS node ORDER BY node.id LIMIT $limit',
        params: { id: validateNodeId(id), limit: neo4j.int(limit) },
      }
    },
    count(): CypherQuery {
      return { text: `MATCH (n:${l}) RETURN count(n) AS count`, params: {} }
    },
    countLinks(): CypherQuery {
      return { text: `MATCH (a:${l})-[r]->(b:${l}) RETURN count(r) AS count`, params: {} }
    },
    /** One page of nodes by id, after `afterId` ('' for the first); the id constraint's index serves it. */
    exportNodes(afterId: string, pageSize: number = DEFAULT_BATCH): CypherQuery {
      const limit = validBatchSize(pageSize, 'page size')
      return {
        text:
          `MATCH (n:${l}) WHERE n.id > $after ` +
          'RETURN n.id AS id, properties(n) AS props ORDER BY n.id LIMIT $limit',
        params: { after: cursorPart(afterId, 'the export cursor'), limit: neo4j.int(limit) },
      }
    },
    /**
     * One page of relationships between two nodes of the label, ordered by (source id, type,
     * target id) and continuing after `after` (all '' for the first page): keyset paging,
     * so a page is bounded wherever it starts, even inside one node's links.
     */
    exportLinks(after: LinkCursor, pageSize: number = DEFAULT_BATCH): CypherQuery {
      const limit = validBatchSize(pageSize, 'page size')
      return {
        text:
          `MATCH (a:${l})-[r]->(b:${l}) WHERE a.id >= $from ` +
          'AND (a.id > $from OR type(r) > $type OR (type(r) = $type AND b.id > $to)) ' +
          'RETURN a.id AS source, type(r) AS relType, b.id AS target, properties(r) AS props ' +
          'ORDER BY source, relType, target LIMIT $limit',
        params: {
          from: cursorPart(after.from, 'the export cursor'),
          type: cursorPart(after.type, 'the export cursor'),
          to: cursorPart(after.to, 'the export cursor'),
          limit: neo4j.int(limit),
        },
      }
    },
    /** Upserts a batch of nodes; each ends up with exactly the given properties. */
    importNodes(nodes: ReadonlyArray<Pick<GraphNode, 'id' | 'props'>>): CypherQuery {
      validBatchSize(nodes.length, 'an import batch')
      const rows = nodes.map((node) => {
        const id = validateNodeId(node.id)
        return { id, props: { ...validateProperties(node.props), [ID_KEY]: id } }
      })
      return {
        text: `UNWIND $rows AS row MERGE (n:${l} {id: row.id}) SET n = row.props RETURN count(n) AS imported`,
        params: { rows },
      }
    },
    /** Upserts a batch of relationships of one type (a type cannot be a parameter). */
    importLinks(type: string, links: ReadonlyArray<Omit<GraphLink, 'kind' | 'type'>>): CypherQuery {
      const t = escapeIdentifier(validateRelationshipType(type))
      validBatchSize(links.length, 'an import batch')
      const rows = links.map((link) => ({
        from: validateNodeId(link.from),
        to: validateNodeId(link.to),
        props: validateProperties(link.props),
      }))
      return {
        text:
          `UNWIND $rows AS row MATCH (a:${l} {id: row.from}) MATCH (b:${l} {id: row.to}) ` +
          `MERGE (a)-[r:${t}]->(b) SET r = row.props RETURN count(r) AS linked`,
        params: { rows },
      }
    },
    /** Deletes up to `batchSize` nodes with their relationships; repeated until none is left. */
    clearBatch(batchSize: number = DEFAULT_BATCH): CypherQuery {
      const limit = validBatchSize(batchSize)
      return {
        text: `MATCH (n:${l}) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted`,
        params: { limit: neo4j.int(limit) },
      }
    },
  }
}

export type GraphQueries = ReturnType<typeof graphQueries>
