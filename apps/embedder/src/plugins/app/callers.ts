import { AppError } from '@flotilla/service'
import { bearerToken, verifyAppToken } from '@flotilla/stack'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The app whose caller token (`Authorization: Bearer <its EMBEDDER_TOKEN>`) came with the
     * request (its `sub`, all the embedder needs of a caller); 401 without a valid one.
     * Nothing else a request carries names its caller.
     */
    callerOf(authorization: string | string[] | undefined): Promise<string>
  }
}

const unauthorized = (message: string) =>
  new AppError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'Bearer' })

export default fp(
  async (app: FastifyInstance, { secret }: { secret: string | undefined }) => {
    app.decorate('callerOf', async (authorization: string | string[] | undefined) => {
      if (!secret) {
        throw new AppError(
          503,
          'CALLERS_NOT_CONFIGURED',
          'collections need EMBEDDER_CALLER_SECRET to be set',
        )
      }
      const token = bearerToken(authorization)
      if (token === undefined) {
        throw unauthorized(
          "missing caller token: send Authorization: Bearer <the app's EMBEDDER_TOKEN>",
        )
      }
      const caller = await verifyAppToken('embedder', secret, token)
      if (caller === undefined) throw unauthorized('invalid caller token')
      return caller.app
    })
  },
  { name: 'callers' },
)
