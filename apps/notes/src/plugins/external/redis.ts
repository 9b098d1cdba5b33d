import { openAppData } from '@flotilla/data'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

export default fp(
  async (
    app: FastifyInstance,
    { redisUrl, keyPrefix }: { redisUrl: string; keyPrefix: string },
  ) => {
    const data = await openAppData(
      'notes',
      {
        redis: {
          url: redisUrl,
          keyPrefix,
          // Redis is a cache here: /readyz says degraded, not down, without it, and a command
          // fails at once while disconnected instead of queueing, so reads fall back to
          // PostgreSQL without waiting.
          required: false,
          options: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
        },
      },
      { onError: (store, error) => app.log.warn({ err: error }, `${store} error`) },
    )
    app.addHook('onClose', () => data.close())

    app.decorate('redis', data.redis as Redis)
    for (const check of data.readiness) app.readiness.add(check)
  },
  { name: 'redis' },
)
