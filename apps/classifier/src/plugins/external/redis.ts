import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

// The one place this app creates its Redis client (to be replaced by @flotilla/data).
export default fp(
  async (
    app: FastifyInstance,
    { redisUrl, keyPrefix }: { redisUrl: string; keyPrefix: string },
  ) => {
    const redis = new Redis(redisUrl, {
      keyPrefix,
      lazyConnect: true,
      // Redis is only a cache here: fail a command at once while disconnected instead of
      // queueing it, so requests fall back to inference without waiting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    })
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis error'))
    redis.connect().catch((error) => app.log.warn({ err: error }, 'redis not reachable at start'))
    app.addHook('onClose', async () => {
      redis.disconnect()
    })

    app.decorate('redis', redis)
    app.readiness.add({ name: 'redis', required: false, check: () => redis.ping() })
  },
  { name: 'redis' },
)
