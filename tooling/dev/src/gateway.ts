import proxy from '@fastify/http-proxy'
import { INTERNAL_PATHS } from '@flotilla/stack'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'

export interface Route {
  app: string
  /** The manifest's route, e.g. `/notes/` (or `/`). */
  prefix: string
  /** The app's own address; undefined when it does not run here. */
  upstream: string | undefined
}

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } })
}

/**
 * The local nginx: each app's route prefix to that app, the path unchanged (apps serve
 * under their prefix), the internal endpoints refused, and nginx's JSON errors for a path
 * no app owns and for an app that does not answer.
 */
export async function startGateway(routes: Route[], port: number): Promise<FastifyInstance> {
  const gateway = Fastify({ logger: false })
  gateway.setNotFoundHandler((_request, reply) =>
    fail(reply, 404, 'NOT_FOUND', 'no route for this path'),
  )
  for (const path of INTERNAL_PATHS) {
    gateway.all(path, (_request, reply) => fail(reply, 404, 'NOT_FOUND', 'no route for this path'))
  }
  for (const route of routes) {
    const unavailable = (reply: FastifyReply) =>
      fail(reply, 503, 'APP_UNAVAILABLE', `${route.app} is not available`)
    if (route.upstream === undefined) {
      await gateway.register(
        async (scope) => {
          scope.all('/', (_request, reply) => unavailable(reply))
          scope.all('/*', (_request, reply) => unavailable(reply))
        },
        { prefix: route.prefix },
      )
      continue
    }
    await gateway.register(proxy, {
      upstream: route.upstream,
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      replyOptions: {
        // As nginx: what a client claims about itself is replaced, and no X-Flotilla-* header
        // (identity between apps) from outside reaches an app.
        rewriteRequestHeaders: (request, headers) => {
          const kept = Object.fromEntries(
            Object.entries(headers).filter(([name]) => !name.startsWith('x-flotilla-')),
          )
          return { ...kept, 'x-forwarded-for': request.ip, 'x-real-ip': request.ip }
        },
        onError: (reply) => unavailable(reply as FastifyReply),
      },
    })
  }
  await gateway.listen({ host: '127.0.0.1', port })
  return gateway
}
