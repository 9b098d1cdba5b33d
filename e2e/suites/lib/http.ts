/** Requests through nginx as the suites make them: JSON in; status, content type and body out. */

/** A request with no answer by then counts as unanswered (status 0), never as acknowledged. */
const REQUEST_TIMEOUT_MS = 10_000

export interface Answer {
  /** 0: no answer (a network error or the timeout). */
  status: number
  contentType: string
  /** Parsed JSON, else the text (an empty body is null). */
  body: unknown
}

export type Call = (method: string, path: string, body?: unknown) => Promise<Answer>

export function caller(base: string, headers: Record<string, string> = {}): Call {
  return async (method, path, body) => {
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      const text = await response.text()
      let parsed: unknown = text
      try {
        parsed = text ? JSON.parse(text) : null
      } catch {}
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: parsed,
      }
    } catch (error) {
      return { status: 0, contentType: '', body: (error as Error).message }
    }
  }
}

export const ok = (answer: Answer) => answer.status >= 200 && answer.status < 300
