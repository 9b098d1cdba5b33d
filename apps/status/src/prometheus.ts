import { parsePrometheusText, type Sample } from './prometheus-text.js'

/** One cumulative histogram bucket: requests that took at most `le` seconds. */
export interface Bucket {
  le: number
  count: number
}

/** What the status page needs from one scrape of a flotilla service's /metrics. */
export interface MetricsSample {
  startTimeSeconds: number | null
  residentMemoryBytes: number | null
  /**
   * Requests to the app's own routes; health, metrics and docs probes are left out.
   * `serverErrors` counts those answered 5xx.
   */
  requests: { count: number; serverErrors: number; buckets: Bucket[] }
}

/** Routes hit by this page, Docker healthchecks and scrapers rather than by users. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/docs/json',
])

const DURATION = 'http_request_duration_seconds'

export function parseMetrics(text: string): MetricsSample {
  const samples = parsePrometheusText(text)
  const first = (name: string) => samples.find((sample) => sample.name === name)?.value ?? null
  const userSamples = (name: string) =>
    samples.filter((sample) => sample.name === name && !PROBE_ROUTES.has(sample.labels.route ?? ''))
  const counts = userSamples(`${DURATION}_count`)
  return {
    startTimeSeconds: first('process_start_time_seconds'),
    residentMemoryBytes: first('process_resident_memory_bytes'),
    requests: {
      count: sum(counts),
      serverErrors: sum(counts.filter((sample) => sample.labels.status_code?.startsWith('5'))),
      buckets: mergeBuckets(userSamples(`${DURATION}_bucket`)),
    },
  }
}

function sum(samples: Sample[]): number {
  return samples.reduce((total, sample) => total + sample.value, 0)
}

/** Adds up the buckets of every label set (route, method, status) bound by bound. */
function mergeBuckets(samples: Sample[]): Bucket[] {
  const byBound = new Map<number, number>()
  for (const sample of samples) {
    const le = sample.labels.le
    if (le === undefined) throw new Error(`${sample.name} sample without an le label`)
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
    if (Number.isNaN(bound)) throw new Error(`histogram bucket bound is not a number: le="${le}"`)
    byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value)
  }
  return [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le)
}
