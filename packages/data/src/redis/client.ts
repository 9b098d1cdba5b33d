import { Redis, type RedisOptions } from 'ioredis'

export interface RedisClientConfig {
  /** The app's REDIS_URL: its ACL user, password and DB index. */
  url: string
  /** The app's REDIS_KEY_PREFIX; every key and channel it touches must start with it. */
  keyPrefix: string
  /**
   * Extra ioredis settings (offline queue, retries per request …). Credentials, DB index and
   * prefix always come from `url` and `keyPrefix`.
   */
  options?: Omit<RedisOptions, 'keyPrefix' | 'username' | 'password' | 'db' | 'host' | 'port'>
}

const KEY_PREFIX = /^[a-z][a-z0-9_]*:$/

/**
 * An ioredis client whose keyPrefix is the app's ACL key pattern. INFO is an admin command
 * the app's ACL refuses, so ioredis's ready check (INFO) is off. Reconnects with bounded
 * backoff; `connect()` is left to the caller (the client is lazy).
 */
export function createRedis(config: RedisClientConfig): Redis {
  if (!KEY_PREFIX.test(config.keyPrefix)) {
    throw new Error(
      `REDIS_KEY_PREFIX "${config.keyPrefix}" is not a key prefix like "notes:" (lowercase name, then ":")`,
    )
  }
  return new Redis(config.url, {
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...config.options,
    keyPrefix: config.keyPrefix,
    enableReadyCheck: false,
    lazyConnect: true,
  })
}
