/**
 * How the data clients' real failures are classified: a store whose name does not resolve
 * (its container stopped, so Docker's DNS forgets it) is unavailable (503), like one that
 * refuses connections; a value PostgreSQL refuses is the caller's fault (400).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { AppError, isDependencyUnavailable, refusedValue } from '@flotilla/service'
import pg from 'pg'
import { createRedis, DataUnavailableError, openPostgres, query } from '../src/index.js'
import { createDatabase, type PostgresServer, startPostgres } from '../src/postgres/test-server.js'

const unresolvable = 'postgres://app:secret@postgres.invalid:5432/app'
const fastRetry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 }

describe('PostgreSQL', () => {
  let server: PostgresServer
  let databaseUrl: string
  before(async () => {
    server = await startPostgres()
    databaseUrl = await createDatabase(server.url, 'failures')
  })
  after(() => server.stop())

  test('a host that does not resolve is retried, then a 503 AppError', async () => {
    const failure = await openPostgres({ url: unresolvable }, () => {}, fastRetry).then(
      () => assert.fail('opened a pool on a name that does not resolve'),
      (error: unknown) => error,
    )
    assert.ok(failure instanceof DataUnavailableError)
    assert.ok(failure instanceof AppError, 'the service kit answers it as it is')
    assert.equal(failure.statusCode, 503)
    assert.equal(failure.code, 'DEPENDENCY_UNAVAILABLE')
    assert.match(failure.message, /^postgres is unavailable: .*(ENOTFOUND|EAI_AGAIN)/)
  })

  test('a query whose connection cannot resolve the host is a 503, not a 500', async () => {
    const pool = new pg.Pool({ connectionString: unresolvable, connectionTimeoutMillis: 2_000 })
    try {
      const raw = await pool.query('SELECT 1').catch((error: unknown) => error)
      assert.ok(isDependencyUnavailable(raw), `classified: ${(raw as Error).message}`)
      await assert.rejects(query(pool, 'SELECT 1'), (error: unknown) => {
        assert.ok(error instanceof AppError)
        assert.equal(error.statusCode, 503)
        assert.equal(error.message, 'postgres is unavailable')
        return true
      })
    } finally {
      await pool.end()
    }
  })

  test('a NUL in text is a refused value (400), not an outage', async () => {
    const pool = await openPostgres({ url: databaseUrl }, () => {})
    try {
      for (const [sql, value] of [
        ['SELECT $1::text', 'a\u0000b'],
        ['SELECT $1::jsonb', JSON.stringify({ text: 'a\u0000b' })],
      ] as const) {
        const error = await query(pool, sql, [value]).catch((caught: unknown) => caught)
        assert.ok(error instanceof Error, `${sql} refuses a NUL`)
        assert.equal(isDependencyUnavailable(error), false)
        assert.match(refusedValue(error) ?? '', /NUL/)
      }
      const other = await query(pool, 'SELECT $1::int', ['99999999999']).catch((e: unknown) => e)
      assert.match(refusedValue(other) ?? '', /out of range/)
      const syntax = await query(pool, 'SELEC 1').catch((e: unknown) => e)
      assert.equal(refusedValue(syntax), undefined, 'a bug in the SQL stays a 500')
      assert.equal(isDependencyUnavailable(syntax), false)
    } finally {
      await pool.end()
    }
  })
})

describe('Redis', () => {
  test('a command while the host does not resolve fails as unavailable, whatever the queueing', async () => {
    for (const options of [
      { enableOfflineQueue: false },
      { enableOfflineQueue: true, maxRetriesPerRequest: 1 },
    ]) {
      const redis = createRedis({
        url: 'redis://app:secret@redis.invalid:6379/0',
        keyPrefix: 'app:',
        options: { ...options, retryStrategy: () => 50 },
      })
      redis.on('error', () => {})
      redis.connect().catch(() => {})
      try {
        const error = await redis.get('key').catch((caught: unknown) => caught)
        assert.ok(error instanceof Error)
        assert.ok(isDependencyUnavailable(error), `classified: ${error.message}`)
      } finally {
        redis.disconnect()
      }
    }
  })
})
