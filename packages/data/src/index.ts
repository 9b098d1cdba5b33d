export { type ChromaClientConfig, ScopedChroma } from './clients/chroma.js'
export { type AppDataConfig, appDataConfigFromEnv } from './clients/config.js'
export { type AppData, type OpenOptions, openAppData } from './clients/open.js'
export {
  openPostgres,
  type PostgresClientConfig,
  query,
} from './clients/postgres.js'
export { createRedis, type RedisClientConfig } from './clients/redis.js'
export {
  DataUnavailableError,
  DEFAULT_RETRY,
  type RetryOptions,
  withRetry,
} from './clients/retry.js'
export { type MigrationOptions, runMigrations } from './migrations.js'
export * from './neo4j/index.js'
export {
  type AdminConfig,
  AdminConfigError,
  adminConfigFromEnv,
  type Neo4jMode,
} from './provision/admin-config.js'
export { appEnvPath } from './provision/app-env.js'
export {
  ProvisionError,
  type ProvisionOptions,
  provision,
  provisionRepository,
  provisionTargets,
} from './provision/provision.js'
export { appAclRules, passwordHash } from './provision/redis-acl.js'
export * from './qdrant/index.js'
export type { Change, ProvisionTarget } from './types.js'
