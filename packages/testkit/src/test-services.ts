import { POSTGRES_URL_VAR, startPostgres } from './postgres.js'
import { REDIS_URL_VAR, startRedis } from './redis.js'
import type { PostgresServer, RedisServer, StartOptions } from './servers.js'

export interface TestServices {
  postgres: PostgresServer
  redis: RedisServer
  /** TEST_POSTGRES_URL and TEST_REDIS_URL for child processes. */
  env: Record<string, string>
  stop(): Promise<void>
}

/** Both servers, started in parallel; if one fails, the other is stopped before the error. */
export async function startTestServices(options: StartOptions = {}): Promise<TestServices> {
  const [postgres, redis] = await Promise.allSettled([startPostgres(options), startRedis(options)])
  if (postgres.status === 'rejected' || redis.status === 'rejected') {
    const started = [postgres, redis].filter((result) => result.status === 'fulfilled')
    await Promise.all(started.map((result) => result.value.stop()))
    const failures = [postgres, redis].filter((result) => result.status === 'rejected')
    throw new AggregateError(
      failures.map((failure) => failure.reason),
      failures.map((failure) => (failure.reason as Error).message).join('\n'),
    )
  }
  return {
    postgres: postgres.value,
    redis: redis.value,
    env: { [POSTGRES_URL_VAR]: postgres.value.url, [REDIS_URL_VAR]: redis.value.url },
    stop: async () => {
      await Promise.all([postgres.value.stop(), redis.value.stop()])
    },
  }
}
