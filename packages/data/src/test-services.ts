import type { StartOptions } from '@flotilla/testkit'
import {
  NEO4J_PASSWORD_VAR,
  NEO4J_URL_VAR,
  NEO4J_USER_VAR,
  type Neo4jServer,
  startNeo4j,
} from './neo4j/test-server.js'
import { POSTGRES_URL_VAR, type PostgresServer, startPostgres } from './postgres/test-server.js'
import { REDIS_URL_VAR, type RedisServer, startRedis } from './redis/test-server.js'

export interface TestServices {
  postgres: PostgresServer
  redis: RedisServer
  neo4j: Neo4jServer
  /** TEST_POSTGRES_URL, TEST_REDIS_URL and TEST_NEO4J_URL/USER/PASSWORD for child processes. */
  env: Record<string, string>
  stop(): Promise<void>
}

/** All servers, started in parallel; if one fails, the others are stopped before the error. */
export async function startTestServices(options: StartOptions = {}): Promise<TestServices> {
  const results = await Promise.allSettled([
    startPostgres(options),
    startRedis(options),
    startNeo4j({ env: options.env }),
  ] as const)
  const [postgres, redis, neo4j] = results
  if (
    postgres.status === 'rejected' ||
    redis.status === 'rejected' ||
    neo4j.status === 'rejected'
  ) {
    await Promise.all(
      results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.stop()] : [])),
    )
    const reasons = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as Error] : [],
    )
    throw new AggregateError(reasons, reasons.map((reason) => reason.message).join('\n'))
  }
  const servers = [postgres.value, redis.value, neo4j.value]
  return {
    postgres: postgres.value,
    redis: redis.value,
    neo4j: neo4j.value,
    env: {
      [POSTGRES_URL_VAR]: postgres.value.url,
      [REDIS_URL_VAR]: redis.value.url,
      [NEO4J_URL_VAR]: neo4j.value.url,
      [NEO4J_USER_VAR]: neo4j.value.user,
      [NEO4J_PASSWORD_VAR]: neo4j.value.password,
    },
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop()))
    },
  }
}
