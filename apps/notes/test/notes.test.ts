import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { type Harness, startNotes } from './harness.js'

let harness: Harness
before(async () => {
  harness = await startNotes()
})
after(() => harness.close())

async function createNote(title: string, body = '') {
  const response = await harness.app.inject({
    method: 'POST',
    url: '/notes/',
    payload: { title, body },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json()
}

describe('CRUD', () => {
  test('create, read, update, delete', async () => {
    const created = await createNote('first', 'hello')
    assert.equal(created.title, 'first')
    assert.ok(Number.isInteger(created.id))

    const read = await harness.app.inject(`/notes/${created.id}`)
    assert.equal(read.statusCode, 200)
    assert.deepEqual(read.json(), created)

    const patched = await harness.app.inject({
      method: 'PATCH',
      url: `/notes/${created.id}`,
      payload: { body: 'changed' },
    })
    assert.equal(patched.statusCode, 200)
    assert.equal(patched.json().body, 'changed')
    assert.equal(patched.json().title, 'first')

    const deleted = await harness.app.inject({ method: 'DELETE', url: `/notes/${created.id}` })
    assert.equal(deleted.statusCode, 204)
    const gone = await harness.app.inject(`/notes/${created.id}`)
    assert.equal(gone.statusCode, 404)
    assert.equal(gone.json().error.code, 'NOTE_NOT_FOUND')
  })

  test('the list pages backwards through every note exactly once', async () => {
    const ids = []
    for (let i = 0; i < 5; i++) ids.push((await createNote(`page ${i}`)).id)
    const seen: number[] = []
    let before: number | null = null
    do {
      const query: string = before === null ? '' : `&before=${before}`
      const page = (await harness.app.inject(`/notes/?limit=2${query}`)).json()
      assert.ok(page.items.length <= 2)
      seen.push(...page.items.map((note: { id: number }) => note.id))
      before = page.nextBefore
    } while (before !== null)
    for (const id of ids) assert.equal(seen.filter((seenId) => seenId === id).length, 1)
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => b - a),
    )
  })
})

describe('validation', () => {
  const cases = [
    { name: 'empty title', method: 'POST', url: '/notes/', payload: { title: '' } },
    { name: 'missing title', method: 'POST', url: '/notes/', payload: { body: 'x' } },
    { name: 'unknown field', method: 'POST', url: '/notes/', payload: { title: 'a', owner: 'b' } },
    { name: 'title too long', method: 'POST', url: '/notes/', payload: { title: 'x'.repeat(201) } },
    { name: 'non-numeric id', method: 'GET', url: '/notes/abc' },
    { name: 'id out of range', method: 'GET', url: '/notes/99999999999' },
    { name: 'empty patch', method: 'PATCH', url: '/notes/1', payload: {} },
    { name: 'limit too big', method: 'GET', url: '/notes/?limit=1000' },
  ] as const
  for (const { name, ...request } of cases) {
    test(`${name} → 400 in the error shape`, async () => {
      const response = await harness.app.inject(request)
      assert.equal(response.statusCode, 400, response.body)
      assert.equal(response.json().error.code, 'VALIDATION_ERROR')
    })
  }

  test('an oversized body → 413 and nothing is stored', async () => {
    const before = (await harness.app.inject('/notes/?limit=100')).json().items.length
    const response = await harness.app.inject({
      method: 'POST',
      url: '/notes/',
      payload: { title: 'big', body: 'x'.repeat(2_000_000) },
    })
    assert.equal(response.statusCode, 413)
    assert.equal(response.json().error.code, 'PAYLOAD_TOO_LARGE')
    assert.equal((await harness.app.inject('/notes/?limit=100')).json().items.length, before)
  })
})

describe('a NUL character in text', () => {
  const nul = 'before\u0000after'
  for (const [name, payload] of [
    ['title', { title: nul }],
    ['body', { title: 'fine', body: nul }],
  ] as const) {
    test(`POST with a NUL in the ${name} → 400 in the error shape, nothing stored`, async () => {
      const before = (await harness.app.inject('/notes/?limit=100')).json().items.length
      const response = await harness.app.inject({ method: 'POST', url: '/notes/', payload })
      assert.equal(response.statusCode, 400, response.body)
      assert.deepEqual(Object.keys(response.json()), ['error'])
      assert.equal(response.json().error.code, 'INVALID_VALUE')
      assert.match(response.json().error.message, /NUL/)
      assert.equal((await harness.app.inject('/notes/?limit=100')).json().items.length, before)
    })
  }

  for (const field of ['title', 'body'] as const) {
    test(`PATCH with a NUL in the ${field} → 400, the note unchanged`, async () => {
      const note = await createNote('untouched', 'as written')
      const response = await harness.app.inject({
        method: 'PATCH',
        url: `/notes/${note.id}`,
        payload: { [field]: nul },
      })
      assert.equal(response.statusCode, 400, response.body)
      assert.equal(response.json().error.code, 'INVALID_VALUE')
      assert.deepEqual((await harness.app.inject(`/notes/${note.id}`)).json(), note)
    })
  }
})

describe('read-through cache', () => {
  test('a read fills the cache and an update invalidates it', async () => {
    const redis = new Redis(harness.redisUrl, { keyPrefix: harness.keyPrefix })
    try {
      const note = await createNote('cached')
      assert.equal(await redis.exists(`note:${note.id}`), 0)
      await harness.app.inject(`/notes/${note.id}`)
      assert.equal(JSON.parse((await redis.get(`note:${note.id}`)) ?? '{}').title, 'cached')
      await harness.app.inject({
        method: 'PATCH',
        url: `/notes/${note.id}`,
        payload: { title: 'renamed' },
      })
      assert.equal(await redis.exists(`note:${note.id}`), 0)
      assert.equal((await harness.app.inject(`/notes/${note.id}`)).json().title, 'renamed')
    } finally {
      redis.disconnect()
    }
  })
})

describe('outages', () => {
  test('Redis down: reads are served from PostgreSQL and /readyz says degraded', async () => {
    const note = await createNote('survives redis')
    await harness.redis.cut()
    try {
      const read = await harness.app.inject(`/notes/${note.id}`)
      assert.equal(read.statusCode, 200)
      assert.equal(read.json().title, 'survives redis')
      const written = await harness.app.inject({
        method: 'POST',
        url: '/notes/',
        payload: { title: 'written without redis' },
      })
      assert.equal(written.statusCode, 201)

      const ready = await harness.app.inject('/readyz')
      assert.equal(ready.statusCode, 200)
      assert.equal(ready.json().status, 'degraded')
      assert.equal(ready.json().dependencies.redis.status, 'down')
    } finally {
      await harness.redis.restore()
    }
  })

  test('PostgreSQL down: 503 in the error shape, no crash, recovery when it returns', async () => {
    const note = await createNote('before the outage')
    await harness.postgres.cut()
    try {
      const list = await harness.app.inject('/notes/')
      assert.equal(list.statusCode, 503)
      assert.deepEqual(list.json(), {
        error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'postgres is unavailable' },
      })
      assert.equal(list.headers['retry-after'], '5')
      const write = await harness.app.inject({
        method: 'POST',
        url: '/notes/',
        payload: { title: 'lost?' },
      })
      assert.equal(write.statusCode, 503)

      const ready = await harness.app.inject('/readyz')
      assert.equal(ready.statusCode, 503)
      assert.equal(ready.json().dependencies.postgres.status, 'down')
    } finally {
      await harness.postgres.restore()
    }

    const deadline = Date.now() + 10_000
    let status = 0
    while (Date.now() < deadline) {
      status = (await harness.app.inject(`/notes/${note.id}`)).statusCode
      if (status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(status, 200, 'serves again once PostgreSQL is back')
    const ready = (await harness.app.inject('/readyz')).json()
    assert.equal(ready.dependencies.postgres.status, 'up')
  })

  test('PostgreSQL gone from DNS: 503 on every route, not ready, recovery when it resolves', async () => {
    const note = await createNote('before the name went away')
    const options = harness.pool.options
    const reachable = options.connectionString as string
    // A stopped container's name vanishes from Docker's DNS: the pool's open connections
    // drop, and each new one dials a name that no longer resolves (a real lookup failure).
    const gone = new URL(reachable)
    gone.hostname = 'postgres.invalid'
    options.connectionString = gone.toString()
    await harness.postgres.cut()
    await harness.postgres.restore()
    try {
      for (const request of [
        { method: 'GET', url: '/notes/' },
        { method: 'GET', url: '/notes/999999' },
        { method: 'POST', url: '/notes/', payload: { title: 'lost?' } },
        { method: 'PATCH', url: `/notes/${note.id}`, payload: { title: 'lost?' } },
        { method: 'DELETE', url: `/notes/${note.id}` },
      ] as const) {
        const response = await harness.app.inject(request)
        assert.equal(response.statusCode, 503, `${request.method} ${request.url}: ${response.body}`)
        assert.equal(response.json().error.code, 'DEPENDENCY_UNAVAILABLE')
        assert.equal(typeof response.json().error.message, 'string')
      }
      const ready = await harness.app.inject('/readyz')
      assert.equal(ready.statusCode, 503)
      assert.equal(ready.json().status, 'unavailable')
      assert.match(ready.json().dependencies.postgres.error, /ENOTFOUND|EAI_AGAIN/)
    } finally {
      options.connectionString = reachable
    }

    const read = await harness.app.inject(`/notes/${note.id}`)
    assert.equal(read.statusCode, 200, 'the next request after the name resolves is served')
    assert.equal(read.json().title, 'before the name went away')
    assert.equal((await harness.app.inject('/readyz')).json().dependencies.postgres.status, 'up')
  })
})

describe('rate limit', () => {
  test('past the limit a client gets 429 in the error shape', async () => {
    const limited = await startNotes({ RATE_LIMIT_PER_MINUTE: '3' })
    try {
      // Counting needs Redis; while it is still connecting the limiter lets requests through.
      const deadline = Date.now() + 5_000
      while ((await limited.app.inject('/readyz')).json().status !== 'ready') {
        assert.ok(Date.now() < deadline, 'redis connects')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const statuses = []
      for (let i = 0; i < 4; i++) {
        const response = await limited.app.inject({ url: '/notes/', remoteAddress: '10.9.9.9' })
        statuses.push(response.statusCode)
        if (response.statusCode === 429) {
          assert.equal(response.json().error.code, 'RATE_LIMITED')
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 429])
    } finally {
      await limited.close()
    }
  })

  describe('behind nginx', () => {
    let limited: Harness
    before(async () => {
      // The test's nginx: requests injected from 127.0.0.1 come through the trusted proxy.
      limited = await startNotes({ RATE_LIMIT_PER_MINUTE: '3', TRUSTED_PROXY: '127.0.0.1' })
      const deadline = Date.now() + 5_000
      while ((await limited.app.inject('/readyz')).json().status !== 'ready') {
        assert.ok(Date.now() < deadline, 'redis connects')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })
    after(() => limited.close())

    const statusesOf = async (remoteAddress: string, forwardedFor: string[]) => {
      const statuses = []
      for (const address of forwardedFor) {
        const response = await limited.app.inject({
          url: '/notes/',
          remoteAddress,
          headers: { 'x-forwarded-for': address },
        })
        statuses.push(response.statusCode)
      }
      return statuses
    }

    test('two clients forwarded by nginx get a limit each', async () => {
      const busy = '198.51.100.1'
      assert.deepEqual(
        await statusesOf('127.0.0.1', [busy, busy, busy, busy]),
        [200, 200, 200, 429],
      )
      assert.deepEqual(
        await statusesOf('127.0.0.1', ['198.51.100.2', '198.51.100.2']),
        [200, 200],
        'a busy client does not throttle another',
      )
    })

    test('a peer other than nginx can neither dodge its limit nor spend another client’s', async () => {
      const forged = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '198.51.100.3']
      assert.deepEqual(
        await statusesOf('10.5.5.5', forged),
        [200, 200, 200, 429],
        'a new X-Forwarded-For per request is still the same client',
      )
      assert.deepEqual(
        await statusesOf('127.0.0.1', ['198.51.100.3', '198.51.100.3', '198.51.100.3']),
        [200, 200, 200],
        'the address it forged has its whole limit left',
      )
    })
  })
})
