import neo4j from 'neo4j-driver'
import {
  escapeIdentifier,
  type Properties,
  validateNodeId,
  validateProperties,
  validateRelationshipType,
} from './identifiers.js'

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

function boundedInteger(
  value: number | undefined,
  fallback: number,
  max: number,
  what: string,
): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`neo4j: ${what} must be an integer 1-${max}, got ${n}`)
  return n
}

/**
 * Builds AppGraph's statements for one label. Every node pattern that introduces a node
 * carries the label, and variable-length paths require it of every node on the path, so
 * a statement can only ever reach nodes of that label.
 */
export function graphQueries(label: string) {
  const l = escapeIdentifier(label)
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
        throw new Error(`neo4j: direction must be out, in or both`)
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
  }
}
