import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  mintQdrantToken,
  openQdrant,
  QdrantScopeError,
  type ScopedQdrant,
} from '../../src/qdrant/index.js'
import { type RecordedRequest, startQdrantRecorder } from '../qdrant-recorder.js'

const KEY = 'qdrant-api-key-for-tests'
const OWN = ['a__docs', 'a__notes']
const HOUR = 3600 * 1000
/** Expired beyond Qdrant's 30 s leeway. */
const expired = () => mintQdrantToken(KEY, OWN, { lifetimeSeconds: 60, now: Date.now() - HOUR })
/** The right claims, signed with a key that is not the server's. */
const forged = () => mintQdrantToken('not-the-server-key', OWN)

type Recorder = Awaited<ReturnType<typeof startQdrantRecorder>>

async function withOwnCollections(options: { version?: string } = {}): Promise<Recorder> {
  const recorder = await startQdrantRecorder({ apiKey: KEY, ...options })
  for (const name of OWN)
    recorder.collections.set(name, { vectors: { size: 2, distance: 'Cosine' }, payloadSchema: {} })
  return recorder
}

/** Requests other than the client's version probe (`GET /`, sent once per client). */
const sentTo = (recorder: Recorder): RecordedRequest[] =>
  recorder.requests.filter((r) => r.path !== '/')

describe('openQdrant against a recording server that checks tokens like Qdrant', () => {
  let recorder: Recorder
  let token: string
  let qdrant: ScopedQdrant

  before(async () => {
    recorder = await withOwnCollections()
    token = await mintQdrantToken(KEY, OWN)
    qdrant = openQdrant({ url: recorder.url, token, collections: OWN })
  })
  after(() => recorder.close())
  beforeEach(() => {
    recorder.requests.length = 0
  })

  test('sends the JWT as Authorization: Bearer, never the API key, to its own collection', async () => {
    await qdrant.upsert('a__docs', {
      wait: true,
      points: [{ id: 1, vector: [0.1, 0.2], payload: { tenant: 't1' } }],
    })
    const [request, ...others] = sentTo(recorder)
    assert.deepEqual(others, [])
    assert.equal(request?.method, 'PUT')
    assert.equal(request?.path, '/collections/a__docs/points?wait=true')
    assert.equal(request?.status, 200)
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
    assert.deepEqual(sentTo(recorder), [])
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
    assert.deepEqual(sentTo(recorder), [])
    await qdrant.recommend('a__docs', { positive: [1], lookup_from: { collection: 'a__notes' } })
    assert.equal(sentTo(recorder)[0]?.path, '/collections/a__docs/points/recommend')
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

  test('readiness reads each own collection with the app’s token, not /readyz', async () => {
    await qdrant.ready()
    assert.deepEqual(
      sentTo(recorder)
        .map((r) => [r.method, r.path, r.headers.authorization, r.status])
        .sort(),
      OWN.map((c) => ['GET', `/collections/${c}/exists`, `Bearer ${token}`, 200]),
    )
    assert.equal(qdrant.readiness.name, 'qdrant')
  })

  test('a forged or an expired token makes the app not ready, though /readyz still answers 200', async () => {
    for (const [name, bad] of [
      ['forged', await forged()],
      ['expired', await expired()],
    ] as const) {
      const app = openQdrant({ url: recorder.url, token: bad, collections: OWN })
      await assert.rejects(app.readiness.check(AbortSignal.timeout(5000)), /HTTP 403/, name)
      const readyz = await fetch(`${recorder.url}/readyz`, {
        headers: { authorization: `Bearer ${bad}` },
      })
      await readyz.body?.cancel()
      assert.equal(readyz.status, 200, `${name}: /readyz needs no token at all`)
    }
  })

  test('a collection the token grants but the server lacks makes the app not ready', async () => {
    recorder.collections.delete('a__notes')
    try {
      await assert.rejects(qdrant.ready(), /a__notes does not exist \(run scripts\/provision\)/)
    } finally {
      recorder.collections.set('a__notes', {
        vectors: { size: 2, distance: 'Cosine' },
        payloadSchema: {},
      })
    }
  })
})

describe('a renewed token reaches the running client through its credential file', () => {
  let recorder: Recorder
  let dir: string
  let file: string
  const writeCredentials = (token: string) =>
    writeFile(file, `# test\nQDRANT_URL=${recorder.url}\nQDRANT_API_KEY=${token}\n`)

  before(async () => {
    recorder = await withOwnCollections()
    dir = await mkdtemp(join(tmpdir(), 'flotilla-qdrant-client-'))
    file = join(dir, 'a.env')
  })
  after(async () => {
    await recorder.close()
    await rm(dir, { recursive: true, force: true })
  })
  beforeEach(() => {
    recorder.requests.length = 0
  })

  test('an expired token refused with 403 is replaced by the file’s and the call retried once', async () => {
    const old = await expired()
    const renewed = await mintQdrantToken(KEY, OWN)
    await writeCredentials(renewed)
    const qdrant = openQdrant({
      url: recorder.url,
      token: old,
      collections: OWN,
      credentialsFile: file,
    })
    assert.deepEqual(await qdrant.collectionExists('a__docs'), { exists: true })
    assert.deepEqual(
      sentTo(recorder).map((r) => [r.path, r.headers.authorization, r.status]),
      [
        ['/collections/a__docs/exists', `Bearer ${old}`, 403],
        ['/collections/a__docs/exists', `Bearer ${renewed}`, 200],
      ],
    )
    recorder.requests.length = 0
    await qdrant.ready()
    assert.ok(sentTo(recorder).every((r) => r.headers.authorization === `Bearer ${renewed}`))
  })

  test('without a credential file, or when the file holds the same bad token, it stays not ready', async () => {
    const bad = await forged()
    await writeCredentials(bad)
    for (const credentialsFile of [undefined, file]) {
      const qdrant = openQdrant({
        url: recorder.url,
        token: bad,
        collections: OWN,
        ...(credentialsFile ? { credentialsFile } : {}),
      })
      await assert.rejects(qdrant.ready(), /HTTP 403/)
    }
  })

  test('the file is re-read on an interval, so a renewal is used before the old token fails', async () => {
    const first = await mintQdrantToken(KEY, OWN)
    await writeCredentials(first)
    const qdrant = openQdrant({
      url: recorder.url,
      token: first,
      collections: OWN,
      credentialsFile: file,
      reloadIntervalMs: 0,
    })
    const next = await mintQdrantToken(KEY, OWN, { lifetimeSeconds: 7200 })
    await writeCredentials(next)
    await qdrant.scroll('a__docs')
    assert.deepEqual(
      sentTo(recorder).map((r) => [r.headers.authorization, r.status]),
      [[`Bearer ${next}`, 200]],
    )
  })

  test('an unreadable credential file leaves the current token in use', async () => {
    const token = await mintQdrantToken(KEY, OWN)
    const qdrant = openQdrant({
      url: recorder.url,
      token,
      collections: OWN,
      credentialsFile: dir, // a directory: reading it fails
      reloadIntervalMs: 0,
    })
    await qdrant.ready()
    assert.ok(sentTo(recorder).every((r) => r.headers.authorization === `Bearer ${token}`))
  })

  test('a token in the file that drops one of the app’s collections is not taken', async () => {
    await writeCredentials(await mintQdrantToken(KEY, ['a__docs']))
    const qdrant = openQdrant({
      url: recorder.url,
      token: await expired(),
      collections: OWN,
      credentialsFile: file,
    })
    await assert.rejects(qdrant.ready(), /token in .*a\.env does not grant a__notes/)
  })
})

describe('the client’s version check runs against the server', () => {
  let warn: ReturnType<typeof mock.method>
  beforeEach(() => {
    warn = mock.method(console, 'warn', () => {})
  })
  afterEach(() => warn.mock.restore())

  const incompatibility = () =>
    warn.mock.calls.filter((call) => String(call.arguments[0]).includes('incompatible'))

  test('the pinned client is compatible with the 1.15.5 server: the probe is answered, no warning', {
    timeout: 30_000,
  }, async () => {
    const recorder = await withOwnCollections()
    try {
      const qdrant = openQdrant({
        url: recorder.url,
        token: await mintQdrantToken(KEY, OWN),
        collections: OWN,
      })
      await qdrant.ready()
      while (!recorder.requests.some((r) => r.path === '/')) await sleep(10)
      await qdrant.ready() // a round trip after the probe was answered
      assert.deepEqual(incompatibility(), [])
    } finally {
      await recorder.close()
    }
  })

  test('a server three minor versions away is reported (the check is on)', {
    timeout: 30_000,
  }, async () => {
    const recorder = await withOwnCollections({ version: '1.18.0' })
    try {
      openQdrant({ url: recorder.url, token: await mintQdrantToken(KEY, OWN), collections: OWN })
      while (incompatibility().length === 0) await sleep(10)
      assert.match(String(incompatibility()[0]?.arguments[0]), /server version 1\.18\.0/)
    } finally {
      await recorder.close()
    }
  })
})

describe('openQdrant refuses credentials that do not fit the app', () => {
  test('the server API key itself, or a token without access', async () => {
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token: KEY, collections: OWN }),
      /not a JWT/,
    )
    const token = await mintQdrantToken(KEY, OWN)
    const full = `${token.split('.')[0]}.${Buffer.from('{}').toString('base64url')}.x`
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token: full, collections: OWN }),
      /full access/,
    )
  })

  test('a token that does not grant every configured collection', async () => {
    const narrow = await mintQdrantToken(KEY, ['a__docs'])
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token: narrow, collections: OWN }),
      /does not grant a__notes/,
    )
    assert.throws(
      () => openQdrant({ url: 'http://127.0.0.1:1', token: narrow, collections: [] }),
      /no collections/,
    )
  })
})
