import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import {
  type AppGraph,
  escapeIdentifier,
  GUARD_ROUTES,
  type GuardRoutes,
} from '@flotilla/data/neo4j'
import { SignJWT } from 'jose'
import neo4j, { type Driver } from 'neo4j-driver'
import { unsigned, withClaims } from '../../data/test/token-forgery.js'

/** One attack, as the attack matrix counts it (see attack-matrix.test.ts). */
export interface GraphAttempt {
  store: 'neo4j'
  what: string
  run: () => Promise<unknown>
  leaks?: (result: unknown) => boolean
}

/** What app B keeps in its graph: the secret value must never reach A. */
export const B_SECRET = 'b-graph-secret-7f3a'
const B_IDS = ['b1', 'b2', 'b3', 'shared']

export async function seedGraphOfB(graph: AppGraph): Promise<void> {
  for (const id of B_IDS) await graph.upsertNode(id, { owner: 'b', secret: B_SECRET })
  await graph.link('b1', 'b2', 'OWNS', { secret: B_SECRET })
  await graph.link('b2', 'b3', 'OWNS')
  await graph.link('shared', 'b1', 'OWNS')
}

/**
 * B's nodes and links with their properties (read as the DBMS admin), the labels on A's
 * and B's nodes, B's constraint: a planted label, a dropped constraint or a changed node
 * of B all change it. (Other suites may share the server, so nothing server-wide.)
 */
export async function graphChecksum(admin: Driver, labelOfA: string, labelOfB: string) {
  const a = escapeIdentifier(labelOfA)
  const b = escapeIdentifier(labelOfB)
  const read = async (text: string, params: Record<string, unknown> = {}) =>
    (await admin.executeQuery(text, params, { routing: neo4j.routing.READ })).records.map((r) =>
      r.toObject(),
    )
  return createHash('sha256')
    .update(
      JSON.stringify([
        await read(
          `MATCH (n:${b}) RETURN n.id AS id, properties(n) AS p, labels(n) AS ls ORDER BY id`,
        ),
        await read(
          `MATCH (x:${b})-[r]-(y) RETURN x.id AS x, type(r) AS t, startNode(r) = x AS out, y.id AS y, labels(y) AS ls, properties(r) AS p ORDER BY x, t, y, out`,
        ),
        await read(
          `MATCH (n) WHERE n:${a} OR n:${b} UNWIND labels(n) AS label WITH label WHERE label <> $a RETURN DISTINCT label ORDER BY label`,
          { a: labelOfA },
        ),
        await read(
          'SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties WHERE name = $name RETURN *',
          {
            name: `${labelOfB}_id_unique`,
          },
        ),
      ]),
    )
    .digest('hex')
}

export async function countOf(admin: Driver, label: string): Promise<number> {
  const { records } = await admin.executeQuery(
    `MATCH (n:${escapeIdentifier(label)}) RETURN count(n) AS c`,
  )
  return Number(records[0]?.get('c'))
}

export async function linksOf(admin: Driver, label: string): Promise<number> {
  const l = escapeIdentifier(label)
  const { records } = await admin.executeQuery(`MATCH (:${l})-[r]->(:${l}) RETURN count(r) AS c`)
  return Number(records[0]?.get('c'))
}

/** A request byte for byte (fetch would resolve `..` before sending); rejects unless 2xx. */
export function guardRequest(
  guardUrl: string,
  method: string,
  path: string,
  options: { token?: string; authorization?: string; body?: unknown; raw?: string | Buffer } = {},
): Promise<unknown> {
  const target = new URL(guardUrl)
  const payload =
    options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  const authorization =
    options.authorization ?? (options.token === undefined ? undefined : `Bearer ${options.token}`)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) return resolve(JSON.parse(text))
          let code = ''
          try {
            code = (JSON.parse(text) as { error: { code: string } }).error.code
          } catch {
            return reject(new Error(`HTTP ${status} outside the error shape: ${text.slice(0, 60)}`))
          }
          if (status >= 500) return reject(new Error(`SERVER ERROR ${status} ${code}`))
          reject(new Error(`HTTP ${status} ${code}`))
        })
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

export interface GraphAttackContext {
  guardUrl: string
  boltUrl: string
  /** A's own graph (its credentials file), A's token, B's token. */
  graphA: AppGraph
  tokenA: string
  tokenB: string
  labelA: string
  labelB: string
  app: { a: string; b: string }
  /** B's token under a different secret (e.g. Chroma's): must open nothing here. */
  tokenBOtherSecret: string
  /** The guard's secret, only to mint what no attacker could: B's token, expired. */
  secret: string
  /** The DBMS admin, only to measure, never to attack. */
  admin: Driver
  adminPassword: string
}

/** Counts as a leak when the answer carries any of B's data. */
const showsB = (result: unknown) => JSON.stringify(result ?? null).includes(B_SECRET)

const HOSTILE_STRINGS = [
  '\\u0060) MATCH (m) DETACH DELETE m //',
  '`}) MATCH (m) DETACH DELETE m //',
  "x'}) MATCH (m) DETACH DELETE m //",
  'a\\\\b\\\\u0060c',
  '"}) WITH 1 AS x MATCH (m) SET m.owned = true //',
]

/** Every route A has to B's graph; a server-side error (5xx) counts as not refused. */
export function graphAttempts(ctx: GraphAttackContext): GraphAttempt[] {
  const { guardUrl, graphA, tokenA, tokenB, labelA, labelB, admin } = ctx
  const route = (name: keyof GuardRoutes) => GUARD_ROUTES[name]
  const post = (name: keyof GuardRoutes, body: unknown, token = tokenA) =>
    guardRequest(guardUrl, route(name).method, route(name).path, { token, body })
  const attempt = (
    what: string,
    run: () => Promise<unknown>,
    leaks?: (result: unknown) => boolean,
  ): GraphAttempt => ({ store: 'neo4j', what, run, ...(leaks ? { leaks } : {}) })
  const bIntact = async () => (await countOf(admin, labelB)) === B_IDS.length
  const hostileFields = HOSTILE_STRINGS.flatMap((evil, n) => [
    // Values are parameters: stored in A's own label as data, never run.
    attempt(
      `Cypher/backtick trick no. ${n} as a node id`,
      () => graphA.upsertNode(evil, {}),
      showsB,
    ),
    attempt(
      `Cypher/backtick trick no. ${n} as a property value`,
      () => graphA.upsertNode(`v${n}`, { note: evil, list: [evil] }),
      showsB,
    ),
    attempt(
      `Cypher/backtick trick no. ${n} as get id`,
      () => post('getNode', { id: evil }),
      showsB,
    ),
    attempt(
      `Cypher/backtick trick no. ${n} as neighbours id`,
      () => post('neighbours', { id: evil, depth: 5 }),
      showsB,
    ),
    attempt(
      `Cypher/backtick trick no. ${n} in the export cursor`,
      () => post('exportLinks', { after: { from: evil, type: evil, to: evil }, pageSize: 10 }),
      showsB,
    ),
    // Identifiers are refused outright.
    attempt(`Cypher/backtick trick no. ${n} as a property key`, () =>
      post('upsertNode', { id: 'k', props: { [evil]: 1 } }),
    ),
    attempt(`Cypher/backtick trick no. ${n} as a relationship type`, () =>
      post('link', { from: 'a1', to: 'a2', type: evil }),
    ),
    attempt(`Cypher/backtick trick no. ${n} as a neighbours type`, () =>
      post('neighbours', { id: 'a1', type: evil }),
    ),
    attempt(`Cypher/backtick trick no. ${n} as an import type`, () =>
      post('importLinks', { type: evil, links: [{ from: 'a1', to: 'a2', props: {} }] }),
    ),
  ])

  return [
    // A's own token, every operation aimed at B's node ids.
    attempt(
      "get B's node by id",
      () => graphA.getNode('b1'),
      (r) => r !== undefined || showsB(r),
    ),
    attempt(
      "delete B's node",
      () => graphA.deleteNode('b3'),
      (r) => r !== false,
    ),
    attempt(
      "link B's nodes",
      () => graphA.link('b2', 'b3', 'STEALS'),
      (r) => r !== false,
    ),
    attempt(
      "link own node to B's",
      () => graphA.link('a1', 'b2', 'STEALS'),
      (r) => r !== false,
    ),
    attempt(
      "unlink B's link",
      () => graphA.unlink('b1', 'b2', 'OWNS'),
      (r) => r !== false,
    ),
    attempt(
      "neighbours of B's node, 5 hops",
      () => graphA.neighbours('b1', { depth: 5 }),
      (r) => (r as unknown[]).length > 0 || showsB(r),
    ),
    attempt(
      'neighbours of an id both have, 5 hops',
      () => graphA.neighbours('shared', { depth: 5, limit: 1000 }),
      showsB,
    ),
    attempt(
      "upsert over B's id (lands in A's label)",
      () => graphA.upsertNode('b2', { owner: 'a' }),
      (r) => showsB(r) || (r as { secret?: string }).secret !== undefined,
    ),
    attempt(
      'count nodes',
      async () => ({ n: await graphA.count(), own: await countOf(admin, labelA) }),
      (r) => {
        const { n, own } = r as { n: number; own: number }
        return n !== own
      },
    ),
    attempt(
      'count links',
      async () => ({ n: await graphA.countLinks(), own: await linksOf(admin, labelA) }),
      (r) => {
        const { n, own } = r as { n: number; own: number }
        return n !== own
      },
    ),
    attempt(
      'export everything',
      async () => {
        const all = []
        for await (const record of graphA.exportAll({ pageSize: 2 })) all.push(record)
        return all
      },
      showsB,
    ),
    attempt("import a link onto B's node", () =>
      graphA.importAll([{ kind: 'link', from: 'a1', type: 'STEALS', to: 'b3', props: {} }]),
    ),
    attempt("import nodes and links under B's ids", () =>
      graphA.importAll([
        { kind: 'node', id: 'b9', props: { owner: 'a' } },
        { kind: 'link', from: 'b9', type: 'STEALS', to: 'b1', props: {} },
      ]),
    ),
    attempt(
      'clear (its own label only)',
      async () => ({ deleted: await graphA.clear(), bIntact: await bIntact() }),
      (r) => !(r as { bIntact: boolean }).bIntact,
    ),
    attempt('raw: get with a label field', () => post('getNode', { id: 'b1', label: labelB })),
    attempt('raw: upsert with a label field', () =>
      post('upsertNode', { id: 'b1', props: {}, label: labelB }),
    ),
    attempt('raw: neighbours with a database field', () =>
      post('neighbours', { id: 'b1', database: 'neo4j' }),
    ),
    attempt(
      'raw: label as a query parameter',
      () =>
        guardRequest(guardUrl, 'POST', `${route('getNode').path}?label=${labelB}`, {
          token: tokenA,
          body: { id: 'b1' },
        }),
      (r) => (r as { node: unknown }).node !== null,
    ),
    attempt('raw: Cypher route', () =>
      guardRequest(guardUrl, 'POST', '/v1/cypher', {
        token: tokenA,
        body: { query: 'MATCH (n) RETURN n' },
      }),
    ),
    attempt("raw: Neo4j's HTTP API path", () =>
      guardRequest(guardUrl, 'POST', '/db/neo4j/tx/commit', {
        token: tokenA,
        body: { statements: [{ statement: 'MATCH (n) RETURN n' }] },
      }),
    ),
    // Forged and borrowed tokens.
    attempt('no token', () => post('getNode', { id: 'b1' }, '')),
    attempt("A's token with B's label (A's signature)", () =>
      post('getNode', { id: 'b1' }, withClaims(tokenA, { label: labelB })),
    ),
    attempt("A's token with B's name and label (A's signature)", () =>
      post('getNode', { id: 'b1' }, withClaims(tokenA, { sub: ctx.app.b, label: labelB })),
    ),
    attempt("B's token with a tampered signature", () => {
      const [header, payload, signature = ''] = tokenB.split('.')
      const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
      return post('getNode', { id: 'b1' }, `${header}.${payload}.${flipped}`)
    }),
    attempt("B's token truncated", () => post('getNode', { id: 'b1' }, tokenB.slice(0, -4))),
    attempt("B's claims unsigned (alg none)", () =>
      post('getNode', { id: 'b1' }, unsigned(tokenB)),
    ),
    attempt("B's token, expired", async () => {
      const expired = await new SignJWT({ label: labelB })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ctx.app.b)
        .setAudience('neo4j')
        .setExpirationTime('-1 minute')
        .sign(new TextEncoder().encode(ctx.secret))
      return post('getNode', { id: 'b1' }, expired)
    }),
    attempt("an unknown app's token (A's signature)", () =>
      post('countNodes', undefined, withClaims(tokenA, { sub: 'ghost', label: 'App_ghost' })),
    ),
    attempt("B's token for another service under its secret", () =>
      post('getNode', { id: 'b1' }, ctx.tokenBOtherSecret),
    ),
    attempt("A's token with B's name spelled upper-case", () =>
      post('getNode', { id: 'b1' }, withClaims(tokenA, { sub: ctx.app.b.toUpperCase() })),
    ),
    attempt('the Neo4j admin password as a token', () =>
      post('countNodes', undefined, ctx.adminPassword),
    ),
    attempt('Basic auth as the Neo4j admin', () =>
      guardRequest(guardUrl, 'GET', route('countNodes').path, {
        authorization: `Basic ${Buffer.from(`neo4j:${ctx.adminPassword}`).toString('base64')}`,
      }),
    ),
    // Label, backtick, backslash and Cypher tricks in every string field.
    ...hostileFields,
    // Path tricks on the guard's routes.
    ...[
      '/v1/nodes/../nodes/get',
      '/v1/nodes/%2e%2e/nodes/get',
      '/v1%2Fnodes%2Fget',
      '/v1/nodes%2fget',
      '//v1/nodes/get',
      '/v1//nodes/get',
      '/V1/NODES/GET',
      '/v1/nodes/get/',
      '/v1/nodes/get/..',
      `/v1/nodes/get/../../${labelB}`,
    ].map((path) =>
      attempt(
        `path trick ${path}`,
        () => guardRequest(guardUrl, 'POST', path, { token: tokenA, body: { id: 'b1' } }),
        showsB,
      ),
    ),
    // Oversized and wrong-typed bodies.
    attempt('a body over the limit', () =>
      post('upsertNode', { id: 'big', props: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    ),
    attempt('an import batch over the maximum', () =>
      post('importNodes', {
        nodes: Array.from({ length: 10_001 }, (_, i) => ({ id: `n${i}`, props: {} })),
      }),
    ),
    attempt('a number as id', () => post('getNode', { id: 1 })),
    attempt('an array as id', () => post('deleteNode', { id: ['b1'] })),
    attempt('an object as id', () => post('getNode', { id: { $ne: null } })),
    attempt('props as an array', () => post('upsertNode', { id: 'x', props: ['b1'] })),
    attempt('nested props', () => post('upsertNode', { id: 'x', props: { n: { label: labelB } } })),
    attempt("the reserved id key in props (move onto B's id)", () =>
      post('upsertNode', { id: 'a1', props: { id: 'b1' } }),
    ),
    attempt('depth as a string', () => post('neighbours', { id: 'b1', depth: '5' })),
    attempt('depth 6 (unbounded traversal)', () => post('neighbours', { id: 'b1', depth: 6 })),
    attempt('limit over the maximum', () => post('neighbours', { id: 'b1', limit: 100_000 })),
    attempt('a page over the maximum', () => post('exportNodes', { after: '', pageSize: 1e9 })),
    attempt('a non-integer clear batch', () => post('clear', { batchSize: 0.5 })),
    attempt('invalid JSON', () =>
      guardRequest(guardUrl, 'POST', route('getNode').path, { token: tokenA, raw: '{"id":' }),
    ),
    attempt('invalid UTF-8 in a property key', () =>
      guardRequest(guardUrl, 'POST', route('upsertNode').path, {
        token: tokenA,
        raw: Buffer.concat([
          Buffer.from('{"id":"u8","props":{"k'),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('":1}}'),
        ]),
      }),
    ),
    attempt('a raw NUL inside a JSON string', () =>
      guardRequest(guardUrl, 'POST', route('getNode').path, {
        token: tokenA,
        raw: Buffer.from('{"id":"b1\u0000"}'),
      }),
    ),
    // Bolt itself: A holds no Bolt credential, so every login it could try fails.
    ...[
      ['neo4j', tokenA],
      [labelA, tokenA],
      [ctx.app.a, tokenA],
    ].map(([user, password]) =>
      attempt(`Bolt login as ${user} with A's token`, async () => {
        const driver = neo4j.driver(
          ctx.boltUrl,
          neo4j.auth.basic(user as string, password as string),
        )
        try {
          const session = driver.session()
          try {
            return (await session.run('MATCH (n) DETACH DELETE n')).summary.counters.updates()
          } finally {
            await session.close()
          }
        } finally {
          await driver.close()
        }
      }),
    ),
  ]
}

/** A does every graph operation on its own data: the guard refuses because of B, not always. */
export async function graphPositiveControl(graphA: AppGraph, admin: Driver, labelA: string) {
  await graphA.ready()
  await graphA.clear()
  assert.deepEqual(await graphA.upsertNode('n1', { title: 'one' }), { id: 'n1', title: 'one' })
  await graphA.upsertNode('n2')
  assert.equal(await graphA.link('n1', 'n2', 'CITES', { w: 1 }), true)
  assert.deepEqual(await graphA.neighbours('n1'), [{ id: 'n2' }])
  assert.deepEqual(await graphA.getNode('n1'), { id: 'n1', title: 'one' })
  assert.equal(await graphA.count(), 2)
  assert.equal(await countOf(admin, labelA), 2, 'the nodes are in Neo4j under A’s label')
  const snapshot = []
  for await (const record of graphA.exportAll()) snapshot.push(record)
  assert.equal(snapshot.length, 3)
  assert.equal(await graphA.clear(), 2)
  assert.deepEqual(await graphA.importAll(snapshot), { nodes: 2, links: 1 })
  assert.equal(await graphA.unlink('n1', 'n2', 'CITES'), true)
  assert.equal(await graphA.deleteNode('n2'), true)
  assert.equal(await graphA.countLinks(), 0)
}
