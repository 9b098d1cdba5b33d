export { CHROMA_IMAGE, type ChromaServer, DockerUnavailableError, startChroma } from './chroma.js'
export { createDatabase, dropDatabase } from './databases.js'
export { type OutageProxy, startOutageProxy } from './outage-proxy.js'
export { POSTGRES_URL_VAR, postgresFromUrl, startPostgres } from './postgres.js'
export { REDIS_URL_VAR, redisFromUrl, startRedis } from './redis.js'
export type {
  Backend,
  PostgresServer,
  RedisServer,
  ServerSource,
  StartOptions,
} from './servers.js'
export { startTestServices, type TestServices } from './test-services.js'
