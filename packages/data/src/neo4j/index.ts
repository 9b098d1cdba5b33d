export {
  type CypherQuery,
  DEFAULT_BATCH,
  type Direction,
  type GraphQueries,
  graphQueries,
  MAX_BATCH,
  MAX_DEPTH,
  MAX_NEIGHBOURS,
  type NeighbourOptions,
  validBatchSize,
} from './cypher.js'
export {
  type AppGraph,
  type BoltGraphConfig,
  type BoltOptions,
  boltOperations,
  type GraphConfig,
  type Neo4jMode,
  openGraph,
} from './graph.js'
export {
  GUARD_ROUTES,
  type GuardBody,
  type GuardResponse,
  type GuardRoutes,
} from './guard-api.js'
export type { GuardGraphConfig } from './guard-client.js'
export {
  escapeIdentifier,
  GraphInputError,
  ID_KEY,
  LABEL_PATTERN,
  labelOfApp,
  PROPERTY_KEY_PATTERN,
  type Properties,
  type PropertyValue,
  RELATIONSHIP_TYPE_PATTERN,
  validateLabel,
  validateNodeId,
  validateProperties,
  validateRelationshipType,
} from './identifiers.js'
export type { GraphOperations } from './operations.js'
export type { GraphLink, GraphNode, GraphRecord, LinkCursor } from './records.js'
export type {
  BatchOptions,
  ExportOptions,
  GraphCounts,
  GraphSnapshots,
  SnapshotPages,
} from './snapshot.js'
export { neo4jGuardToken, verifyNeo4jGuardToken } from './token.js'
