import { openAppData } from '@flotilla/data'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { MlServiceConfig } from './config.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

export interface RedisCacheOptions {
  /** The app's name, as the provisioner knows it. */
  app: string
  config: Pick<MlServiceConfig, 'REDIS_URL' | 'REDIS_KEY_PREFIX'>
}

/** The app's Redis, opened through @flotilla/data as the model's cache. */
export const redisCache = fp(
  async (app: FastifyInstance, { app: appName, config }: RedisCacheOptions) => {
    const data = await openAppData(
      appName,
      {
        redis: {
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          // Redis is only a cache here: /readyz says degraded, not down, without it, and a
          // command fails at once while disconnected instead of queueing, so requests fall
          // back to inference without waiting.
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
