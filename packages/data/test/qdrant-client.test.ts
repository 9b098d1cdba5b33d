import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import {
  mintQdrantToken,
  openQdrant,
  QdrantScopeError,
  type ScopedQdrant,
} from '../src/qdrant/index.js'
import { type RecordedRequest, startQdrantRecorder } from './qdrant-recorder.js'

const KEY = 'qdrant-api-key-for-tests'
const OWN = ['a__docs', 'a__notes']
const token = mintQdrantToken(KEY, OWN)

describe('openQdrant against a recording server', () => {
  let recorder: Awaited<ReturnType<typeof startQdrantRecorder>>
  let qdrant: ScopedQdrant

  before(async () => {
    recorder = await startQdrantRecorder()
    for (const name of OWN)
      recorder.collections.set(name, {
        vectors: { size: 2, distance: 'Cosine' },
        payloadSchema: {},
      })
    qdrant = openQdrant({ url: recorder.url, token, collections: OWN })
  })
  after(() => recorder.close())
  beforeEach(() => {
    recorder.requests.length = 0
    recorder.setReady(200)
  })

  test('sends the JWT as Authorization: Bearer, never the API key, to its own collection', async () => {
    await qdrant.upsert('a__docs', {
      wait: true,
      points: [{ id: 1, vector: [0.1, 0.2], payload: { tenant: 't1' } }],
    })
    assert.equal(recorder.requests.length, 1)
    const [request] = recorder.requests
    assert.equal(request?.method, 'PUT')
    assert.equal(request?.path, '/collections/a__docs/points?wait=true')
    assert.equal(request?.headers.authorization, `Bearer ${token}`)
    assert.equal(request?.headers['api-key'], undefined)
    assert.ok(!JSON.stringify(request?.headers).includes(KEY))
  })

  test('refuses every operation on another app’s collection before any request is sent', async () => {
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['upsert', () => qdrant.upsert('b__docs', { points: [{ id: 1, vector: [0.1] }] })],
      ['retrieve', () => qdrant.retrieve('b__docs', { ids: [1] })],
      ['scroll', () => qdrant.scroll('b__docs')],
      ['search', () => qdrant.search('b__docs', { vector: [0.1] })],
      ['query', () => qdrant.query('b__docs', { query: [0.1] })],
      ['count', () => qdrant.count('b__docs')],
      ['delete', () => qdrant.delete('b__docs', { points: [1] })],
      ['setPayload', () => qdrant.setPayload('b__docs', { payload: { x: 1 }, points: [1] })],
      ['getCollection', () => qdrant.getCollection('b__docs')],
      [
        'createPayloadIndex',
        () => qdrant.createPayloadIndex('b__docs', { field_name: 'x', field_schema: 'keyword' }),
      ],
      ['createSnapshot', () => qdrant.createSnapshot('b__docs')],
      ['prefix trick', () => qdrant.scroll('a__docs_b')],
      ['not a string', () => qdrant.scroll(['a__docs'] as unknown as string)],
    ]
    for (const [name, attempt] of attempts) {
      await assert.rejects(attempt, QdrantScopeError, name)
    }
    assert.deepEqual(recorder.requests, [])
  })

  test('refuses lookups that read another collection through its own', async () => {
    await assert.rejects(
      qdrant.recommend('a__docs', { positive: [1], lookup_from: { collection: 'b__docs' } }),
      QdrantScopeError,
    )
    await assert.rejects(
      qdrant.query('a__docs', { prefetch: [{ query: 1, lookup_from: { collection: 'b__docs' } }] }),
      QdrantScopeError,
    )
    await assert.rejects(
      qdrant.queryGroups('a__docs', { query: [0.1], group_by: 'doc', with_lookup: 'b__docs' }),
      QdrantScopeError,
    )
    assert.deepEqual(recorder.requests, [])
    await qdrant.recommend('a__docs', { positive: [1], lookup_from: { collection: 'a__notes' } })
    const sent = recorder.requests as RecordedRequest[] // deepEqual above narrowed it to never[]
    assert.equal(sent[0]?.path, '/collections/a__docs/points/recommend')
  })

  test('offers no collection management (create, delete, aliases): that is the provisioner’s', () => {
    const surface = qdrant as unknown as Record<string, unknown>
    for (const method of [
      'createCollection',
      'deleteCollection',
      'updateCollectionAliases',
      'api',
      'getCollections',
    ]) {
      assert.equal(surface[method], undefined, method)
    }
  })

  test('readiness asks GET /readyz with the scoped token and fails on a non-2xx answer', async () => {
    await qdrant.ready()
    assert.deepEqual(
      recorder.requests.map((r) => [r.method, r.path, r.headers.authorization]),
      [['GET', '/readyz', `Bearer ${token}`]],
    )
    recorder.setReady(503)
    await assert.rejects(qdrant.readiness.check(AbortSignal.timeout(1000)), /503/)
    assert.equal(qdrant.readiness.name, 'qdrant')
  })
})

describe('openQdrant refuses credentials that do not fit the app', () => {
  test('the server API key itself, or a token without access', () => {
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token: KEY, collections: OWN }),
      /not a JWT/,
    )
    const master = `${token.split('.')[0]}.${Buffer.from('{}').toString('base64url')}.x`
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token: master, collections: OWN }),
      /master token/,
    )
  })

  test('a token that does not grant every configured collection', () => {
    assert.throws(
      () =>
        openQdrant({
          url: 'http://127.0.0.1:1',
          token: mintQdrantToken(KEY, ['a__docs']),
          collections: OWN,
        }),
      /does not grant a__notes/,
    )
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token, collections: [] }),
      /no collections/,
    )
  })
})
