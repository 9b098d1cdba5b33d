import { randomUUID } from 'node:crypto'
import AjvCompiler from '@fastify/ajv-compiler'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import type { Registry } from 'prom-client'
import type { BaseConfig } from './config.js'
import { installErrorHandling } from './errors.js'
import { installMetrics } from './metrics.js'
import { installHealthRoutes, ReadinessRegistry } from './readiness.js'
import { TrustedProxy } from './trusted-proxy.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Where app plugins register the dependencies /readyz checks. */
    readiness: ReadinessRegistry
    /** The service's Prometheus registry, for app-specific metrics. */
    metricsRegistry: Registry
  }
}

export interface ServiceOptions {
  name: string
  version: string
  config: BaseConfig
}

export async function createService({ name, version, config }: ServiceOptions) {
  const proxy = new TrustedProxy(config.TRUSTED_PROXY)
  const app = Fastify({
    // request.ip is the client's address (logs, rate limits) only when nginx says so.
    trustProxy: (address, hop) => proxy.trusts(address, hop),
    logger: { level: config.LOG_LEVEL, base: { service: name, version } },
    // nginx forwards its $request_id, so one id follows a request across services.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: config.BODY_LIMIT_BYTES,
    schemaController: { compilersFactory: { buildValidator } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  installErrorHandling(app)
  app.addHook('onRequest', async (request) => proxy.refreshFor(request.socket.remoteAddress))
  // Keep-alive clients would otherwise hold the server open after their in-flight request
  // finishes during shutdown; `connection: close` ends each socket with its last response.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    if (closing) reply.header('connection', 'close')
  })

  // 3.1: its schemas are JSON Schema 2020-12, the dialect TypeBox writes (exclusiveMinimum: 0).
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: name, version } } })
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger())

  const readiness = new ReadinessRegistry(config.READINESS_TIMEOUT_MS)
  app.decorate('readiness', readiness)
  app.decorate('metricsRegistry', installMetrics(app, name))
  installHealthRoutes(app, readiness)
  return app
}

const compilersFromPool = AjvCompiler()
const ajvDefaults = { useDefaults: true, removeAdditional: false } as const

/**
 * Query strings, params and headers arrive as text and are coerced to their schema's types.
 * Bodies are JSON and are checked as sent: coercion would let `[[null]]` pass as `string[]`
 * (rewritten to `[[""]]`) and a null become "", reaching handlers as what nobody sent.
 */
const buildValidator: AjvCompiler.BuildCompilerFromPool = (externalSchemas) => {
  const coercing = compilersFromPool(externalSchemas, {
    customOptions: { ...ajvDefaults, coerceTypes: 'array' },
  })
  const exact = compilersFromPool(externalSchemas, {
    customOptions: { ...ajvDefaults, coerceTypes: false },
  })
  // Typed as Ajv's compile(schema); Fastify calls it with the route ({ schema, httpPart, … }).
  const select = (route: { httpPart?: string }) =>
    (route.httpPart === 'body' ? exact : coercing)(route as never)
  return select as unknown as ReturnType<AjvCompiler.BuildCompilerFromPool>
}

export type Service = Awaited<ReturnType<typeof createService>>
