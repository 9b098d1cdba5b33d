/** A bounded load through nginx while something runs, every response counted. */
export interface LoadResult {
  sent: number
  ok: number
  failed: number
  /** What failed: a status code or a network error's code, with how many times. */
  failures: Record<string, number>
  seconds: number
}

/**
 * GETs `paths` (in turn) at `ratePerSecond` until `during` settles, then waits for every request
 * still in flight. Keep the rate under nginx's per-client limit for those routes
 * (nginx/generated/limits.conf): one client over it gets 429s, which count as failures.
 */
export async function underLoad(
  base: string,
  paths: string[],
  ratePerSecond: number,
  during: () => Promise<unknown>,
): Promise<LoadResult> {
  const started = performance.now()
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, failures: {}, seconds: 0 }
  const fail = (reason: string) => {
    result.failed++
    result.failures[reason] = (result.failures[reason] ?? 0) + 1
  }
  const inFlight = new Set<Promise<void>>()
  const timer = setInterval(() => {
    const path = paths[result.sent % paths.length] ?? '/'
    result.sent++
    const request = fetch(`${base}${path}`, { signal: AbortSignal.timeout(30_000) })
      .then(async (response) => {
        await response.arrayBuffer()
        if (response.ok) result.ok++
        else fail(String(response.status))
      })
      .catch((error: Error & { cause?: { code?: string } }) =>
        fail(error.cause?.code ?? error.name),
      )
      .finally(() => inFlight.delete(request))
    inFlight.add(request)
  }, 1000 / ratePerSecond)
  try {
    await during()
  } finally {
    clearInterval(timer)
    await Promise.all(inFlight)
    result.seconds = Math.round((performance.now() - started) / 100) / 10
  }
  return result
}
