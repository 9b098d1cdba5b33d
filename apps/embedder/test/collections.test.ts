import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { appToken, buildGuard, guardConfigSchema } from '@flotilla/chroma-guard'
import { loadConfig, type Service } from '@flotilla/service'
import { type ChromaServer, DockerUnavailableError, startChroma } from '@flotilla/testkit'
import { type Harness, startEmbedder } from './harness.js'

const chroma = await startChroma().catch((error: unknown) => {
  if (!(error instanceof DockerUnavailableError)) throw error
  console.log(`# SKIP embedder collection tests: ${error.message}`)
  return undefined
})
const skip = chroma ? false : 'Docker is not available (run scripts/ci/docker-up.sh chroma)'

const SECRET = 'guard-secret-for-tests-0123456789abcdef'
const ADMIN = 'admin-token-for-tests-0123456789abcdef'

describe('semantic collections through the Chroma guard', { skip }, () => {
  let guard: Service
  let harness: Harness

  before(async () => {
    const server = chroma as ChromaServer
    guard = await buildGuard(
      loadConfig(guardConfigSchema, {
        LOG_LEVEL: 'silent',
        CHROMA_UPSTREAM_URL: server.url,
        CHROMA_GUARD_SECRET: SECRET,
        CHROMA_ADMIN_TOKEN: ADMIN,
      }),
    )
    const guardUrl = await guard.listen({ host: '127.0.0.1', port: 0 })
    // The provisioner's part: the embedder's tenant and database.
    const admin = (path: string, name: string) =>
      fetch(`${guardUrl}${path}`, {
        method: 'POST',
        headers: { 'x-chroma-token': ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      })
    assert.equal((await admin('/api/v2/tenants', 'embedder')).status, 200)
    assert.equal((await admin('/api/v2/tenants/embedder/databases', 'main')).status, 200)
    harness = await startEmbedder({
      CHROMA_URL: guardUrl,
      CHROMA_TOKEN: appToken(SECRET, 'embedder'),
    })
  })

  after(async () => {
    await harness?.close()
    await guard?.close()
    await chroma?.stop()
  })

  const call = (url: string, caller: string | undefined, payload: object) =>
    harness.app.inject({
      method: 'POST',
      url,
      headers: caller ? { 'x-flotilla-app': caller } : {},
      payload,
    })

  const docs = {
    ids: ['cat', 'stock', 'soup'],
    documents: [
      'the cat sleeps on the warm sofa',
      'stock markets fell sharply today',
      'a recipe for tomato soup',
    ],
    metadatas: [{ topic: 'pets' }, { topic: 'finance' }, { topic: 'food' }],
  }

  test('records added by one app are found by text, nearest first, and only by it', async () => {
    const added = await call('/embedder/collections/memories/records', 'kb', docs)
    assert.equal(added.statusCode, 200, added.body)
    assert.deepEqual(added.json(), { upserted: 3 })

    const found = await call('/embedder/collections/memories/query', 'kb', {
      query: 'a recipe for tomato soup',
      n_results: 2,
    })
    assert.equal(found.statusCode, 200, found.body)
    const { results } = found.json()
    assert.equal(results.length, 2)
    assert.equal(results[0].id, 'soup')
    assert.equal(results[0].document, 'a recipe for tomato soup')
    assert.deepEqual(results[0].metadata, { topic: 'food' })
    assert.ok(Math.abs(results[0].distance) < 1e-4, `distance ${results[0].distance}`)
    assert.ok(results[1].distance > results[0].distance)

    const filtered = await call('/embedder/collections/memories/query', 'kb', {
      query: 'a recipe for tomato soup',
      where: { topic: 'pets' },
    })
    assert.deepEqual(
      filtered.json().results.map((hit: { id: string }) => hit.id),
      ['cat'],
    )

    const other = await call('/embedder/collections/memories/query', 'notes', {
      query: 'a recipe for tomato soup',
    })
    assert.equal(other.statusCode, 200, other.body)
    assert.deepEqual(other.json(), { results: [] })
  })

  test('adding the same ids again replaces the records', async () => {
    const again = await call('/embedder/collections/memories/records', 'kb', {
      ids: ['soup'],
      documents: ['a bowl of hot noodles'],
    })
    assert.equal(again.statusCode, 200, again.body)
    const found = await call('/embedder/collections/memories/query', 'kb', {
      query: 'a bowl of hot noodles',
      n_results: 1,
    })
    assert.equal(found.json().results[0].id, 'soup')
    assert.equal(found.json().results[0].document, 'a bowl of hot noodles')
  })

  const refusals = [
    { name: 'no caller header', caller: undefined, collection: 'memories', status: 400 },
    { name: 'a reserved caller name', caller: 'postgres', collection: 'memories', status: 400 },
    { name: 'an undeclared collection', caller: 'kb', collection: 'secrets', status: 404 },
  ]
  for (const { name, caller, collection, status } of refusals) {
    test(`${name} → ${status}`, async () => {
      const response = await call(`/embedder/collections/${collection}/query`, caller, {
        query: 'x',
      })
      assert.equal(response.statusCode, status, response.body)
      assert.ok(response.json().error.message.length > 10)
    })
  }

  test('mismatched ids and documents → 400', async () => {
    const response = await call('/embedder/collections/memories/records', 'kb', {
      ids: ['a', 'b'],
      documents: ['only one'],
    })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error.code, 'LENGTH_MISMATCH')
  })

  test('/readyz checks Chroma through the guard', async () => {
    const ready = (await harness.app.inject('/readyz')).json()
    assert.match(JSON.stringify(ready), /chroma/)
    assert.doesNotMatch(JSON.stringify(ready), /degraded/)
  })
})
