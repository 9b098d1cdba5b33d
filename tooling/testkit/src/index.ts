export { CHROMA_IMAGE, type ChromaServer, DockerUnavailableError, startChroma } from './chroma.js'
export { createDatabase, dropDatabase } from './databases.js'
export { findFreePort } from './free-port.js'
export {
  type FuzzOptions,
  type FuzzReport,
  type FuzzTarget,
  fuzzOpenApi,
  fuzzTest,
  fuzzUnavailable,
  schemathesisCli,
} from './fuzz.js'
export {
  NEO4J_PASSWORD_VAR,
  NEO4J_URL_VAR,
  NEO4J_USER_VAR,
  type Neo4jServer,
  type Neo4jStartOptions,
  neo4jFromUrl,
  probeNeo4j,
  startNeo4j,
  startPersistentNeo4j,
} from './neo4j.js'
export { type OutageProxy, startOutageProxy } from './outage-proxy.js'
export {
  POSTGRES_URL_VAR,
  postgresFromUrl,
  startPersistentPostgres,
  startPostgres,
} from './postgres.js'
export { REDIS_URL_VAR, redisFromUrl, startRedis } from './redis.js'
export {
  type PersistentRedis,
  type PersistentRedisOptions,
  stackRedisFiles,
  startPersistentRedis,
} from './redis-persistent.js'
export type {
  Backend,
  PostgresServer,
  RedisServer,
  ServerSource,
  StartOptions,
} from './servers.js'
export { startTestServices, type TestServices } from './test-services.js'
export { startWatchdog, type Watchdog } from './watchdog.js'
