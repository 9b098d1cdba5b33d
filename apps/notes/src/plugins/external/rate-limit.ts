import rateLimit from '@fastify/rate-limit'
import { AppError } from '@flotilla/service'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export default fp(
  async (app: FastifyInstance, { perMinute }: { perMinute: number }) => {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: '1 minute',
      redis: app.redis,
      nameSpace: 'rate:',
      // Counting needs Redis; when it is away, serve rather than refuse everyone.
      skipOnError: true,
      allowList: (request) => !request.url.startsWith('/notes'),
      errorResponseBuilder: (_request, context) =>
        new AppError(429, 'RATE_LIMITED', `rate limit exceeded, retry in ${context.after}`),
    })
  },
  { name: 'rate-limit', dependencies: ['redis'] },
)
