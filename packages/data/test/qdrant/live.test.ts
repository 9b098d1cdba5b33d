import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { SignJWT } from 'jose'
import { mintQdrantToken, openQdrant } from '../../src/qdrant/index.js'
import { provisionQdrant, qdrantAdminClient } from '../../src/qdrant/provision.js'
import { targetFor } from '../qdrant-recorder.js'

const url = process.env.QDRANT_URL
const apiKey = process.env.QDRANT_API_KEY
const skip =
  url && apiKey
    ? false
    : 'live Qdrant suite skipped: set QDRANT_URL and QDRANT_API_KEY (a server with service.jwt_rbac: true)'

describe('Qdrant live: app A cannot touch app B', () => {
  const suffix = randomBytes(3).toString('hex')
  const a = targetFor(`livea${suffix}`, ['docs'])
  const b = targetFor(`liveb${suffix}`, ['docs'])
  const [aDocs] = a.resources.qdrant?.collections ?? []
  const [bDocs] = b.resources.qdrant?.collections ?? []
  const admin = { url: url ?? '', apiKey: apiKey ?? '' }
  let aToken = ''
  /** A's token used directly, without the client's own check: only the server stands in the way. */
  const asA = (method: string, path: string, body?: unknown) =>
    fetch(`${admin.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${aToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  before(async () => {
    if (skip) return
    aToken = await mintQdrantToken(admin.apiKey, [aDocs ?? ''])
    const options = { vectors: { size: 4, distance: 'Cosine' as const } }
    assert.ok((await provisionQdrant(admin, [a, b], options)).length > 0)
    assert.deepEqual(
      await provisionQdrant(admin, [a, b], options),
      [],
      'second run changes nothing',
    )
    await qdrantAdminClient(admin).upsert(bDocs ?? '', {
      wait: true,
      points: [{ id: 1, vector: [1, 0, 0, 0], payload: { tenant: 't', secret: 'b' } }],
    })
  })
  after(async () => {
    if (skip) return
    const client = qdrantAdminClient(admin)
    for (const c of [aDocs, bDocs]) if (c) await client.deleteCollection(c)
  })

  test('A uses its own collection through the scoped client', {
    skip,
  }, async () => {
    const qdrant = openQdrant({ url: admin.url, token: aToken, collections: [aDocs ?? ''] })
    await qdrant.ready()
    await qdrant.upsert(aDocs ?? '', {
      wait: true,
      points: [{ id: 7, vector: [0, 1, 0, 0], payload: { tenant: 't' } }],
    })
    assert.equal((await qdrant.count(aDocs ?? '')).count, 1)
  })

  test('every cross-app attempt with A’s token is refused by the server with 403', {
    skip,
  }, async () => {
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/collections/${bDocs}`],
      ['POST', `/collections/${bDocs}/points/scroll`, { limit: 10 }],
      ['POST', `/collections/${bDocs}/points`, { ids: [1] }],
      ['POST', `/collections/${bDocs}/points/query`, { query: [1, 0, 0, 0] }],
      [
        'PUT',
        `/collections/${bDocs}/points?wait=true`,
        { points: [{ id: 2, vector: [1, 0, 0, 0] }] },
      ],
      ['POST', `/collections/${bDocs}/points/delete?wait=true`, { points: [1] }],
      ['DELETE', `/collections/${bDocs}`],
      ['PUT', `/collections/${bDocs}/index`, { field_name: 'x', field_schema: 'keyword' }],
      ['PUT', `/collections/livec${suffix}__docs`, { vectors: { size: 4, distance: 'Cosine' } }],
    ]
    const statuses = []
    for (const [method, path, body] of attempts) {
      const response = await asA(method, path, body)
      await response.body?.cancel()
      statuses.push([method, path, response.status])
    }
    assert.deepEqual(
      statuses,
      attempts.map(([method, path]) => [method, path, 403]),
    )
    const listed = (await (await asA('GET', '/collections')).json()) as {
      result: { collections: { name: string }[] }
    }
    assert.ok(!listed.result.collections.some((c) => c.name === bDocs), 'B is not listed to A')
    const bPoints = await qdrantAdminClient(admin).retrieve(bDocs ?? '', {
      ids: [1],
      with_payload: true,
    })
    assert.deepEqual(bPoints[0]?.payload, { tenant: 't', secret: 'b' }, 'B’s data intact')
  })
  test('readiness: a forged or an expired token makes A not ready, though /readyz answers 200', {
    skip,
  }, async () => {
    const collections = [aDocs ?? '']
    const bad = [
      ['forged', await mintQdrantToken('not-the-server-key', collections)],
      [
        'expired',
        await mintQdrantToken(admin.apiKey, collections, {
          lifetimeSeconds: 60,
          now: Date.now() - 3_600_000,
        }),
      ],
    ] as const
    for (const [name, token] of bad) {
      const qdrant = openQdrant({ url: admin.url, token, collections })
      await assert.rejects(qdrant.ready(), /HTTP 403/, name)
      const readyz = await fetch(`${admin.url}/readyz`, {
        headers: { authorization: `Bearer ${token}` },
      })
      await readyz.body?.cancel()
      assert.equal(readyz.status, 200, `${name}: /readyz is open`)
    }
    await openQdrant({ url: admin.url, token: aToken, collections }).ready()
  })

  test('what Qdrant grants: a token without exp works, an empty access list grants nothing', {
    skip,
  }, async () => {
    const secret = new TextEncoder().encode(admin.apiKey)
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret)
    const status = async (token: string, path: string) => {
      const response = await fetch(`${admin.url}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      await response.body?.cancel()
      return response.status
    }
    const noExp = await sign({ access: [{ collection: aDocs, access: 'rw' }] })
    assert.equal(await status(noExp, `/collections/${aDocs}/exists`), 200)
    const empty = await sign({ access: [] })
    assert.equal(await status(empty, `/collections/${aDocs}/exists`), 403)
    assert.equal(await status(empty, `/collections/${bDocs}/exists`), 403)
  })
})
