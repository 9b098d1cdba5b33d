import { setTimeout as sleep } from 'node:timers/promises'
import { AppError } from '@flotilla/service'

export interface RetryOptions {
  /** Tries in all, the first included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 2_000 }

/** Exponential backoff with full jitter, bounded: after the last try the last error is thrown. */
export async function withRetry<T>(
  what: string,
  attempt: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
  shouldRetry: (error: unknown) => boolean = () => true,
): Promise<T> {
  let lastError: unknown
  for (let tried = 1; tried <= options.attempts; tried++) {
    try {
      return await attempt()
    } catch (error) {
      if (!shouldRetry(error)) throw error
      lastError = error
      if (tried === options.attempts) break
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (tried - 1))
      await sleep(Math.random() * ceiling)
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError)
  throw new DataUnavailableError(what, message, lastError)
}

/** A store could not be reached (after retries): the app answers 503, not 500. */
export class DataUnavailableError extends AppError {
  constructor(
    readonly store: string,
    reason: string,
    cause?: unknown,
  ) {
    super(
      503,
      'DEPENDENCY_UNAVAILABLE',
      `${store} is unavailable: ${reason}`,
      { 'retry-after': '5' },
      { cause },
    )
    this.name = 'DataUnavailableError'
  }
}
