import type { Bucket, MetricsSample } from './metrics.js'

/** A scrape and when it was taken (ms since the epoch). */
export interface TimedSample {
  at: number
  sample: MetricsSample
}

export interface WindowStats {
  requestsPerSecond: number | null
  p50Seconds: number | null
  p95Seconds: number | null
  /** Share of the window's requests answered 5xx (0…1); null without requests. */
  serverErrorRatio: number | null
}

const NO_STATS: WindowStats = {
  requestsPerSecond: null,
  p50Seconds: null,
  p95Seconds: null,
  serverErrorRatio: null,
}

/**
 * Request rate and p95 latency between two scrapes of the same process. Counters only grow
 * within a process, so a restart in between (start time moved, or counts fell) gives nulls
 * rather than a negative rate.
 */
export function windowStats(older: TimedSample, newer: TimedSample): WindowStats {
  const seconds = (newer.at - older.at) / 1000
  const restarted =
    older.sample.startTimeSeconds !== newer.sample.startTimeSeconds ||
    newer.sample.requests.count < older.sample.requests.count
  if (seconds <= 0 || restarted) return NO_STATS
  const requests = newer.sample.requests.count - older.sample.requests.count
  const serverErrors = newer.sample.requests.serverErrors - older.sample.requests.serverErrors
  const buckets = bucketDelta(older.sample.requests.buckets, newer.sample.requests.buckets)
  return {
    requestsPerSecond: requests / seconds,
    p50Seconds: histogramQuantile(0.5, buckets),
    p95Seconds: histogramQuantile(0.95, buckets),
    serverErrorRatio: requests > 0 ? Math.max(0, serverErrors) / requests : null,
  }
}

/** Requests per bucket that arrived between two scrapes; a bound the older one lacks counts from 0. */
export function bucketDelta(older: readonly Bucket[], newer: readonly Bucket[]): Bucket[] {
  const before = new Map(older.map((bucket) => [bucket.le, bucket.count]))
  return newer.map(({ le, count }) => ({ le, count: count - (before.get(le) ?? 0) }))
}

/**
 * Prometheus' histogram_quantile: find the bucket holding the q-th request and interpolate
 * linearly inside it (the first bucket starts at 0). A quantile that falls in the +Inf bucket
 * is reported as the highest finite bound, since nothing more is known. Null with no requests.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`)
  const sorted = [...buckets].sort((a, b) => a.le - b.le)
  const total = sorted.at(-1)?.count ?? 0
  if (total <= 0) return null
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const { le, count } of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lowerBound
      if (count === lowerCount) return le
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount)
    }
    lowerBound = le
    lowerCount = count
  }
  return lowerBound
}
