import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { type RedisServer, startRedis } from '@flotilla/data/redis/test-server'
import { InputTooLongError } from '@flotilla/ml'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { type ModelRows, RowCache } from '../src/row-cache.js'

const log = Fastify().log
let server: RedisServer
let redis: Redis

before(async () => {
  server = await startRedis()
  redis = new Redis(server.url, { keyPrefix: `mlservice_${randomBytes(4).toString('hex')}:` })
})
after(async () => {
  redis.disconnect()
  await server.stop()
})

/** A stand-in model: one row [length, code of the first char] per text; records its calls. */
function model(truncated = (_: string) => false) {
  const calls: string[][] = []
  const compute = async (texts: string[]): Promise<ModelRows> => {
    calls.push(texts)
    return {
      rows: texts.map((text) => Float32Array.of(text.length, text.charCodeAt(0))),
      tokenCounts: texts.map((text) => text.length),
      truncated: texts.map(truncated),
    }
  }
  return { calls, compute }
}

// The cache writes without waiting; a later command on the same connection runs after them.
const settle = () => redis.ping()

test('computes each distinct miss once, then serves the same rows from Redis', async () => {
  const cache = new RowCache(redis, `m${randomBytes(4).toString('hex')}`, 60, log)
  const first = model()
  const computed = await cache.through(['ab', 'c', 'ab'], true, first.compute)
  assert.deepEqual(first.calls, [['ab', 'c']])
  await settle()

  const second = model()
  const cached = await cache.through(['c', 'ab'], true, second.compute)
  assert.deepEqual(second.calls, [])
  assert.deepEqual(cached.rows, [computed.rows[1], computed.rows[0]])
  assert.deepEqual(cached.tokenCounts, [1, 2])
})

test('with truncate off, a cached truncated row is a miss', async () => {
  const cache = new RowCache(redis, `m${randomBytes(4).toString('hex')}`, 60, log)
  await cache.through(['long'], true, model(() => true).compute)
  await settle()
  const again = model()
  await cache.through(['long'], false, again.compute)
  assert.deepEqual(again.calls, [['long']])
})

test("a too-long input is reported at its index in the caller's list", async () => {
  const cache = new RowCache(redis, `m${randomBytes(4).toString('hex')}`, 60, log)
  await cache.through(['short'], true, model().compute)
  await settle()
  await assert.rejects(
    cache.through(['short', 'x'.repeat(50)], false, async () => {
      throw new InputTooLongError(0, 16)
    }),
    (error) => error instanceof InputTooLongError && error.index === 1 && error.maxTokens === 16,
  )
})

test('with Redis unreachable, every text is computed and nothing fails', async () => {
  const away = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  away.on('error', () => {})
  const cache = new RowCache(away, 'm', 60, log)
  const offline = model()
  const result = await cache.through(['a', 'b'], true, offline.compute)
  assert.deepEqual(offline.calls, [['a', 'b']])
  assert.equal(result.rows.length, 2)
  away.disconnect()
})
