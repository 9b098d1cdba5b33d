import replyFrom from '@fastify/reply-from'
import { AppError, createService, type Service } from '@flotilla/service'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { decideAccess } from './access.js'
import type { GuardConfig } from './config.js'
import { CollectionOwnership } from './ownership.js'
import { type Identity, identify, tokenFromHeaders } from './token.js'

const CREDENTIAL_HEADERS = ['x-chroma-token', 'authorization']

async function authenticate(request: FastifyRequest, config: GuardConfig): Promise<Identity> {
  const token = tokenFromHeaders(request.headers)
  if (token === undefined) {
    throw new AppError(
      401,
      'UNAUTHORIZED',
      'missing token (x-chroma-token or Authorization: Bearer)',
    )
  }
  const identity = await identify(token, {
    guardSecret: config.CHROMA_GUARD_SECRET,
    adminToken: config.CHROMA_ADMIN_TOKEN,
  })
  if (identity === undefined) throw new AppError(401, 'UNAUTHORIZED', 'invalid token')
  return identity
}

const forbidden = (message: string) => new AppError(403, 'FORBIDDEN', message)
const upstreamUnavailable = () => new AppError(502, 'UPSTREAM_UNAVAILABLE', 'Chroma did not answer')

/**
 * The enforcing proxy in front of Chroma, whose open-source server authorises nothing:
 * an app token reaches only the tenant and database its claims name; the admin token all.
 */
export async function buildGuard(config: GuardConfig): Promise<Service> {
  const upstream = config.CHROMA_UPSTREAM_URL.replace(/\/$/, '')
  const app = await createService({ name: 'chroma-guard', version: '0.1.0', config })
  const ownership = new CollectionOwnership(upstream, config.UPSTREAM_TIMEOUT_MS)

  app.readiness.add({
    name: 'chroma',
    required: true,
    check: async (signal) => {
      const response = await fetch(`${upstream}/api/v2/heartbeat`, { signal })
      if (!response.ok) throw new Error(`heartbeat answered ${response.status}`)
    },
  })

  await app.register(async (proxy) => {
    // Bodies are forwarded byte for byte; parsing them as buffers keeps the body limit.
    proxy.removeAllContentTypeParsers()
    proxy.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body)
    })
    await proxy.register(replyFrom, {
      base: upstream,
      undici: {
        headersTimeout: config.UPSTREAM_TIMEOUT_MS,
        bodyTimeout: config.UPSTREAM_TIMEOUT_MS,
      },
    })

    const forward = (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body instanceof Buffer ? request.body : undefined
      return reply.from(request.raw.url ?? '/', {
        ...(body && {
          body,
          contentType: request.headers['content-type'] ?? 'application/octet-stream',
        }),
        // Chroma needs no credentials; they stay at the guard.
        rewriteRequestHeaders: (_request, headers) => {
          const rest = { ...headers }
          for (const name of CREDENTIAL_HEADERS) delete rest[name]
          return rest
        },
        // reply-from has logged the cause already.
        onError: (failed) => failed.send(upstreamUnavailable()),
      })
    }

    proxy.all('/*', async (request, reply) => {
      const identity = await authenticate(request, config)
      const decision = decideAccess(request.method, request.raw.url ?? '', identity)
      switch (decision.action) {
        case 'refuse':
          throw forbidden(decision.message)
        case 'identity':
          return {
            user_id: decision.app,
            tenant: decision.place.tenant,
            databases: [decision.place.database],
          }
        case 'forward-if-owned': {
          const { place, collectionId } = decision
          const owned = await ownership.isOwnedBy(place, collectionId).catch((error: unknown) => {
            request.log.warn({ err: error }, 'collection ownership check failed')
            throw upstreamUnavailable()
          })
          if (!owned) throw forbidden(`collection ${collectionId} is not in tenant ${place.tenant}`)
          return forward(request, reply)
        }
        case 'forward':
          return forward(request, reply)
      }
    })
  })
  return app
}
