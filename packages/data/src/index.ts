// What apps load: the scoped clients and the credentials they are opened from. The
// provisioner is @flotilla/provision; the Fastify plugin is @flotilla/data/fastify.
export { type ChromaClientConfig, ScopedChroma } from './chroma/index.js'
export { type AppDataConfig, appDataConfigFromEnv } from './config.js'
export { readEnvFile } from './env-file.js'
export { type MigrationOptions, runMigrations } from './migrations.js'
export * from './neo4j/index.js'
export { type AppClients, type AppData, type OpenOptions, openAppData } from './open.js'
export {
  openPostgres,
  type PostgresClientConfig,
  query,
} from './postgres/index.js'
export * from './qdrant/index.js'
export { createRedis, type RedisClientConfig } from './redis/index.js'
export {
  DataUnavailableError,
  DEFAULT_RETRY,
  type RetryOptions,
  withRetry,
} from './retry.js'
