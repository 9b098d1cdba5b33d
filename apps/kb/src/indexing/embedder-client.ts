/** The embedder could not give vectors: unreachable, too slow, or answering with an error. */
export class EmbedderUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`embedder: ${message}`, options)
    this.name = 'EmbedderUnavailableError'
  }
}

export interface EmbedderClient {
  /** One unit-length vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>
  /** Resolves when the embedder says it is ready. */
  ready(signal?: AbortSignal): Promise<void>
}

const NOT_CONFIGURED = 'not configured (EMBEDDER_URL is not set)'

/** No embedder in the stack: every call fails as an embedder that is away would. */
export const noEmbedder: EmbedderClient = {
  async embed(texts) {
    if (texts.length === 0) return []
    throw new EmbedderUnavailableError(NOT_CONFIGURED)
  },
  async ready() {
    throw new EmbedderUnavailableError(NOT_CONFIGURED)
  },
}

/** The embedder's TEI-style API (`POST /embedder/embed`) over the internal network. */
export function embedderClient(baseUrl: string, timeoutMs: number): EmbedderClient {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
  const embedUrl = new URL('embedder/embed', base)
  const readyUrl = new URL('readyz', base)

  const call = async (url: URL, init: RequestInit, signal?: AbortSignal): Promise<Response> => {
    const timeout = AbortSignal.timeout(timeoutMs)
    try {
      return await fetch(url, {
        ...init,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      })
    } catch (error) {
      const reason = timeout.aborted
        ? `no answer within ${timeoutMs} ms`
        : ((error as Error).cause as Error | undefined)?.message || (error as Error).message
      throw new EmbedderUnavailableError(`${url.href}: ${reason}`, { cause: error })
    }
  }

  return {
    async embed(texts) {
      if (texts.length === 0) return []
      const response = await call(embedUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Documents may be longer than the model reads; the head of the text is what counts.
        body: JSON.stringify({ inputs: texts, truncate: true }),
      })
      const body = (await response.json().catch(() => undefined)) as unknown
      if (!response.ok) {
        const detail = (body as { error?: { message?: string } } | undefined)?.error?.message
        throw new EmbedderUnavailableError(`answered ${response.status}: ${detail ?? 'no detail'}`)
      }
      if (
        !Array.isArray(body) ||
        body.length !== texts.length ||
        !body.every((v) => Array.isArray(v) && v.length > 0 && v.every(Number.isFinite))
      ) {
        throw new EmbedderUnavailableError(`answered ${texts.length} texts with no valid vectors`)
      }
      return body as number[][]
    },
    async ready(signal) {
      const response = await call(readyUrl, {}, signal)
      await response.body?.cancel()
      if (!response.ok) throw new EmbedderUnavailableError(`/readyz answered ${response.status}`)
    },
  }
}
