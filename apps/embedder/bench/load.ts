import { Pool } from 'undici'

export interface LoadResult {
  /** Requests answered 2xx. */
  requests: number
  /** Non-2xx answers, connection errors and timeouts. */
  failures: number
  /** What the first failure was, to print beside the count. */
  firstFailure?: string
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/**
 * `connections` closed-loop clients, each POSTing `body(i)` (the i-th request of the run) as
 * soon as its last one is answered, until `seconds` have passed; then each waits for the
 * answer it is owed, so no abandoned request keeps the server busy into the next measurement
 * (autocannon drops them at its deadline, and on a slow machine a 64-input request outlives
 * a whole measurement). Throughput counts every 2xx over the time until the last answer.
 */
export async function runLoad(options: {
  origin: string
  path: string
  connections: number
  seconds: number
  body: (i: number) => object
}): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.connections })
  const latencies: number[] = []
  let failures = 0
  let firstFailure: string | undefined
  const fail = (what: string) => {
    failures++
    firstFailure ??= what
  }
  let next = 0
  const started = performance.now()
  const deadline = started + options.seconds * 1000
  const client = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now()
      try {
        const response = await pool.request({
          method: 'POST',
          path: options.path,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(options.body(next++)),
          // A 64-input request to a saturated server takes seconds: only a hang is a failure.
          headersTimeout: 300_000,
          bodyTimeout: 300_000,
        })
        const answer = await response.body.text()
        if (response.statusCode >= 200 && response.statusCode < 300) {
          latencies.push(performance.now() - sent)
        } else fail(`${response.statusCode} ${answer.slice(0, 200)}`)
      } catch (error) {
        fail(String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: options.connections }, client))
  const seconds = (performance.now() - started) / 1000
  await pool.close()
  return {
    requests: latencies.length,
    failures,
    firstFailure,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  }
}

/**
 * GETs each of `paths` in turn, one at a time every `intervalMs`, until stopped: what an
 * orchestrator's health probe sees while the server is loaded. Non-2xx answers count as failures.
 */
export function startProbes(origin: string, paths: string[], intervalMs: number) {
  const latencies = new Map(paths.map((path) => [path, [] as number[]]))
  let failures = 0
  let running = true
  const loop = (async () => {
    while (running) {
      for (const [path, samples] of latencies) {
        const sent = performance.now()
        const response = await fetch(`${origin}${path}`).catch(() => undefined)
        await response?.arrayBuffer()
        if (response?.ok) samples.push(performance.now() - sent)
        else failures++
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { latencies, failures }
    },
  }
}
