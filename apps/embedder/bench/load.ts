import { Pool } from 'undici'

export interface LoadResult {
  requests: number
  failures: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/**
 * `concurrency` closed-loop clients, each sending its next request as soon as the last one
 * is answered, for `durationMs`; `body(i)` gives the i-th request body.
 */
export async function runLoad(options: {
  origin: string
  path: string
  concurrency: number
  durationMs: number
  body: (i: number) => object
}): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.concurrency })
  const latencies: number[] = []
  let failures = 0
  let next = 0
  const started = performance.now()
  const deadline = started + options.durationMs
  const client = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now()
      const response = await pool.request({
        method: 'POST',
        path: options.path,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(options.body(next++)),
      })
      await response.body.arrayBuffer()
      if (response.statusCode === 200) latencies.push(performance.now() - sent)
      else failures++
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, client))
  const seconds = (performance.now() - started) / 1000
  await pool.close()
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    failures,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  }
}
