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
export { type AppGraph, type GraphConfig, openGraph } from './graph.js'
export {
  escapeIdentifier,
  ID_KEY,
  PROPERTY_KEY_PATTERN,
  type Properties,
  type PropertyValue,
  RELATIONSHIP_TYPE_PATTERN,
  validateNodeId,
  validateProperties,
  validateRelationshipType,
} from './identifiers.js'
export {
  constraintName,
  constraintStatement,
  createDatabaseStatement,
  createRoleStatement,
  createUserStatement,
  grantRoleStatement,
  grantStatements,
  type Neo4jAdmin,
  type Neo4jProvisionOptions,
  type Neo4jUserSecret,
  neo4jPrincipal,
  provisionNeo4j,
  setPasswordStatement,
} from './provision.js'
export type {
  BatchOptions,
  ExportOptions,
  GraphCounts,
  GraphLink,
  GraphNode,
  GraphRecord,
  GraphSnapshots,
  LinkCursor,
} from './snapshot.js'
