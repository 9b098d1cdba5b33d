import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { isPortOpen } from '@flotilla/testkit'
import pg from 'pg'
import {
  createDatabase,
  dropDatabase,
  type PostgresServer,
  startPostgres,
} from '../../src/postgres/test-server.js'

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  try {
    await client.connect()
    return await client.query(sql)
  } finally {
    await client.end()
  }
}

describe('startPostgres from the machine binaries', () => {
  let server: PostgresServer

  before(async () => {
    // An empty env: start a fresh server even when the run already exported TEST_POSTGRES_URL.
    server = await startPostgres({ env: {} })
  })
  after(() => server.stop())

  it('serves queries as the superuser on a loopback port', async () => {
    assert.equal(server.source, 'binaries')
    assert.equal(server.host, '127.0.0.1')
    assert.equal(server.user, 'postgres')
    const { rows } = await query(server.url, 'SELECT current_user AS who, 6 * 7 AS answer')
    assert.deepEqual(rows, [{ who: 'postgres', answer: 42 }])
  })

  it('uses scram-sha-256 and rejects a wrong or missing password', async () => {
    const { rows } = await query(server.url, "SELECT current_setting('password_encryption') AS e")
    assert.equal(rows[0].e, 'scram-sha-256')
    const wrong = new URL(server.url)
    wrong.password = 'not-the-password'
    await assert.rejects(query(wrong.toString(), 'SELECT 1'), { code: '28P01' })
    const none = new URL(server.url)
    none.password = ''
    await assert.rejects(query(none.toString(), 'SELECT 1'))
  })

  it('accepts no one through the unix socket without the password', async () => {
    const socket = `postgres://postgres@/postgres?host=${encodeURIComponent(server.tempDir ?? '')}&port=${server.port}&password=wrong`
    await assert.rejects(query(socket, 'SELECT 1'), { code: '28P01' })
  })

  it('creates uniquely named databases and drops them', async () => {
    const [first, second] = await Promise.all([
      createDatabase(server.url, 'notes_test'),
      createDatabase(server.url, 'notes_test'),
    ])
    assert.notEqual(first, second)
    const { rows } = await query(first, 'SELECT current_database() AS db')
    assert.match(rows[0].db, /^notes_test_[0-9a-f]{12}$/)
    assert.equal(new URL(first).password, server.password)

    await dropDatabase(server.url, first)
    await dropDatabase(server.url, second)
    const left = await query(
      server.url,
      "SELECT datname FROM pg_database WHERE datname LIKE 'notes_test_%'",
    )
    assert.equal(left.rowCount, 0)
  })

  it('refuses a database prefix that is not a plain identifier', async () => {
    await assert.rejects(createDatabase(server.url, 'Bad"Name'), /prefix "Bad"Name"/)
  })

  it('hands back the server named by TEST_POSTGRES_URL without starting another', async () => {
    const fromEnv = await startPostgres({ env: { TEST_POSTGRES_URL: server.url } })
    assert.equal(fromEnv.source, 'env')
    assert.equal(fromEnv.port, server.port)
    assert.equal(fromEnv.password, server.password)
    await fromEnv.stop()
    const { rows } = await query(fromEnv.url, 'SELECT 1 AS one')
    assert.equal(rows[0].one, 1, 'stop() of an env server must leave it running')
  })

  it('names the variable when TEST_POSTGRES_URL is not a postgres URL', async () => {
    await assert.rejects(
      startPostgres({ env: { TEST_POSTGRES_URL: 'redis://localhost' } }),
      /TEST_POSTGRES_URL must start with postgres:\/\//,
    )
  })
})

describe('stopping PostgreSQL', () => {
  it('closes the port and deletes the temp dir', async () => {
    const server = await startPostgres({ env: {} })
    assert.ok(server.tempDir && existsSync(server.tempDir))
    assert.equal(await isPortOpen(server.port), true)
    await server.stop()
    assert.equal(await isPortOpen(server.port), false)
    assert.equal(existsSync(server.tempDir), false)
    await server.stop()
  })
})
