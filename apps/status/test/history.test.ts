import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type OutageProxy, startOutageProxy } from '@flotilla/testkit'
import pg from 'pg'
import { HistoryStore, type TargetSample } from '../src/history/store.js'
import type { History } from '../src/history/types.js'
import type { StatusReport } from '../src/report.js'
import {
  type FleetMember,
  fleetApp,
  type StatusHarness,
  startMember,
  startStatus,
  type TestDatabase,
  testDatabase,
  waitFor,
} from './helpers.js'

async function history(status: StatusHarness, query = 'service=alpha&window=1h') {
  const response = await fetch(`${status.url}/api/history?${query}`)
  return { status: response.status, body: (await response.json()) as History }
}

const rounds = (body: History) =>
  body.series[0]?.points.reduce((total, point) => total + point.samples, 0) ?? 0

const silentLog = { info() {}, warn() {} }

describe('history in the status app’s own database', () => {
  let database: TestDatabase
  let alpha: FleetMember

  before(async () => {
    database = await testDatabase()
    alpha = await startMember('alpha')
  })
  after(async () => {
    await alpha?.close()
    await database?.close()
  })

  it('survives a restart of the status app', async () => {
    const env = { DATABASE_URL: database.url }
    const fleet = { apps: [fleetApp(alpha)], services: [] }
    const first = await startStatus(fleet, env)
    const before = await waitFor(
      () => history(first),
      (h) => h.status === 200 && rounds(h.body) >= 5,
      'five rounds recorded',
    )
    await first.close()
    const stoppedAt = Date.now()

    const second = await startStatus(fleet, env)
    try {
      const after = await waitFor(
        () => history(second),
        (h) => h.status === 200 && rounds(h.body) > rounds(before.body),
        'rounds of the second run added to the first',
      )
      const first = after.body.series[0]?.points[0]
      assert.ok(first && Date.parse(first.at) < stoppedAt, 'the oldest point predates the restart')
      assert.equal(after.body.window, '1h')
      assert.equal(after.body.bucketSeconds, 15)
    } finally {
      await second.close()
    }
  })

  it('answers bad queries with a 4xx in the error shape, and is in the OpenAPI document', async () => {
    const status = await startStatus(
      { apps: [fleetApp(alpha)], services: [] },
      { DATABASE_URL: database.url },
    )
    try {
      for (const [query, code] of [
        ['window=7d', 400],
        ['service=nobody', 404],
        ['service=al%00pha', 404],
        [`service=${'x'.repeat(100)}`, 400],
        ['extra=1', 400],
      ] as const) {
        const response = await fetch(`${status.url}/api/history?${query}`)
        assert.equal(response.status, code, query)
        const body = (await response.json()) as { error?: { code?: string; message?: string } }
        assert.equal(typeof body.error?.code, 'string', query)
        assert.equal(typeof body.error?.message, 'string', query)
      }
      const docs = (await (await fetch(`${status.url}/docs/json`)).json()) as {
        paths: Record<
          string,
          { get?: { parameters?: Array<{ name: string }>; responses?: object } }
        >
      }
      const historyDoc = docs.paths['/api/history']?.get
      assert.deepEqual(historyDoc?.parameters?.map((parameter) => parameter.name).sort(), [
        'service',
        'window',
      ])
      assert.deepEqual(Object.keys(historyDoc?.responses ?? {}), ['200', '400', '404', '503'])
      assert.ok(docs.paths['/api/alerts']?.get?.responses, '/api/alerts is documented')
    } finally {
      await status.close()
    }
  })
})

describe('while the history database is away', () => {
  let database: TestDatabase
  let proxy: OutageProxy
  let alpha: FleetMember
  let status: StatusHarness

  before(async () => {
    database = await testDatabase()
    proxy = await startOutageProxy({ host: database.host, port: database.port })
    alpha = await startMember('alpha')
    status = await startStatus(
      { apps: [fleetApp(alpha)], services: [] },
      { DATABASE_URL: proxy.wrap(database.url) },
    )
  })
  after(async () => {
    await status?.close()
    await alpha?.close()
    await proxy?.close()
    await database?.close()
  })

  it('keeps the live page, says degraded, and writes the held rounds when it is back', async () => {
    await waitFor(
      () => history(status),
      (h) => h.status === 200 && rounds(h.body) >= 2,
      'history recording',
    )
    await proxy.cut()
    const cutAt = new Date()
    const live = await waitFor(
      async () => (await (await fetch(`${status.url}/api/status`)).json()) as StatusReport,
      (r) => !r.historyAvailable,
      'history marked unavailable',
    )
    assert.equal(live.apps[0]?.status, 'up', 'probes go on')
    const readyz = await fetch(`${status.url}/readyz`)
    assert.equal(readyz.status, 200)
    const readiness = (await readyz.json()) as {
      status: string
      dependencies: Record<string, { status: string }>
    }
    assert.equal(readiness.status, 'degraded')
    assert.equal(readiness.dependencies.history?.status, 'down')
    const unavailable = await history(status)
    assert.equal(unavailable.status, 503)
    const page = await fetch(`${status.url}/`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /history database unreachable/)
    // Some rounds pass while it is away.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const restoredAt = new Date()
    await proxy.restore()
    await waitFor(
      async () => (await (await fetch(`${status.url}/api/status`)).json()) as StatusReport,
      (r) => r.historyAvailable,
      'history available again',
    )
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ held: number }>(
        'SELECT count(*)::int AS held FROM samples WHERE at > $1 AND at < $2',
        [cutAt, restoredAt],
      )
      assert.ok((rows[0]?.held ?? 0) >= 3, `rounds taken during the outage: ${rows[0]?.held}`)
    } finally {
      await client.end()
    }
  })
})

describe('compaction', () => {
  let database: TestDatabase
  let store: HistoryStore

  before(async () => {
    database = await testDatabase()
    store = new HistoryStore({
      databaseUrl: database.url,
      retentionHours: 48,
      reconnectMs: 200,
      log: silentLog,
    })
    store.start()
    await store.connected()
  })
  after(async () => {
    await store?.close()
    await database?.close()
  })

  const sample = (target: string, rps: number, status: TargetSample['status'] = 'up') => ({
    target,
    status,
    detail: status === 'down' ? 'connection refused' : null,
    requestsPerSecond: rps,
    p50Ms: 5,
    p95Ms: rps * 10,
    serverErrorRatio: 0,
    memoryBytes: 50e6,
    memoryLimitBytes: 128e6,
    restarts: 0,
    latencyMs: null,
  })

  it('rolls raw rounds older than two hours into 5-minute buckets and deletes expired ones', async () => {
    const now = new Date('2026-03-02T12:00:00Z')
    const threeHoursAgo = Date.parse('2026-03-02T09:00:00Z')
    await store.record({
      at: new Date(now.getTime() - 50 * 3600_000),
      samples: [sample('alpha', 9)],
    })
    for (let i = 0; i < 10; i++) {
      await store.record({
        at: new Date(threeHoursAgo + i * 5_000),
        samples: [sample('alpha', i < 5 ? 2 : 4, i === 9 ? 'down' : 'up')],
      })
    }
    await store.record({ at: new Date(now.getTime() - 60_000), samples: [sample('alpha', 1)] })
    await store.compact(now)

    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const raw = await client.query('SELECT at FROM samples')
      assert.equal(raw.rowCount, 1, 'only the recent round stays raw')
      const rollups = await client.query(
        'SELECT bucket, samples, down_samples, requests_per_second, p95_ms FROM rollups',
      )
      assert.deepEqual(rollups.rows, [
        {
          bucket: new Date(threeHoursAgo),
          samples: 10,
          down_samples: 1,
          requests_per_second: 3,
          p95_ms: 40,
        },
      ])
    } finally {
      await client.end()
    }
    const [series] = await store.read('24h', 'alpha', now)
    assert.deepEqual(
      series?.points.map((point) => [point.at, point.samples, point.requestsPerSecond]),
      [
        ['2026-03-02T09:00:00.000Z', 10, 3],
        ['2026-03-02T11:55:00.000Z', 1, 1],
      ],
    )
    assert.equal(series?.points[0]?.downRatio, 0.1)
    assert.deepEqual(
      series?.incidents.map((incident) => [incident.start, incident.end]),
      [['2026-03-02T09:00:45.000Z', '2026-03-02T11:59:00.000Z']],
    )
  })
})
