import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { METRICS_JSON_PATH } from '@flotilla/service'
import { readMetrics } from '../src/metrics.js'
import { bucketDelta, histogramQuantile, windowStats } from '../src/window.js'
import { type FleetMember, startMember } from './helpers.js'

async function scrape(member: FleetMember) {
  const response = await fetch(`${member.url}${METRICS_JSON_PATH}`)
  assert.equal(response.status, 200)
  return { at: Date.now(), sample: readMetrics(await response.json()) }
}

async function work(member: FleetMember, times: number, ms: number) {
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${member.url}/work?ms=${ms}`)
    assert.equal(response.status, 200)
  }
}

describe('metrics of a real @flotilla/service', () => {
  let member: FleetMember
  before(async () => {
    member = await startMember('metered')
  })
  after(() => member.close())

  it('reads start time, resident memory and user requests, leaving the probes out', async () => {
    await work(member, 3, 0)
    await fetch(`${member.url}/readyz`)
    await fetch(`${member.url}/healthz`)
    await fetch(`${member.url}/nowhere`) // a 404 is a user request too
    const { sample } = await scrape(member)

    assert.ok(sample.startTimeSeconds !== null)
    assert.ok(Math.abs(sample.startTimeSeconds - (Date.now() / 1000 - process.uptime())) < 5)
    assert.ok(sample.residentMemoryBytes !== null && sample.residentMemoryBytes > 10 * 1024 ** 2)
    assert.equal(sample.requests.count, 4)
    const inf = sample.requests.buckets.at(-1)
    assert.deepEqual(inf, { le: Number.POSITIVE_INFINITY, count: 4 })
    const counts = sample.requests.buckets.map((bucket) => bucket.count)
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => a - b),
      'buckets are cumulative',
    )
  })

  it('turns two scrapes into a request rate and a p95 from the bucket deltas', async () => {
    await work(member, 5, 0) // before the window: must not count
    const older = await scrape(member)
    await work(member, 19, 0)
    await work(member, 1, 1_000)
    const newer = await scrape(member)

    const stats = windowStats({ ...older, at: 0 }, { ...newer, at: 10_000 })
    assert.equal(stats.requestsPerSecond, 2) // 20 requests in 10 s
    // 19 of 20 answer at once; rank 19 (0.95 × 20) lands among them, far below the one-second
    // request, which only a p100 reaches. The margin leaves room for a loaded machine.
    assert.ok(stats.p95Seconds !== null && stats.p95Seconds <= 0.5, `p95 ${stats.p95Seconds}`)
    const slowest = histogramQuantile(
      1,
      bucketDelta(older.sample.requests.buckets, newer.sample.requests.buckets),
    )
    assert.ok(slowest !== null && slowest >= 1, `p100 ${slowest}`)
  })

  it('gives no rate across a restart instead of a negative one', async () => {
    const sample = (await scrape(member)).sample
    const restarted = { ...sample, startTimeSeconds: (sample.startTimeSeconds ?? 0) + 60 }
    const stats = windowStats({ at: 0, sample }, { at: 5000, sample: restarted })
    assert.deepEqual(stats, {
      requestsPerSecond: null,
      p50Seconds: null,
      p95Seconds: null,
      serverErrorRatio: null,
    })
  })
})

/** The kit's JSON for one histogram series per entry of `values`, and nothing else. */
function durationJson(values: unknown[]) {
  return [{ name: 'http_request_duration_seconds', type: 'histogram', help: '', values }]
}

describe('readMetrics on bad input', () => {
  it('names a bucket bound that is not a number', () => {
    const json = durationJson([
      {
        metricName: 'http_request_duration_seconds_bucket',
        labels: { le: 'soon', route: '/a' },
        value: 1,
      },
      {
        metricName: 'http_request_duration_seconds_bucket',
        labels: { le: '+Inf', route: '/a' },
        value: 1,
      },
      { metricName: 'http_request_duration_seconds_count', labels: { route: '/a' }, value: 1 },
    ])
    assert.throws(() => readMetrics(json), /le="soon"/)
  })

  it('refuses a request count without a value rather than counting it as none', () => {
    const json = durationJson([
      { metricName: 'http_request_duration_seconds_count', labels: { route: '/a' }, value: null },
    ])
    assert.throws(() => readMetrics(json), /http_request_duration_seconds_count without a value/)
  })

  it("refuses what is not the kit's JSON metrics, naming where", () => {
    assert.throws(() => readMetrics('up 1\n'), /not the kit's JSON metrics/)
    assert.throws(() => readMetrics({ metrics: [] }), /not the kit's JSON metrics/)
    assert.throws(
      () => readMetrics(durationJson([{ labels: { route: '/a' }, value: '3' }])),
      /not the kit's JSON metrics: \/0\/values\/0\/value/,
    )
  })

  it('leaves what a read lacks as null, and a NaN gauge (null in JSON) too', () => {
    const sample = readMetrics([
      { name: 'up', type: 'gauge', help: '', values: [{ value: 1, labels: {} }] },
      {
        name: 'process_resident_memory_bytes',
        type: 'gauge',
        help: '',
        values: [{ value: null, labels: {} }],
      },
    ])
    assert.deepEqual(sample, {
      startTimeSeconds: null,
      residentMemoryBytes: null,
      requests: { count: 0, serverErrors: 0, buckets: [] },
    })
  })
})
