import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DockerUnavailableError, startChroma } from '@flotilla/data/chroma/test-server'
import { type LocalService, startLocalService } from '@flotilla/service'
import { appToken } from '@flotilla/stack'
import { base64url, SignJWT } from 'jose'
import { buildGuard, guardConfigSchema } from '../src/index.js'
import { clientFor, tenantChecksum, tinyEmbeddings } from './helpers.js'

const chroma = await startChroma().catch((error: unknown) => {
  if (!(error instanceof DockerUnavailableError)) throw error
  console.log(`# SKIP chroma-guard live tests: ${error.message}`)
  return undefined
})
const skip = chroma ? false : 'Docker is not available (run scripts/ci/docker-up.sh chroma)'

const SECRET = 'guard-secret-for-tests-0123456789abcdef'
const ADMIN = 'admin-token-for-tests-0123456789abcdef'
const alphaToken = await appToken('chroma', SECRET, 'alpha', { tenant: 'alpha', database: 'main' })
const betaToken = await appToken('chroma', SECRET, 'beta', { tenant: 'beta', database: 'main' })
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

describe('chroma guard in front of a real Chroma', { skip }, () => {
  let guard: LocalService
  let url = ''
  let betaCollectionId = ''
  let betaBefore: Awaited<ReturnType<typeof tenantChecksum>>
  const clientTraffic = new Set<string>()

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token && { 'x-chroma-token': token }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })

  before(async () => {
    const recording = async (config: Parameters<typeof buildGuard>[0]) => {
      const service = await buildGuard(config)
      service.addHook('onRequest', async (request) => {
        if (request.headers['user-agent'] !== 'test-raw') {
          const path = (request.raw.url ?? '').split('?')[0] ?? ''
          clientTraffic.add(`${request.method} ${path.replace(UUID, '{id}')}`)
        }
      })
      return service
    }
    guard = await startLocalService(guardConfigSchema, recording, {
      BODY_LIMIT_BYTES: String(1024 * 1024),
      CHROMA_UPSTREAM_URL: chroma?.url,
      CHROMA_GUARD_SECRET: SECRET,
      CHROMA_ADMIN_TOKEN: ADMIN,
    })
    url = guard.url

    // The provisioner's part, with the admin token through the guard.
    for (const tenant of ['alpha', 'beta']) {
      assert.equal((await call('POST', '/api/v2/tenants', ADMIN, { name: tenant })).status, 200)
      const database = await call('POST', `/api/v2/tenants/${tenant}/databases`, ADMIN, {
        name: 'main',
      })
      assert.equal(database.status, 200)
    }
    const beta = clientFor(url, betaToken, 'beta')
    const secrets = await beta.createCollection({
      name: 'secrets',
      embeddingFunction: tinyEmbeddings,
    })
    await secrets.add({
      ids: ['b1', 'b2', 'b3'],
      documents: ['beta one', 'beta two', 'beta three'],
      metadatas: [{ n: 1 }, { n: 2 }, { n: 3 }],
    })
    betaCollectionId = secrets.id
    betaBefore = await tenantChecksum(chroma?.url ?? '', 'beta')
    assert.equal(betaBefore.records, 3)
  })

  after(async () => {
    await guard?.close()
    await chroma?.stop()
  })

  it('lets an app use its own tenant through the official client', async (t) => {
    clientTraffic.clear()
    const alpha = clientFor(url, alphaToken, 'alpha')
    assert.equal(typeof (await alpha.heartbeat()), 'number')
    const notes = await alpha.getOrCreateCollection({
      name: 'notes',
      embeddingFunction: tinyEmbeddings,
    })
    await notes.add({ ids: ['a1', 'a2'], documents: ['alpha one', 'alpha two'] })
    await notes.upsert({ ids: ['a3'], documents: ['alpha three'], metadatas: [{ k: 'v' }] })
    assert.equal(await notes.count(), 3)
    const found = await notes.query({ queryTexts: ['alpha one'], nResults: 1 })
    assert.deepEqual(found.ids, [['a1']])
    assert.deepEqual((await notes.get({ ids: ['a3'] })).documents, ['alpha three'])
    await notes.update({ ids: ['a3'], documents: ['alpha three, updated'] })
    await notes.delete({ ids: ['a2'] })
    assert.equal(await notes.count(), 2)
    await notes.modify({ metadata: { purpose: 'tests' } })
    assert.deepEqual(
      (await alpha.listCollections()).map((collection) => collection.name),
      ['notes'],
    )
    assert.equal(await alpha.countCollections(), 1)
    assert.equal(
      (await alpha.getCollection({ name: 'notes', embeddingFunction: tinyEmbeddings })).id,
      notes.id,
    )
    await alpha.createCollection({ name: 'scratch', embeddingFunction: tinyEmbeddings })
    await alpha.deleteCollection({ name: 'scratch' })
    assert.deepEqual(await alpha.getUserIdentity(), {
      user_id: 'alpha',
      tenant: 'alpha',
      databases: ['main'],
    })
    t.diagnostic(`endpoints the chromadb client called: ${[...clientTraffic].sort().join(', ')}`)
  })

  it('accepts the token as Authorization: Bearer too', async () => {
    const alpha = clientFor(url, alphaToken, 'alpha', 'authorization')
    assert.equal((await alpha.listCollections()).length, 1)
  })

  it('answers 401 in the error shape without a valid token', async () => {
    const [header, payload, signature] = alphaToken.split('.') as [string, string, string]
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
    // alpha's token with its claims changed, under alpha's signature.
    const tampered = (change: object) =>
      `${header}.${base64url.encode(JSON.stringify({ ...claims, ...change }))}.${signature}`
    const key = new TextEncoder().encode(SECRET)
    const signed = (audience: string) =>
      new SignJWT({ tenant: 'beta', database: 'main' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('beta')
        .setAudience(audience)
    const refused = [
      undefined,
      'alpha.forged',
      'garbage',
      `${header}.${payload}`,
      `${header}.${payload}.${signature.slice(2)}`,
      tampered({ tenant: 'beta' }),
      tampered({ sub: 'beta', tenant: 'beta' }),
      `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.`,
      await appToken('chroma', 'another-secret-of-sufficient-length-00', 'beta', {
        tenant: 'beta',
        database: 'main',
      }),
      await appToken('embedder', SECRET, 'beta', {}),
      await signed('neo4j').sign(key),
      await signed('chroma').setExpirationTime('-1 minute').sign(key),
      SECRET,
    ]
    for (const token of refused) {
      const response = await call('GET', '/api/v2/tenants/beta/databases/main/collections', token)
      assert.equal(response.status, 401, String(token))
      const body = (await response.json()) as { error: { code: string; message: string } }
      assert.equal(body.error.code, 'UNAUTHORIZED')
      assert.equal(typeof body.error.message, 'string')
    }
  })

  it('refuses every attempt of app alpha on tenant beta and leaves beta intact', async (t) => {
    const b = '/api/v2/tenants/beta/databases/main'
    const a = '/api/v2/tenants/alpha/databases/main'
    const id = betaCollectionId
    const raw: Array<[string, string, unknown?]> = [
      ['GET', '/api/v2/tenants/beta'],
      ['GET', `${b}`],
      ['GET', `${b}/collections`],
      ['GET', `${b}/collections_count`],
      ['GET', `${b}/collections/secrets`],
      ['POST', `${b}/collections`, { name: 'planted' }],
      ['DELETE', `${b}/collections/secrets`],
      ['POST', `${b}/collections/${id}/get`, {}],
      ['POST', `${b}/collections/${id}/add`, { ids: ['x'], embeddings: [[1, 2, 3]] }],
      ['POST', `${b}/collections/${id}/delete`, { ids: ['b1'] }],
      ['GET', '/api/v2/tenants/beta/databases'],
      ['POST', '/api/v2/tenants/beta/databases', { name: 'other' }],
      ['DELETE', b],
      ['POST', '/api/v2/tenants', { name: 'gamma' }],
      ['POST', '/api/v2/tenants/alpha/databases', { name: 'extra' }],
      ['POST', '/api/v2/reset'],
      ['GET', '/api/v1/heartbeat'],
      ['GET', '/api/v1/collections'],
      ['GET', '/api/v2/collections/beta:main:secrets'],
      // Chroma serves id-addressed operations for a collection of ANY tenant.
      ['POST', `${a}/collections/${id}/get`, {}],
      ['GET', `${a}/collections/${id}/count`],
      ['POST', `${a}/collections/${id}/query`, { query_embeddings: [[1, 2, 3]], n_results: 1 }],
      ['POST', `${a}/collections/${id}/add`, { ids: ['x'], embeddings: [[1, 2, 3]] }],
      ['POST', `${a}/collections/${id}/upsert`, { ids: ['b1'], embeddings: [[0, 0, 0]] }],
      ['POST', `${a}/collections/${id}/update`, { ids: ['b1'], documents: ['owned'] }],
      ['POST', `${a}/collections/${id}/delete`, { ids: ['b1'] }],
      ['PUT', `${a}/collections/${id}`, { new_name: 'renamed' }],
      ['GET', `${a}/collections/by-id/${id}`],
      ['POST', `${a}/collections/${id}/fork`, { new_name: 'stolen' }],
      // Spellings that a lax router might resolve to tenant beta.
      ['GET', `${a}/../../beta/databases/main/collections`],
      ['GET', '/api/v2/tenants/alpha/../beta/databases/main/collections'],
      ['GET', '/api/v2/tenants/alpha%2F..%2Fbeta/databases/main/collections'],
      ['GET', '/api/v2/tenants/beta%2Fdatabases/main'],
      ['GET', '/api/v2//tenants/beta/databases/main/collections'],
      ['GET', '//api/v2/tenants/beta/databases/main/collections'],
      ['GET', '/api/v2/tenants/Beta/databases/main/collections'],
      ['GET', '/API/V2/tenants/beta/databases/main/collections'],
      ['GET', '/api/v2/tenants/%62eta/databases/main/collections'],
      ['GET', '/api/v2/tenants/beta/databases/main/collections/'],
    ]
    let refused = 0
    const leaks: string[] = []
    for (const [method, path, body] of raw) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          'x-chroma-token': alphaToken,
          'user-agent': 'test-raw',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const answer = (await response.json()) as { error?: { code?: string } }
      if ((response.status === 403 || response.status === 401) && answer.error?.code) refused++
      else leaks.push(`${method} ${path} -> ${response.status}`)
    }

    // The official client pointed at tenant beta with alpha's token.
    const intruder = clientFor(url, alphaToken, 'beta')
    const clientAttempts = [
      () => intruder.listCollections(),
      () => intruder.countCollections(),
      () => intruder.getCollection({ name: 'secrets', embeddingFunction: tinyEmbeddings }),
      () => intruder.deleteCollection({ name: 'secrets' }),
      () => intruder.createCollection({ name: 'planted', embeddingFunction: tinyEmbeddings }),
      () => intruder.reset(),
    ]
    for (const [index, attempt] of clientAttempts.entries()) {
      try {
        await attempt()
        leaks.push(`client attempt #${index} succeeded`)
      } catch {
        refused++
      }
    }

    const attempts = raw.length + clientAttempts.length
    t.diagnostic(
      `chroma attack matrix: attempts=${attempts} refused=${refused} leaked=${leaks.length}`,
    )
    assert.deepEqual(leaks, [])
    assert.deepEqual(await tenantChecksum(chroma?.url ?? '', 'beta'), betaBefore)
  })

  it('lets beta still use its own collection after the attacks', async () => {
    const beta = clientFor(url, betaToken, 'beta')
    const secrets = await beta.getCollection({ name: 'secrets', embeddingFunction: tinyEmbeddings })
    assert.equal(await secrets.count(), 3)
  })

  it('limits request bodies and answers in the error shape', async () => {
    const response = await call(
      'POST',
      '/api/v2/tenants/alpha/databases/main/collections',
      alphaToken,
      { name: 'big', metadata: { padding: 'x'.repeat(2 * 1024 * 1024) } },
    )
    assert.equal(response.status, 413)
    const body = (await response.json()) as { error: { code: string } }
    assert.equal(body.error.code, 'PAYLOAD_TOO_LARGE')
  })

  it('serves /healthz and a /readyz that checks Chroma', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
    const ready = await fetch(`${url}/readyz`)
    assert.equal(ready.status, 200)
  })
})
