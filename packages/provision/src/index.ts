export {
  type AdminConfig,
  AdminConfigError,
  adminConfigFromEnv,
  type Neo4jMode,
} from './admin-config.js'
export { appEnvPath } from './app-env.js'
export {
  constraintName,
  constraintStatement,
  createDatabaseStatement,
  createRoleStatement,
  createUserStatement,
  denyStatements,
  grantRoleStatement,
  grantStatements,
  type Neo4jAdmin,
  type Neo4jProvisionOptions,
  type Neo4jUserSecret,
  neo4jPrincipal,
  provisionNeo4j,
  setPasswordStatement,
} from './neo4j.js'
export {
  ProvisionError,
  type ProvisionOptions,
  provision,
  provisionRepository,
  provisionTargets,
} from './provision.js'
export {
  DEFAULT_QDRANT_VECTORS,
  DEFAULT_TENANT_FIELD,
  provisionQdrant,
  type QdrantAdmin,
  type QdrantDistance,
  type QdrantProvisionOptions,
  type QdrantVectorParams,
  qdrantAdminClient,
} from './qdrant.js'
export { appAclRules, passwordHash } from './redis-acl.js'
export { formatEnvFile, writeSecretFile } from './secret-file.js'
export type { Change, ProvisionTarget } from './types.js'
