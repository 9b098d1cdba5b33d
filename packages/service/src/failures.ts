/**
 * What a failed call to a store or another service says about the request: the one place
 * that decides, so every route of every app answers a lost dependency with 503 and a value a
 * store cannot hold with 400, whichever client threw and however it was called.
 */

/** Node's network errors: the dependency is away (its container stopped, its name gone). */
const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
])

/**
 * PostgreSQL's SQLSTATEs for a server that is away or refusing work for now: class 08
 * (connection exception), shutting down or starting (57P01-57P03), out of connections.
 */
const isUnavailableSqlState = (code: string): boolean =>
  code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)

/** Client-side failures that carry no code: pg's and ioredis's words for a lost server. */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed\.|Stream isn't writeable|Reached the max retries per request)/

/** The error and what caused it, including every attempt of an AggregateError (IPv4 and IPv6). */
function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (error === null || error === undefined || depth > 8) return
  yield error
  if (error instanceof AggregateError) {
    for (const inner of error.errors) yield* chain(inner, depth + 1)
  }
  if (error instanceof Error) yield* chain(error.cause, depth + 1)
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** True when the failure is a dependency being away, not the request or the code being wrong. */
export function isDependencyUnavailable(error: unknown): boolean {
  for (const link of chain(error)) {
    const code = codeOf(link)
    if (code && (NETWORK_CODES.has(code) || (isSqlState(link) && isUnavailableSqlState(code))))
      return true
    if (link instanceof Error && UNAVAILABLE_MESSAGE.test(link.message)) return true
  }
  return false
}

/** A PostgreSQL server error (pg's DatabaseError): a five-character SQLSTATE and a severity. */
function isSqlState(error: unknown): boolean {
  const code = codeOf(error)
  return (
    code !== undefined &&
    /^[0-9A-Z]{5}$/.test(code) &&
    typeof (error as { severity?: unknown }).severity === 'string'
  )
}

/**
 * PostgreSQL refused a value the request carried (SQLSTATE class 22, data exception): a NUL
 * character in text, invalid UTF-8, a number out of range. The caller's input, so a 400.
 */
export function refusedValue(error: unknown): string | undefined {
  for (const link of chain(error)) {
    const code = codeOf(link)
    if (!code || !isSqlState(link) || !code.startsWith('22')) continue
    // 22021: invalid byte sequence (a NUL is one); 22P05: untranslatable character (\u0000 in JSON).
    return code === '22021' || code === '22P05'
      ? 'text must not contain NUL characters (\\u0000) or invalid UTF-8'
      : `a value cannot be stored: ${(link as Error).message}`
  }
  return undefined
}
