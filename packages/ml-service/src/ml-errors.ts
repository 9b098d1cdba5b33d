import { MlError, QueueFullError } from '@flotilla/ml'
import { AppError } from '@flotilla/service'

/** Turns a runtime error into the service's error shape: 503 + Retry-After, 413, or 500. */
export function toAppError(error: unknown): unknown {
  if (!(error instanceof MlError)) return error
  const headers: Record<string, string> =
    error instanceof QueueFullError ? { 'retry-after': String(error.retryAfterSeconds) } : {}
  return new AppError(error.statusCode, error.code.toUpperCase(), error.message, headers)
}
