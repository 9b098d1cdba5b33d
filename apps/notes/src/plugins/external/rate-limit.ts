import rateLimit, {
  type FastifyRateLimitStore,
  type FastifyRateLimitStoreCtor,
} from '@fastify/rate-limit'
import { AppError } from '@flotilla/service'
import type { FastifyInstance, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

/**
 * Requests per key and window (from the key's first request, as the plugin's own store counts),
 * in Redis without a script: app users may not run any. The counter is created together with
 * its expiry in one command (SET … PX … NX) and only then incremented, so no restart, replay or
 * lost command can leave a counter that never expires — the plugin's store set the expiry in a
 * second step, and when Redis lost that step on a restart notes answered 429 to everyone for
 * good. The one gap left, the counter expiring between SET and INCR (which then starts it
 * without an expiry), is closed by the same request: it sees no expiry and sets one.
 */
function redisWindowStore(redis: Redis, namespace: string): FastifyRateLimitStoreCtor {
  class RedisWindowStore implements FastifyRateLimitStore {
    // The plugin constructs the store with its options, which counting needs none of.
    constructor(
      _options?: unknown,
      private readonly prefix = namespace,
    ) {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      this.#count(`${this.prefix}${key}`, timeWindow).then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      )
    }

    async #count(counter: string, timeWindow: number): Promise<{ current: number; ttl: number }> {
      const results = await redis
        .pipeline()
        .set(counter, 0, 'PX', timeWindow, 'NX')
        .incr(counter)
        .pttl(counter)
        .exec()
      const [, [error, current] = [], [, ttl] = []] = results ?? []
      if (error || typeof current !== 'number') throw error ?? new Error('no reply from Redis')
      if (ttl === -1) await redis.pexpire(counter, timeWindow)
      return { current, ttl: typeof ttl === 'number' && ttl > 0 ? ttl : timeWindow }
    }

    /**
     * A route with its own limits counts apart. The typings say the route's options come in;
     * at run time they are the route's limits, with the route itself under `routeInfo`.
     */
    child(options: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const { method, url } = (options as { routeInfo?: RouteOptions }).routeInfo ?? options
      return new RedisWindowStore(undefined, `${this.prefix}${method}${url}-`)
    }
  }
  return RedisWindowStore
}

export default fp(
  async (app: FastifyInstance, { perMinute }: { perMinute: number }) => {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: '1 minute',
      store: redisWindowStore(app.data.client('redis'), 'rate:'),
      // Counting needs Redis; when it is away, serve rather than refuse everyone.
      skipOnError: true,
      allowList: (request) => !request.url.startsWith('/notes'),
      errorResponseBuilder: (_request, context) =>
        new AppError(429, 'RATE_LIMITED', `rate limit exceeded, retry in ${context.after}`),
    })
  },
  { name: 'rate-limit', dependencies: ['app-data'] },
)
