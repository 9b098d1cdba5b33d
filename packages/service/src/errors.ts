import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { isDependencyUnavailable, refusedValue } from './failures.js'

/** The one error body every flotilla service answers with. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({ code: Type.String(), message: Type.String() }),
  },
  { $id: 'ErrorBody' },
)

/** An error whose status, code and message are safe to show to the caller. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** What went wrong underneath, for the log only: `cause` never reaches the caller. */
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'AppError'
  }
}

const codeByStatus: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
}

/** How long a caller should wait after a 503 for a store that is away (restarts take seconds). */
const RETRY_AFTER_SECONDS = '5'

function describe(error: FastifyError | AppError): {
  status: number
  code: string
  message: string
} {
  if (error instanceof AppError) {
    return { status: error.statusCode, code: error.code, message: error.message }
  }
  if ('validation' in error && error.validation) {
    return { status: 400, code: 'VALIDATION_ERROR', message: error.message }
  }
  // Fastify's own refusals (bad JSON, too large, wrong media type) keep their status.
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return {
      status: error.statusCode,
      code: codeByStatus[error.statusCode] ?? 'BAD_REQUEST',
      message: error.message,
    }
  }
  if (isDependencyUnavailable(error)) {
    return {
      status: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'a store or service this request needs is unavailable; retry later',
    }
  }
  const refused = refusedValue(error)
  if (refused) return { status: 400, code: 'INVALID_VALUE', message: refused }
  return {
    status: error.statusCode ?? 500,
    code: 'INTERNAL_ERROR',
    message: 'internal server error',
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.addSchema(ErrorBody)

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const { status, code, message } = describe(error)
    if (code === 'INVALID_VALUE') request.log.warn({ err: error }, 'a store refused a value')
    else if (status === 503) request.log.warn({ err: error }, 'a dependency is unavailable')
    else if (status >= 500) request.log.error({ err: error }, 'request failed')
    if (error instanceof AppError) reply.headers(error.headers)
    if (status === 503 && !reply.hasHeader('retry-after'))
      reply.header('retry-after', RETRY_AFTER_SECONDS)
    return reply.status(status).send({ error: { code, message } })
  })

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `route ${request.method} ${request.url} not found` },
    }),
  )
}
