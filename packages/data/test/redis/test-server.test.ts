import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { isPortOpen } from '@flotilla/testkit'
import { Redis } from 'ioredis'
import { type RedisServer, startRedis } from '../../src/redis/test-server.js'

/** Commands on a fresh connection that neither retries nor queues. */
async function run<T>(options: string | object, command: (client: Redis) => Promise<T>) {
  const settings = {
    lazyConnect: true,
    // Without a password the ready check itself fails; let the command show Redis's answer.
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  }
  const client =
    typeof options === 'string'
      ? new Redis(options, settings)
      : new Redis({ ...settings, ...options })
  // ioredis reports the server's refusal as an 'error' event and rejects with a generic one.
  let refusal: Error | undefined
  client.on('error', (error) => {
    refusal ??= error
  })
  try {
    await client.connect()
    return await command(client)
  } catch (error) {
    throw refusal ?? error
  } finally {
    client.disconnect()
  }
}

describe('startRedis from the machine binary', () => {
  let server: RedisServer

  before(async () => {
    server = await startRedis({ env: {} })
  })
  after(() => server.stop())

  it('stores and returns values through its URL', async () => {
    assert.equal(server.source, 'binaries')
    assert.equal(server.host, '127.0.0.1')
    const value = await run(server.url, async (client) => {
      await client.set('greeting', 'hello')
      return client.get('greeting')
    })
    assert.equal(value, 'hello')
  })

  it('requires the password', async () => {
    const address = { host: server.host, port: server.port }
    await assert.rejects(
      run(address, (client) => client.ping()),
      /NOAUTH/,
    )
    await assert.rejects(
      run({ ...address, password: 'not-the-password' }, (client) => client.ping()),
      /WRONGPASS/,
    )
  })

  it('keeps nothing on disk', async () => {
    const config = await run(server.url, (client) => client.config('GET', 'save'))
    assert.deepEqual(config, ['save', ''])
  })

  it('hands back the server named by TEST_REDIS_URL without starting another', async () => {
    const fromEnv = await startRedis({ env: { TEST_REDIS_URL: server.url } })
    assert.equal(fromEnv.source, 'env')
    assert.equal(fromEnv.port, server.port)
    assert.equal(fromEnv.password, server.password)
    await fromEnv.stop()
    assert.equal(await run(fromEnv.url, (client) => client.ping()), 'PONG')
  })

  it('names the variable when TEST_REDIS_URL is not a URL', async () => {
    await assert.rejects(
      startRedis({ env: { TEST_REDIS_URL: 'localhost:6379' } }),
      /TEST_REDIS_URL must start with redis:\/\//,
    )
  })
})

describe('stopping Redis', () => {
  it('closes the port and deletes the temp dir', async () => {
    const server = await startRedis({ env: {} })
    assert.ok(server.tempDir && existsSync(server.tempDir))
    await server.stop()
    assert.equal(await isPortOpen(server.port), false)
    assert.equal(existsSync(server.tempDir), false)
  })
})
