import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { after, before, describe, it } from 'node:test'
import {
  type AppGraph,
  escapeIdentifier,
  GraphInputError,
  GUARD_ROUTES,
  labelOfApp,
  neo4jGuardToken,
  openGraph,
} from '@flotilla/data'
import { provisionNeo4j } from '@flotilla/data/neo4j/provision'
import { startNeo4j } from '@flotilla/data/neo4j/test-server'
import { type LocalService, loadConfig, startLocalService } from '@flotilla/service'
import { base64url, SignJWT } from 'jose'
import neo4j, { type Driver } from 'neo4j-driver'
import { buildGuard, guardConfigSchema, startLocalGuard } from '../src/index.js'

// No skip: without a Neo4j this file fails, as a missing server must.
const server = await startNeo4j()

const SECRET = 'neo4j-guard-secret-for-tests-0123456789'
const suffix = randomBytes(3).toString('hex')
const ALPHA = `galpha${suffix}`
const BETA = `gbeta${suffix}`
const tokenOf = (app: string) => neo4jGuardToken(SECRET, app, labelOfApp(app))

type Answer = {
  status: number
  body: { error?: { code?: string; message?: string } } & Record<string, unknown>
}

/** Everything under a label, in a fixed order, hashed; plus every label and constraint name. */
async function checksum(driver: Driver, label: string) {
  const l = escapeIdentifier(label)
  const nodes = await driver.executeQuery(
    `MATCH (n:${l}) RETURN n.id AS id, properties(n) AS p, labels(n) AS labels ORDER BY id`,
  )
  const links = await driver.executeQuery(
    `MATCH (a:${l})-[r]-(b) RETURN a.id AS a, type(r) AS t, b.id AS b, labels(b) AS bl, properties(r) AS p ORDER BY a, t, b`,
  )
  return createHash('sha256')
    .update(
      JSON.stringify([
        nodes.records.map((r) => r.toObject()),
        links.records.map((r) => r.toObject()),
      ]),
    )
    .digest('hex')
}

describe('neo4j-guard in front of a real Neo4j', () => {
  let guard: LocalService
  let url = ''
  let admin: Driver
  let alpha: AppGraph
  let beta: AppGraph
  let betaBefore = ''

  const call = async (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    raw?: string,
  ): Promise<Answer> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined && raw === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(raw !== undefined
        ? { body: raw }
        : body === undefined
          ? {}
          : { body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as Answer['body'] }
  }

  /** The path byte for byte: fetch would resolve `..` and `.` before sending. */
  const rawCall = (method: string, path: string, token: string, body?: unknown) =>
    new Promise<Answer>((resolve, reject) => {
      const target = new URL(url)
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          let text = ''
          res.on('data', (chunk) => {
            text += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
        },
      )
      req.on('error', reject)
      req.end(body === undefined ? undefined : JSON.stringify(body))
    })

  before(async () => {
    guard = await startLocalService(guardConfigSchema, buildGuard, {
      BODY_LIMIT_BYTES: String(256 * 1024),
      OPERATION_BODY_LIMIT_BYTES: String(64 * 1024),
      NEO4J_URL: server.url,
      NEO4J_USER: server.user,
      NEO4J_PASSWORD: server.password,
      NEO4J_GUARD_SECRET: SECRET,
    })
    url = guard.url
    admin = neo4j.driver(server.url, neo4j.auth.basic(server.user, server.password))
    const targets = [ALPHA, BETA].map((name) => ({
      name,
      resources: { neo4j: { label: labelOfApp(name), database: `app-${name}` } },
    }))
    await provisionNeo4j(server, targets, 'community')
    alpha = openGraph({ url, token: await tokenOf(ALPHA), label: labelOfApp(ALPHA) })
    beta = openGraph({ url, token: await tokenOf(BETA), label: labelOfApp(BETA) })
    await beta.upsertNode('shared', { owner: 'beta', secret: 's3cret' })
    await beta.upsertNode('b-only', { owner: 'beta' })
    assert.equal(await beta.link('shared', 'b-only', 'OWNS', { since: 2020 }), true)
    betaBefore = await checksum(admin, labelOfApp(BETA))
  })

  after(async () => {
    for (const app of [ALPHA, BETA]) {
      const label = escapeIdentifier(labelOfApp(app))
      await admin?.executeQuery(`MATCH (n:${label}) DETACH DELETE n`)
      await admin?.executeQuery(
        `DROP CONSTRAINT ${escapeIdentifier(`${labelOfApp(app)}_id_unique`)} IF EXISTS`,
      )
    }
    await admin?.close()
    await guard?.close()
    await server.stop()
  })

  it('serves every AppGraph operation to an app through the client', async () => {
    await alpha.ready()
    assert.deepEqual(await alpha.upsertNode('shared', { owner: 'alpha', tags: ['x'] }), {
      id: 'shared',
      owner: 'alpha',
      tags: ['x'],
    })
    await alpha.upsertNode('a2', { n: 1 })
    await alpha.upsertNode('a3')
    assert.equal(await alpha.link('shared', 'a2', 'LINKS', { w: 1.5 }), true)
    assert.equal(await alpha.link('a2', 'a3', 'LINKS'), true)
    assert.equal(await alpha.link('shared', 'missing', 'LINKS'), false)
    assert.deepEqual(await alpha.neighbours('shared'), [{ id: 'a2', n: 1 }])
    assert.deepEqual(
      (await alpha.neighbours('shared', { depth: 2, direction: 'out', type: 'LINKS' })).map(
        (n) => n.id,
      ),
      ['a2', 'a3'],
    )
    assert.deepEqual(await alpha.getNode('shared'), { id: 'shared', owner: 'alpha', tags: ['x'] })
    assert.equal(await alpha.getNode('nope'), undefined)
    assert.equal(await alpha.count(), 3)
    assert.equal(await alpha.countLinks(), 2)
    assert.equal(await alpha.unlink('a2', 'a3', 'LINKS'), true)
    assert.equal(await alpha.unlink('a2', 'a3', 'LINKS'), false)
    assert.equal(await alpha.deleteNode('a3'), true)
    assert.equal(await alpha.deleteNode('a3'), false)
  })

  it('exports in pages, clears in batches and imports back exactly', async () => {
    for (let i = 0; i < 5; i++) await alpha.upsertNode(`p${i}`, { i })
    for (let i = 1; i < 5; i++) await alpha.link('p0', `p${i}`, i % 2 ? 'ODD' : 'EVEN', { i })
    const collect = async (pageSize: number) => {
      const all = []
      for await (const record of alpha.exportAll({ pageSize })) all.push(record)
      return all
    }
    const snapshot = await collect(1000)
    assert.deepEqual(await collect(2), snapshot)
    const nodes = snapshot.filter((r) => r.kind === 'node').length
    assert.equal(await alpha.clear({ batchSize: 3 }), nodes)
    assert.equal(await alpha.count(), 0)
    assert.deepEqual(await alpha.importAll(snapshot, { batchSize: 4 }), {
      nodes,
      links: snapshot.length - nodes,
    })
    assert.deepEqual(await collect(1000), snapshot)
    await assert.rejects(
      alpha.importAll([{ kind: 'link', from: 'p0', type: 'ODD', to: 'b-only', props: {} }]),
      /name a node the graph does not have/,
      "alpha cannot link to beta's node by importing",
    )
    assert.equal(await checksum(admin, labelOfApp(BETA)), betaBefore)
  })

  it('answers 401 in the error shape to a missing, forged or tampered token', async () => {
    const alphaToken = await tokenOf(ALPHA)
    const [header, payload, signature] = alphaToken.split('.') as [string, string, string]
    const [, , betaSignature] = (await tokenOf(BETA)).split('.')
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
    // alpha's token with its claims changed, under alpha's signature.
    const tampered = (change: object) =>
      `${header}.${base64url.encode(JSON.stringify({ ...claims, ...change }))}.${signature}`
    const key = new TextEncoder().encode(SECRET)
    const signed = (audience: string) =>
      new SignJWT({ label: labelOfApp(BETA) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(BETA)
        .setAudience(audience)
    // The signature's first character (its last one carries two bits base64url ignores).
    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const tokens = [
      undefined,
      '',
      'garbage',
      `${header}.${payload}`,
      `${header}.${payload}.`,
      `${header}.${payload}.${betaSignature}`,
      flipped,
      tampered({ label: labelOfApp(BETA) }),
      tampered({ sub: BETA, label: labelOfApp(BETA) }),
      tampered({ aud: 'chroma' }),
      `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.`,
      await neo4jGuardToken('another-secret-of-sufficient-length-000', BETA, labelOfApp(BETA)),
      await signed('chroma').sign(key),
      await signed('neo4j').setExpirationTime('-1 minute').sign(key),
      // Signed by the secret's holder, but a label that is no app's.
      await new SignJWT({ label: 'Secret' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ALPHA)
        .setAudience('neo4j')
        .sign(key),
      server.password,
      SECRET,
    ]
    for (const token of tokens) {
      const answer = await call('GET', GUARD_ROUTES.countNodes.path, token)
      assert.equal(answer.status, 401, String(token))
      assert.equal(answer.body.error?.code, 'UNAUTHORIZED')
      assert.equal(typeof answer.body.error?.message, 'string')
    }
    const basic = await fetch(`${url}${GUARD_ROUTES.countNodes.path}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`neo4j:${server.password}`).toString('base64')}`,
      },
    })
    assert.equal(basic.status, 401)
  })

  it('refuses bad input with 400 and never touches another label', async () => {
    const t = await tokenOf(ALPHA)
    const bad: Array<[keyof typeof GUARD_ROUTES, unknown]> = [
      ['getNode', { id: 5 }],
      ['getNode', { id: '' }],
      ['getNode', { id: 'x'.repeat(513) }],
      ['getNode', { id: ['shared'] }],
      ['getNode', { id: 'shared', label: labelOfApp(BETA) }],
      ['getNode', {}],
      ['upsertNode', { id: 'x', props: { id: 'other' } }],
      ['upsertNode', { id: 'x', props: { 'a`b': 1 } }],
      ['upsertNode', { id: 'x', props: { 'a\\u0060b': 1 } }],
      ['upsertNode', { id: 'x', props: { nested: { y: 1 } } }],
      ['upsertNode', { id: 'x', props: { mixed: [1, 'a'] } }],
      ['upsertNode', { id: 'x', props: [] }],
      ['link', { from: 'a', to: 'b', type: 'lower' }],
      ['link', { from: 'a', to: 'b', type: 'T`]->(x) DETACH DELETE x //' }],
      ['link', { from: 'a', to: 'b', type: 'T\\u0060' }],
      ['neighbours', { id: 'shared', depth: 6 }],
      ['neighbours', { id: 'shared', depth: '2' }],
      ['neighbours', { id: 'shared', limit: 1001 }],
      ['neighbours', { id: 'shared', direction: 'up' }],
      ['exportNodes', { after: '', pageSize: 10_001 }],
      ['exportLinks', { after: { from: '', type: '', to: '' }, pageSize: 0 }],
      ['importNodes', { nodes: [] }],
      ['importLinks', { type: 'T', links: [{ from: 'a', to: 'b', props: {}, label: 'X' }] }],
      ['clear', { batchSize: 1.5 }],
    ]
    for (const [name, body] of bad) {
      const route = GUARD_ROUTES[name]
      const answer = await call(route.method, route.path, t, body)
      assert.equal(answer.status, 400, `${name} ${JSON.stringify(body)}`)
      assert.ok(answer.body.error?.code, `${name} answers in the error shape`)
    }
    for (const raw of ['{', 'null', '"id"', '[]', '{"id": "a", "id": 5}']) {
      const answer = await call('POST', GUARD_ROUTES.getNode.path, t, undefined, raw)
      assert.equal(answer.status, 400, raw)
    }
    const big = await call('POST', GUARD_ROUTES.upsertNode.path, t, {
      id: 'big',
      props: { pad: 'x'.repeat(300 * 1024) },
    })
    assert.equal(big.status, 413)
    assert.equal(big.body.error?.code, 'PAYLOAD_TOO_LARGE')
    // One node: the operation limit (64 KiB here); a batch of them: the import limit.
    const pad = 'x'.repeat(80 * 1024)
    const one = await call('POST', GUARD_ROUTES.upsertNode.path, t, { id: 'pad', props: { pad } })
    assert.equal(one.status, 413)
    const batch = await call('POST', GUARD_ROUTES.importNodes.path, t, {
      nodes: [{ id: 'pad', props: { pad } }],
    })
    assert.equal(batch.status, 200)
    assert.equal(await alpha.deleteNode('pad'), true)
    const form = await fetch(`${url}${GUARD_ROUTES.getNode.path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'id=shared',
    })
    assert.equal(form.status, 415)
    await assert.rejects(alpha.upsertNode('x', { id: 'y' }), GraphInputError)
    assert.equal(await checksum(admin, labelOfApp(BETA)), betaBefore)
  })

  it('stores Cypher and quote tricks in values as plain data', async () => {
    const evil = [
      "x'}) MATCH (m) DETACH DELETE m //",
      '`}) MATCH (m) DETACH DELETE m //',
      '\\u0060) MATCH (m) DETACH DELETE m //',
      'a\\\\b\u0000c',
    ]
    for (const value of evil) {
      assert.deepEqual(await alpha.upsertNode(value, { note: value, list: [value] }), {
        id: value,
        note: value,
        list: [value],
      })
      assert.deepEqual(await alpha.getNode(value), { id: value, note: value, list: [value] })
      assert.equal(await alpha.deleteNode(value), true)
    }
    assert.equal(await checksum(admin, labelOfApp(BETA)), betaBefore)
  })

  it('answers 404 to every other path or method, however spelled', async () => {
    const t = await tokenOf(ALPHA)
    const paths: Array<[string, string]> = [
      ['POST', '/v1/nodes/../nodes/get'],
      ['POST', '/v1/nodes/%2e%2e/nodes/get'],
      ['POST', '/v1%2Fnodes%2Fget'],
      ['POST', '//v1/nodes/get'],
      ['POST', '/v1//nodes/get'],
      ['POST', '/V1/nodes/get'],
      ['POST', '/v1/Nodes/Get'],
      ['POST', '/v1/nodes/get/'],
      ['POST', '/v1/cypher'],
      ['POST', '/db/neo4j/tx/commit'],
      ['GET', '/v1/nodes/get'],
      ['DELETE', '/v1/clear'],
      ['GET', '/v1/nodes/count/..'],
    ]
    for (const [method, path] of paths) {
      const answer = await rawCall(
        method,
        path,
        t,
        method === 'POST' ? { id: 'shared' } : undefined,
      )
      assert.ok([401, 403, 404].includes(answer.status), `${method} ${path} → ${answer.status}`)
      assert.ok(answer.body.error?.code, `${method} ${path} answers in the error shape`)
    }
  })

  it('leaves beta intact and usable after everything above', async () => {
    assert.equal(await checksum(admin, labelOfApp(BETA)), betaBefore)
    assert.deepEqual(await beta.getNode('shared'), {
      id: 'shared',
      owner: 'beta',
      secret: 's3cret',
    })
    assert.deepEqual(await beta.neighbours('shared'), [{ id: 'b-only', owner: 'beta' }])
  })

  it('serves /healthz and a /readyz that checks Neo4j', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
    assert.equal((await fetch(`${url}/readyz`)).status, 200)
  })
})

describe('neo4j-guard without Neo4j', () => {
  it('answers 503 (never 500) and /readyz 503 while Neo4j is away', async () => {
    const down = await startLocalGuard({
      boltUrl: 'bolt://127.0.0.1:1',
      password: 'unused',
      secret: SECRET,
    })
    try {
      const token = await tokenOf(ALPHA)
      const graph = openGraph({ url: down.url, token, label: labelOfApp(ALPHA) })
      await assert.rejects(graph.getNode('x'), (error: Error & { statusCode?: number }) => {
        assert.equal(error.statusCode, 503)
        return true
      })
      const response = await fetch(`${down.url}${GUARD_ROUTES.countNodes.path}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(response.status, 503)
      assert.deepEqual(Object.keys(((await response.json()) as { error: object }).error), [
        'code',
        'message',
      ])
      assert.equal((await fetch(`${down.url}/readyz`)).status, 503)
    } finally {
      await down.close()
    }
  })

  it('refuses to start without a long enough secret or a Bolt URL', () => {
    assert.throws(
      () =>
        loadConfig(guardConfigSchema, {
          NEO4J_URL: 'http://127.0.0.1:7474',
          NEO4J_PASSWORD: 'x',
          NEO4J_GUARD_SECRET: 'short',
        }),
      /NEO4J_URL[\s\S]*NEO4J_GUARD_SECRET|NEO4J_GUARD_SECRET[\s\S]*NEO4J_URL/,
    )
  })
})
