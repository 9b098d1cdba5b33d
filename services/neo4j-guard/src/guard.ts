import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import {
  boltOperations,
  GraphInputError,
  type GraphOperations,
  GUARD_ROUTES,
  type GuardBody,
  type GuardResponse,
  type GuardRoutes,
  verifyNeo4jGuardToken,
} from '@flotilla/data'
import { AppError, createService, ErrorBody, type Service } from '@flotilla/service'
import { bearerToken } from '@flotilla/stack'
import type { FastifyRequest } from 'fastify'
import neo4j, { Neo4jError } from 'neo4j-driver'
import type { GuardConfig } from './config.js'

/** The app a request is for and its label: its token's claims, never the request's content. */
interface Caller {
  app: string
  label: string
  ops: GraphOperations
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null
  }
}

type Handlers = {
  [K in keyof GuardRoutes]: (caller: Caller, body: GuardBody<K>) => Promise<GuardResponse<K>>
}

/** Each route is one AppGraph primitive on the caller's label; nothing else reaches Neo4j. */
const handlers: Handlers = {
  ready: async ({ app, label, ops }) => {
    await ops.ready()
    return { app, label }
  },
  upsertNode: async ({ ops }, { id, props }) => ({ node: await ops.upsertNode(id, props ?? {}) }),
  getNode: async ({ ops }, { id }) => ({ node: (await ops.getNode(id)) ?? null }),
  deleteNode: async ({ ops }, { id }) => ({ deleted: await ops.deleteNode(id) }),
  countNodes: async ({ ops }) => ({ count: await ops.count() }),
  link: async ({ ops }, { from, to, type, props }) => ({
    linked: await ops.link(from, to, type, props ?? {}),
  }),
  unlink: async ({ ops }, { from, to, type }) => ({ unlinked: await ops.unlink(from, to, type) }),
  countLinks: async ({ ops }) => ({ count: await ops.countLinks() }),
  neighbours: async ({ ops }, { id, ...options }) => ({ nodes: await ops.neighbours(id, options) }),
  exportNodes: async ({ ops }, { after, pageSize }) => ({
    nodes: (await ops.nodePage(after, pageSize)).map(({ id, props }) => ({ id, props })),
  }),
  exportLinks: async ({ ops }, { after, pageSize }) => ({
    links: (await ops.linkPage(after, pageSize)).map(({ from, type, to, props }) => ({
      from,
      type,
      to,
      props,
    })),
  }),
  importNodes: async ({ ops }, { nodes }) => ({ imported: await ops.writeNodes(nodes) }),
  importLinks: async ({ ops }, { type, links }) => ({ linked: await ops.writeLinks(type, links) }),
  clear: async ({ ops }, { batchSize }) => ({ deleted: await ops.clearBatch(batchSize) }),
}

const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  503: ErrorBody,
}

const neo4jUnavailable = () =>
  new AppError(503, 'DEPENDENCY_UNAVAILABLE', 'neo4j is unavailable', { 'retry-after': '5' })

/** Caller mistakes are 4xx, Neo4j being away is 503; anything else stays a 500 (a bug). */
function httpError(error: unknown, request: FastifyRequest): unknown {
  if (error instanceof GraphInputError) {
    return new AppError(400, 'INVALID_INPUT', error.message.replace(/^neo4j: /, ''))
  }
  if (!(error instanceof Neo4jError)) return error
  const { code } = error
  if (code === neo4j.error.SERVICE_UNAVAILABLE || code === neo4j.error.SESSION_EXPIRED) {
    return neo4jUnavailable()
  }
  if (code.startsWith('Neo.TransientError.') || code.startsWith('Neo.ClientError.Security.')) {
    // Security: the guard's own login failed or is rate-limited, not the caller's doing.
    request.log.warn({ err: error }, 'neo4j refused the guard')
    return neo4jUnavailable()
  }
  if (code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
    return new AppError(409, 'CONFLICT', 'the change conflicts with an existing node')
  }
  if (code.startsWith('Neo.ClientError.')) {
    request.log.info({ err: error }, 'neo4j refused a statement')
    return new AppError(400, 'NEO4J_REFUSED', `neo4j refused the statement (${code})`)
  }
  return error
}

/**
 * The only holder of Neo4j's (admin) credentials. An app's token names the app and its label
 * (signed claims the provisioner wrote); the guard runs graphQueries' statements for that
 * label only. There is no route that takes Cypher, a label or a database.
 */
export async function buildGuard(config: GuardConfig): Promise<Service> {
  const service = await createService({ name: 'neo4j-guard', version: '0.1.0', config })
  const driver = neo4j.driver(
    config.NEO4J_URL,
    neo4j.auth.basic(config.NEO4J_USER, config.NEO4J_PASSWORD),
    {
      disableLosslessIntegers: true,
      // Fail fast while Neo4j is away: callers get 503 and retry, not a minute-long hang.
      connectionTimeout: 5_000,
      connectionAcquisitionTimeout: 10_000,
      maxTransactionRetryTime: 2_000,
    },
  )
  service.addHook('onClose', () => driver.close())
  service.readiness.add({
    name: 'neo4j',
    required: true,
    check: async () => {
      await driver.verifyConnectivity()
      await driver.executeQuery('RETURN 1 AS ok')
    },
  })

  // Apps are few and only the secret's holder can mint a token, so this stays small.
  const callers = new Map<string, Caller>()
  const callerFor = (app: string, label: string): Caller => {
    const key = `${app}:${label}`
    let caller = callers.get(key)
    if (!caller) {
      const ops = boltOperations(driver, label, { timeoutMs: config.NEO4J_TIMEOUT_MS })
      caller = { app, label, ops }
      callers.set(key, caller)
    }
    return caller
  }

  await service.register(async (api) => {
    // Bodies exactly as sent: no coercion of a number into an id or a string into a depth.
    api.setValidatorCompiler(TypeBoxValidatorCompiler)
    api.decorateRequest('caller', null)
    api.addHook('onRequest', async (request) => {
      const token = bearerToken(request.headers.authorization)
      if (token === undefined) {
        throw new AppError(401, 'UNAUTHORIZED', 'missing token (Authorization: Bearer <token>)')
      }
      const claims = await verifyNeo4jGuardToken(token, config.NEO4J_GUARD_SECRET)
      if (claims === undefined) throw new AppError(401, 'UNAUTHORIZED', 'invalid token')
      request.caller = callerFor(claims.app, claims.label)
    })
    api.setErrorHandler(async (error, request) => {
      throw httpError(error, request)
    })

    const operationLimit = Math.min(config.OPERATION_BODY_LIMIT_BYTES, config.BODY_LIMIT_BYTES)
    for (const [name, route] of Object.entries(GUARD_ROUTES)) {
      const handle = handlers[name as keyof GuardRoutes] as (
        caller: Caller,
        body: unknown,
      ) => Promise<unknown>
      api.route({
        method: route.method,
        url: route.path,
        bodyLimit: name.startsWith('import') ? config.BODY_LIMIT_BYTES : operationLimit,
        schema: {
          tags: ['graph'],
          ...('body' in route ? { body: route.body } : {}),
          response: { 200: route.response, ...errorResponses },
        },
        handler: (request) => handle(request.caller as Caller, request.body),
      })
    }
  })
  return service
}
