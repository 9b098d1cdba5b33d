import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isDockerAvailable, isPortOpen } from '@flotilla/testkit'
import pg from 'pg'
import { startPostgres } from '../src/postgres/test-server.js'
import { pingRedis } from '../src/redis/test-ping.js'
import { startRedis } from '../src/redis/test-server.js'

const dockerAvailable = await isDockerAvailable()

describe('the Docker backend', { skip: dockerAvailable ? false : '`docker info` fails' }, () => {
  it('runs postgres:17 with the generated password and removes it on stop', async () => {
    const server = await startPostgres({ env: {}, backend: 'docker' })
    try {
      assert.equal(server.source, 'docker')
      const client = new pg.Client({ connectionString: server.url })
      await client.connect()
      const { rows } = await client.query('SELECT 1 AS one')
      await client.end()
      assert.equal(rows[0].one, 1)
    } finally {
      await server.stop()
    }
    assert.equal(await isPortOpen(server.port), false)
  })

  it('runs redis:7 that requires the password and removes it on stop', async () => {
    const server = await startRedis({ env: {}, backend: 'docker' })
    try {
      assert.equal(server.source, 'docker')
      await pingRedis(server.host, server.port, server.password)
      await assert.rejects(pingRedis(server.host, server.port, 'wrong'), /WRONGPASS/)
    } finally {
      await server.stop()
    }
    assert.equal(await isPortOpen(server.port), false)
  })
})
