import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { provisionQdrant } from '../src/qdrant/index.js'
import { startQdrantRecorder, targetFor } from './qdrant-recorder.js'

const ADMIN_KEY = 'admin-api-key'

describe('provisionQdrant against a recording server', () => {
  let recorder: Awaited<ReturnType<typeof startQdrantRecorder>>
  let admin: { url: string; apiKey: string }
  const apps = [
    targetFor('alpha', ['docs', 'memories']),
    targetFor('beta', ['docs']),
    targetFor('gamma', undefined),
  ]

  before(async () => {
    recorder = await startQdrantRecorder()
    admin = { url: recorder.url, apiKey: ADMIN_KEY }
  })
  after(() => recorder.close())
  beforeEach(() => {
    recorder.requests.length = 0
  })

  test('first run creates each collection and its is_tenant keyword index with the documented bodies', async () => {
    const changes = await provisionQdrant(admin, apps)
    assert.deepEqual(changes, [
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create collection',
        detail: 'alpha__docs (384, Cosine)',
      },
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create tenant index',
        detail: 'alpha__docs.tenant',
      },
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create collection',
        detail: 'alpha__memories (384, Cosine)',
      },
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create tenant index',
        detail: 'alpha__memories.tenant',
      },
      {
        store: 'qdrant',
        app: 'beta',
        action: 'create collection',
        detail: 'beta__docs (384, Cosine)',
      },
      { store: 'qdrant', app: 'beta', action: 'create tenant index', detail: 'beta__docs.tenant' },
    ])
    const writes = recorder.requests.filter((r) => r.method !== 'GET')
    assert.deepEqual(
      writes.map((r) => [r.method, r.path, r.body]),
      ['alpha__docs', 'alpha__memories', 'beta__docs'].flatMap((c) => [
        ['PUT', `/collections/${c}`, { vectors: { size: 384, distance: 'Cosine' } }],
        [
          'PUT',
          `/collections/${c}/index?wait=true`,
          { field_name: 'tenant', field_schema: { type: 'keyword', is_tenant: true } },
        ],
      ]),
    )
    assert.ok(recorder.requests.every((r) => r.headers['api-key'] === ADMIN_KEY))
    assert.ok(
      recorder.requests.some(
        (r) => r.method === 'GET' && r.path === '/collections/alpha__docs/exists',
      ),
    )
  })

  test('second run changes nothing and writes nothing', async () => {
    assert.deepEqual(await provisionQdrant(admin, apps), [])
    assert.deepEqual(
      recorder.requests.filter((r) => r.method !== 'GET'),
      [],
    )
  })

  test('adding an app later creates only that app’s collections, with configured vector params', async () => {
    const later = [...apps, targetFor('delta', ['images'])]
    const vectors = (collection: string) =>
      collection === 'delta__images'
        ? { size: 512, distance: 'Dot' as const }
        : { size: 384, distance: 'Cosine' as const }
    const changes = await provisionQdrant(admin, later, { vectors })
    assert.deepEqual(
      changes.map((c) => c.detail),
      ['delta__images (512, Dot)', 'delta__images.tenant'],
    )
    const created = recorder.requests.find(
      (r) => r.method === 'PUT' && r.path === '/collections/delta__images',
    )
    assert.deepEqual(created?.body, { vectors: { size: 512, distance: 'Dot' } })
  })

  test('an existing collection with other vector params is an error, not altered', async () => {
    await assert.rejects(
      provisionQdrant(admin, [apps[0] ?? targetFor('alpha', ['docs'])], {
        vectors: { size: 768, distance: 'Cosine' },
      }),
      /alpha__docs exists with vectors .*384.* expected .*768/,
    )
    assert.deepEqual(
      recorder.requests.filter((r) => r.method !== 'GET'),
      [],
    )
  })

  test('a tenant field indexed as something else is an error', async () => {
    recorder.collections.set('omega__docs', {
      vectors: { size: 384, distance: 'Cosine' },
      payloadSchema: { tenant: { data_type: 'integer', params: null, points: 0 } },
    })
    await assert.rejects(
      provisionQdrant(admin, [targetFor('omega', ['docs'])]),
      /omega__docs.tenant is indexed as/,
    )
  })

  test('server errors are reported with the collection and the status', async () => {
    await assert.rejects(
      provisionQdrant({ url: 'http://127.0.0.1:1', apiKey: ADMIN_KEY }, [
        targetFor('alpha', ['docs']),
      ]),
      /qdrant: checking collection alpha__docs failed/,
    )
    await assert.rejects(
      provisionQdrant({ url: recorder.url, apiKey: '' }, apps),
      /admin API key is empty/,
    )
  })
})
