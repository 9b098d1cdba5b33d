import { MetricsJson } from '@flotilla/service'
import Value from 'typebox/value'

/** One cumulative histogram bucket: requests that took at most `le` seconds. */
export interface Bucket {
  le: number
  count: number
}

/** What the status page needs from one read of a flotilla service's metrics. */
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

type Series = MetricsJson[number]['values'][number]

/** The sample in a service's JSON metrics (the kit's METRICS_JSON_PATH); throws on any other shape. */
export function readMetrics(json: unknown): MetricsSample {
  if (!Value.Check(MetricsJson, json)) {
    const [first] = Value.Errors(MetricsJson, json)
    throw new Error(`not the kit's JSON metrics: ${first?.instancePath || '/'} ${first?.message}`)
  }
  const gauge = (name: string) => json.find((metric) => metric.name === name)?.values[0]?.value
  const userSeries = (suffix: string) =>
    (json.find((metric) => metric.name === DURATION)?.values ?? []).filter(
      (series) =>
        series.metricName === `${DURATION}_${suffix}` &&
        !PROBE_ROUTES.has(String(series.labels.route ?? '')),
    )
  const counts = userSeries('count')
  return {
    startTimeSeconds: gauge('process_start_time_seconds') ?? null,
    residentMemoryBytes: gauge('process_resident_memory_bytes') ?? null,
    requests: {
      count: sum(counts),
      serverErrors: sum(
        counts.filter((series) => String(series.labels.status_code).startsWith('5')),
      ),
      buckets: mergeBuckets(userSeries('bucket')),
    },
  }
}

function countOf(series: Series): number {
  if (series.value === null) throw new Error(`${series.metricName} without a value`)
  return series.value
}

function sum(series: Series[]): number {
  return series.reduce((total, one) => total + countOf(one), 0)
}

/** Adds up the buckets of every label set (route, method, status) bound by bound. */
function mergeBuckets(series: Series[]): Bucket[] {
  const byBound = new Map<number, number>()
  for (const one of series) {
    const le = one.labels.le
    const bound =
      le === '+Inf' ? Number.POSITIVE_INFINITY : typeof le === 'number' ? le : Number.NaN
    if (Number.isNaN(bound))
      throw new Error(`histogram bucket bound is not a number: le=${JSON.stringify(le)}`)
    byBound.set(bound, (byBound.get(bound) ?? 0) + countOf(one))
  }
  return [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le)
}
