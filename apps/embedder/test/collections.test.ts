import assert from 'node:assert/strict'
import { connect, createServer } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { buildGuard, guardConfigSchema } from '@flotilla/chroma-guard'
import {
  type ChromaServer,
  DockerUnavailableError,
  startChroma,
} from '@flotilla/data/chroma/test-server'
import { loadConfig, type Service } from '@flotilla/service'
import { appToken } from '@flotilla/stack'
import { base64url, SignJWT } from 'jose'
import { CHROMA, chromaCredentials, type Harness, startEmbedder } from './harness.js'

const chroma = await startChroma().catch((error: unknown) => {
  if (!(error instanceof DockerUnavailableError)) throw error
  console.log(`# SKIP embedder collection tests: ${error.message}`)
  return undefined
})
const skip = chroma ? false : 'Docker is not available (run scripts/ci/docker-up.sh chroma)'

const SECRET = 'guard-secret-for-tests-0123456789abcdef'
const ADMIN = 'admin-token-for-tests-0123456789abcdef'
const CALLER_SECRET = 'caller-secret-for-tests-0123456789abcdef'

/** A caller token as the provisioner makes it: what an app finds in its EMBEDDER_TOKEN. */
const callerTokens = new Map<string, string>()
for (const app of ['kb', 'notes', 'alpha', 'beta']) {
  callerTokens.set(app, await appToken('embedder', CALLER_SECRET, app, {}))
}
const tokenOf = (app: string) => callerTokens.get(app) as string

const [kbHeader, kbPayload, kbMac] = tokenOf('kb').split('.') as [string, string, string]
const notesMac = tokenOf('notes').split('.')[2] as string
const flipped = `${kbMac.startsWith('A') ? 'B' : 'A'}${kbMac.slice(1)}`
const caller = (sub: string) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience('embedder')
const callerKey = new TextEncoder().encode(CALLER_SECRET)
const refusedTokens: [string, string | undefined][] = [
  ['no token', undefined],
  ['an empty bearer', ''],
  ["kb's token, one signature character changed", `${kbHeader}.${kbPayload}.${flipped}`],
  ["kb's claims with notes' signature", `${kbHeader}.${kbPayload}.${notesMac}`],
  [
    "notes' token renamed to kb (notes' signature)",
    `${kbHeader}.${base64url.encode(JSON.stringify({ sub: 'kb', aud: 'embedder' }))}.${notesMac}`,
  ],
  ["kb's claims unsigned (alg none)", `${base64url.encode('{"alg":"none"}')}.${kbPayload}.`],
  ["kb's token, expired", await caller('kb').setExpirationTime('-1 minute').sign(callerKey)],
  ['a token from another secret', await appToken('embedder', 'x'.repeat(40), 'kb', {})],
  [
    "kb's Chroma guard token (another audience)",
    await appToken('chroma', CALLER_SECRET, 'kb', { tenant: 'kb', database: 'main' }),
  ],
  ['a name alone', 'kb'],
  ['a name and a dot', 'kb.'],
  ['garbage', '%%%.&&&'],
  ['a NUL byte in the token', `${kbHeader}\u0000.${kbPayload}.${kbMac}`],
  ['a huge token', `${kbHeader}.${'A'.repeat(200_000)}.${kbMac}`],
  ['an invalid app name, signed', await caller('Kb').sign(callerKey)],
]

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('semantic collections through the Chroma guard', { skip }, () => {
  let guard: Service
  let guardUrl: string
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
    guardUrl = await guard.listen({ host: '127.0.0.1', port: 0 })
    // The provisioner's part: the embedder's tenant and database.
    const admin = (path: string, name: string) =>
      fetch(`${guardUrl}${path}`, {
        method: 'POST',
        headers: { 'x-chroma-token': ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      })
    assert.equal((await admin('/api/v2/tenants', CHROMA.tenant)).status, 200)
    const databases = `/api/v2/tenants/${CHROMA.tenant}/databases`
    assert.equal((await admin(databases, CHROMA.database)).status, 200)
    harness = await startEmbedder({
      ...(await chromaCredentials(guardUrl, SECRET)),
      EMBEDDER_CALLER_SECRET: CALLER_SECRET,
    })
  })

  after(async () => {
    await harness?.close()
    await guard?.close()
    await chroma?.stop()
  })

  const call = (
    url: string,
    token: string | undefined,
    payload: object,
    headers: Record<string, string> = {},
  ) =>
    harness.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, ...(token !== undefined && { authorization: `Bearer ${token}` }) },
      payload,
    })
  const query = (token: string | undefined, payload: object, headers?: Record<string, string>) =>
    call('/embedder/collections/memories/query', token, payload, headers)
  const ids = (response: { json(): { results: { id: string }[] } }) =>
    response
      .json()
      .results.map((hit) => hit.id)
      .sort()

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
    const added = await call('/embedder/collections/memories/records', tokenOf('kb'), docs)
    assert.equal(added.statusCode, 200, added.body)
    assert.deepEqual(added.json(), { upserted: 3 })

    const found = await query(tokenOf('kb'), { query: 'a recipe for tomato soup', n_results: 2 })
    assert.equal(found.statusCode, 200, found.body)
    const { results } = found.json()
    assert.equal(results.length, 2)
    assert.equal(results[0].id, 'soup')
    assert.equal(results[0].document, 'a recipe for tomato soup')
    assert.deepEqual(results[0].metadata, { topic: 'food' })
    assert.ok(Math.abs(results[0].distance) < 1e-4, `distance ${results[0].distance}`)
    assert.ok(results[1].distance > results[0].distance)

    const filtered = await query(tokenOf('kb'), {
      query: 'a recipe for tomato soup',
      where: { topic: 'pets' },
    })
    assert.deepEqual(ids(filtered), ['cat'])

    const other = await query(tokenOf('notes'), { query: 'a recipe for tomato soup' })
    assert.equal(other.statusCode, 200, other.body)
    assert.deepEqual(other.json(), { results: [] })
  })

  test('adding the same ids again replaces the records', async () => {
    const again = await call('/embedder/collections/memories/records', tokenOf('kb'), {
      ids: ['soup'],
      documents: ['a bowl of hot noodles'],
    })
    assert.equal(again.statusCode, 200, again.body)
    const found = await query(tokenOf('kb'), { query: 'a bowl of hot noodles', n_results: 1 })
    assert.equal(found.json().results[0].id, 'soup')
    assert.equal(found.json().results[0].document, 'a bowl of hot noodles')
  })

  test('two apps with the same collection and the same ids never see each other', async () => {
    for (const app of ['alpha', 'beta']) {
      const added = await call('/embedder/collections/memories/records', tokenOf(app), {
        ids: ['shared', `${app}-only`],
        documents: [`the shared record as ${app} wrote it`, `a record only ${app} has`],
        metadatas: [{ owner: app }, { owner: app }],
      })
      assert.equal(added.statusCode, 200, added.body)
    }
    for (const [app, otherApp] of [
      ['alpha', 'beta'],
      ['beta', 'alpha'],
    ] as const) {
      const found = await query(tokenOf(app), { query: 'the shared record', n_results: 100 })
      assert.equal(found.statusCode, 200, found.body)
      assert.deepEqual(ids(found), [`${app}-only`, 'shared'])
      const text = found.body
      assert.doesNotMatch(text, new RegExp(otherApp), `${app} saw ${otherApp}'s records`)
      // A filter naming the other app's metadata finds nothing either.
      const filtered = await query(tokenOf(app), { query: 'x', where: { owner: otherApp } })
      assert.deepEqual(filtered.json(), { results: [] })
    }
  })

  test('the x-flotilla-app header is ignored: the token alone names the caller', async () => {
    const added = await call(
      '/embedder/collections/memories/records',
      tokenOf('notes'),
      { ids: ['planted'], documents: ['planted into kb by notes'] },
      { 'x-flotilla-app': 'kb' },
    )
    assert.equal(added.statusCode, 200, added.body)
    // notes' own namespace got it; kb's did not, and notes cannot read kb's through the header.
    const kb = await query(tokenOf('kb'), { query: 'planted into kb by notes', n_results: 100 })
    assert.ok(!ids(kb).includes('planted'), kb.body)
    const asNotes = await query(
      tokenOf('notes'),
      { query: 'a recipe for tomato soup', n_results: 100 },
      { 'x-flotilla-app': 'kb' },
    )
    assert.deepEqual(ids(asNotes), ['planted'])
    // The header alone is no credential at all.
    const headerOnly = await query(undefined, { query: 'x' }, { 'x-flotilla-app': 'kb' })
    assert.equal(headerOnly.statusCode, 401, headerOnly.body)
  })

  for (const [name, token] of refusedTokens) {
    for (const route of ['records', 'query'] as const) {
      test(`${route}: ${name} → 401, nothing read or written`, async () => {
        const payload =
          route === 'records'
            ? { ids: ['intruder'], documents: ['written by an intruder'] }
            : { query: 'x', n_results: 100 }
        const response = await call(`/embedder/collections/memories/${route}`, token, payload)
        assert.equal(response.statusCode, 401, response.body)
        assert.equal(response.json().error.code, 'UNAUTHORIZED')
        assert.ok(response.json().error.message.length > 10)
        assert.equal(response.headers['www-authenticate'], 'Bearer')
        assert.doesNotMatch(response.body, /cat|soup|records?\b.*kb/)
      })
    }
  }

  test('no forged write landed anywhere', async () => {
    for (const app of ['kb', 'notes', 'alpha', 'beta']) {
      const found = await query(tokenOf(app), { query: 'written by an intruder', n_results: 100 })
      assert.ok(!ids(found).includes('intruder'), `${app}: ${found.body}`)
    }
  })

  test('a NUL byte in the Authorization header itself → 400 from HTTP, before any route', async () => {
    const { port } = new URL(await harness.app.listen({ host: '127.0.0.1', port: 0 }))
    const socket = connect(Number(port), '127.0.0.1')
    const head = new Promise<string>((resolve, reject) => {
      socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1')))
      socket.once('error', reject)
    })
    socket.write(
      'POST /embedder/collections/memories/query HTTP/1.1\r\nHost: x\r\n' +
        `Authorization: Bearer kb.\u0000${kbMac}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"query":"x"}',
    )
    const response = await head
    socket.destroy()
    assert.match(response, /^HTTP\/1\.1 400 /)
  })

  const badWheres: [string, unknown][] = [
    ['a null value', { topic: null }],
    ['a null operand', { topic: { $eq: null } }],
    ['an unknown operator', { topic: { $near: 'x' } }],
    ['an empty $and', { $and: [] }],
    ['a list where a value belongs', { topic: ['a', 'b'] }],
  ]
  for (const [name, where] of badWheres) {
    test(`a where with ${name} → 400`, async () => {
      const response = await query(tokenOf('kb'), { query: 'x', where })
      assert.equal(response.statusCode, 400, response.body)
      assert.ok(response.json().error.message.length > 10, response.body)
    })
  }

  test('an undeclared collection → 404 for a caller, 401 for anyone else', async () => {
    const url = '/embedder/collections/secrets/query'
    const known = await call(url, tokenOf('kb'), { query: 'x' })
    assert.equal(known.statusCode, 404, known.body)
    assert.equal(known.json().error.code, 'COLLECTION_NOT_FOUND')
    const unknown = await call(url, undefined, { query: 'x' })
    assert.equal(unknown.statusCode, 401, unknown.body)
  })

  test('mismatched ids and documents → 400', async () => {
    const response = await call('/embedder/collections/memories/records', tokenOf('kb'), {
      ids: ['a', 'b'],
      documents: ['only one'],
    })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error.code, 'LENGTH_MISMATCH')
  })

  test('the store-less endpoints stay public', async () => {
    const embed = await harness.app.inject({
      method: 'POST',
      url: '/embedder/embed',
      payload: { inputs: 'hello' },
    })
    assert.equal(embed.statusCode, 200, embed.body)
    const openai = await harness.app.inject({
      method: 'POST',
      url: '/embedder/v1/embeddings',
      payload: { input: 'hello', model: 'test-alias' },
    })
    assert.equal(openai.statusCode, 200, openai.body)
  })

  test('/readyz checks Chroma through the guard', async () => {
    const ready = (await harness.app.inject('/readyz')).json()
    assert.match(JSON.stringify(ready), /chroma/)
    assert.doesNotMatch(JSON.stringify(ready), /degraded/)
  })

  describe('Chroma unavailable', () => {
    const down: [string, () => Promise<Record<string, string>>][] = [
      [
        'the guard up, Chroma behind it gone',
        async () => {
          const deadGuard = await buildGuard(
            loadConfig(guardConfigSchema, {
              LOG_LEVEL: 'silent',
              CHROMA_UPSTREAM_URL: `http://127.0.0.1:${await closedPort()}`,
              CHROMA_GUARD_SECRET: SECRET,
              CHROMA_ADMIN_TOKEN: ADMIN,
            }),
          )
          closers.push(() => deadGuard.close())
          return chromaCredentials(await deadGuard.listen({ host: '127.0.0.1', port: 0 }), SECRET)
        },
      ],
      [
        'the guard gone',
        async () => chromaCredentials(`http://127.0.0.1:${await closedPort()}`, SECRET),
      ],
    ]
    const closers: (() => Promise<unknown>)[] = []
    after(async () => {
      for (const close of closers) await close()
    })
    for (const [name, env] of down) {
      test(`${name} → 503 saying so in words`, async () => {
        const embedder = await startEmbedder({
          ...(await env()),
          EMBEDDER_CALLER_SECRET: CALLER_SECRET,
        })
        closers.push(() => embedder.close())
        for (const [route, payload] of [
          ['records', { ids: ['a'], documents: ['a'] }],
          ['query', { query: 'a' }],
        ] as const) {
          const response = await embedder.app.inject({
            method: 'POST',
            url: `/embedder/collections/memories/${route}`,
            headers: { authorization: `Bearer ${tokenOf('kb')}` },
            payload,
          })
          assert.equal(response.statusCode, 503, response.body)
          const { code, message } = response.json().error
          assert.equal(code, 'DEPENDENCY_UNAVAILABLE')
          assert.match(message, /^chroma is unavailable: [a-z]/)
          assert.doesNotMatch(message, /\[object|undefined/)
          assert.equal(response.headers['retry-after'], '5')
        }
      })
    }
  })
})

describe('collections without a caller secret', () => {
  test('→ 503, not an open door', async () => {
    const embedder = await startEmbedder({})
    try {
      const response = await embedder.app.inject({
        method: 'POST',
        url: '/embedder/collections/memories/query',
        headers: { authorization: `Bearer ${tokenOf('kb')}` },
        payload: { query: 'x' },
      })
      assert.equal(response.statusCode, 503, response.body)
      assert.equal(response.json().error.code, 'CALLERS_NOT_CONFIGURED')
    } finally {
      await embedder.close()
    }
  })
})
