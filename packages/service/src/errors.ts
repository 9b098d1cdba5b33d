import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from 'typebox'

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
  ) {
    super(message)
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
  const status = error.statusCode ?? 500
  if (status >= 500) {
    return { status, code: 'INTERNAL_ERROR', message: 'internal server error' }
  }
  return { status, code: codeByStatus[status] ?? 'BAD_REQUEST', message: error.message }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.addSchema(ErrorBody)

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const { status, code, message } = describe(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    if (error instanceof AppError) reply.headers(error.headers)
    return reply.status(status).send({ error: { code, message } })
  })

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `route ${request.method} ${request.url} not found` },
    }),
  )
}
