// What apps load: the scoped clients and the credentials they are opened from. The
// provisioner is @flotilla/provision; the Fastify plugin is @flotilla/data/fastify.
export { type ChromaClientConfig, ScopedChroma } from './clients/chroma.js'
export { type AppDataConfig, appDataConfigFromEnv } from './clients/config.js'
export { type AppClients, type AppData, type OpenOptions, openAppData } from './clients/open.js'
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
export { readEnvFile } from './env-file.js'
export { type MigrationOptions, runMigrations } from './migrations.js'
export * from './neo4j/index.js'
export * from './qdrant/index.js'
