import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  type AppGraph,
  escapeIdentifier,
  type GraphRecord,
  neo4jGuardToken,
  openGraph,
} from '@flotilla/data/neo4j'
import { neo4jPrincipal, provisionNeo4j } from '@flotilla/data/neo4j/provision'
import { type Neo4jServer, startNeo4j } from '@flotilla/data/neo4j/test-server'
import { type LocalGuard, startLocalGuard } from '@flotilla/neo4j-guard'
import neo4j from 'neo4j-driver'
import { targetFor } from '../../data/test/qdrant-recorder.js'

// Community runs for real in every test run (data's Neo4j test server, or TEST_NEO4J_URL /
// NEO4J_URL); Enterprise cannot run here, so its one check needs a server named by the env.
const enterprise = process.env.NEO4J_MODE === 'enterprise'
const skipEnterprise = enterprise
  ? false
  : 'enterprise checks skipped: Neo4j Enterprise cannot run here; set NEO4J_MODE=enterprise and point TEST_NEO4J_URL (or NEO4J_URL) at an Enterprise server'

const suffix = randomBytes(3).toString('hex')
const a = targetFor(`livea${suffix}`, undefined, true)
const b = targetFor(`liveb${suffix}`, undefined, true)
const aRes = a.resources.neo4j ?? { database: '', label: '' }
const bRes = b.resources.neo4j ?? { database: '', label: '' }
const passwords = {
  [a.name]: { password: randomBytes(24).toString('base64url'), isNew: true },
  [b.name]: { password: randomBytes(24).toString('base64url'), isNew: true },
}

describe(`Neo4j live (${enterprise ? 'enterprise' : 'community'}): app A cannot see or change app B`, () => {
  let server: Neo4jServer
  let guard: LocalGuard | undefined
  const guardSecret = randomBytes(24).toString('hex')
  let admin: { url: string; user: string; password: string }
  let graphA: AppGraph
  let graphB: AppGraph
  const mode = enterprise ? 'enterprise' : 'community'

  before(async () => {
    server = await startNeo4j()
    admin = { url: server.url, user: server.user, password: server.password }
    assert.ok((await provisionNeo4j(admin, [a, b], mode, { passwords })).length > 0)
    const again = Object.fromEntries(
      Object.entries(passwords).map(([k, v]) => [k, { ...v, isNew: false }]),
    )
    assert.deepEqual(
      await provisionNeo4j(admin, [a, b], mode, { passwords: again }),
      [],
      'second run changes nothing',
    )
    // As the apps do: enterprise with the app's own Bolt user, community through neo4j-guard
    // with the app's token (the guard, not the app, holds the Bolt login).
    if (!enterprise) {
      guard = await startLocalGuard({
        boltUrl: admin.url,
        user: admin.user,
        password: admin.password,
        secret: guardSecret,
      })
    }
    const open = async (target: typeof a, res: typeof aRes) =>
      guard
        ? openGraph({
            url: guard.url,
            token: await neo4jGuardToken(guardSecret, target.name, res.label),
            label: res.label,
          })
        : openGraph({
            url: admin.url,
            user: neo4jPrincipal(res).user,
            password: passwords[target.name]?.password ?? '',
            mode,
            ...res,
          })
    graphA = await open(a, aRes)
    graphB = await open(b, bRes)
    await graphB.upsertNode('shared', { owner: 'b' })
    await graphB.upsertNode('b-only', { owner: 'b' })
    await graphB.link('shared', 'b-only', 'OWNS')
  })

  after(async () => {
    if (!server) return
    await graphA?.close()
    await graphB?.close()
    await guard?.close()
    const driver = neo4j.driver(admin.url, neo4j.auth.basic(admin.user, admin.password))
    try {
      if (enterprise) {
        for (const res of [aRes, bRes]) {
          const { user: u, role } = neo4jPrincipal(res)
          await driver.executeQuery(
            `DROP USER ${escapeIdentifier(u)} IF EXISTS`,
            {},
            { database: 'system' },
          )
          await driver.executeQuery(
            `DROP ROLE ${escapeIdentifier(role)} IF EXISTS`,
            {},
            { database: 'system' },
          )
          await driver.executeQuery(
            `DROP DATABASE ${escapeIdentifier(res.database)} IF EXISTS`,
            {},
            { database: 'system' },
          )
        }
      } else {
        for (const res of [aRes, bRes]) {
          await driver.executeQuery(`MATCH (n:${escapeIdentifier(res.label)}) DETACH DELETE n`)
          await driver.executeQuery(
            `DROP CONSTRAINT ${escapeIdentifier(`${res.label}_id_unique`)} IF EXISTS`,
          )
        }
      }
    } finally {
      await driver.close()
      await server.stop()
    }
  })

  test('A works on its own graph', async () => {
    await graphA.ready()
    assert.deepEqual(await graphA.upsertNode('shared', { owner: 'a' }), {
      id: 'shared',
      owner: 'a',
    })
    await graphA.upsertNode('a2', { n: 1 })
    assert.equal(await graphA.link('shared', 'a2', 'LINKS'), true)
    assert.deepEqual(await graphA.neighbours('shared'), [{ id: 'a2', n: 1 }])
    assert.equal(await graphA.count(), 2)
  })

  test('A cannot read, link to, unlink, delete or count B’s nodes', async () => {
    assert.equal(await graphA.getNode('b-only'), undefined)
    assert.deepEqual(
      await graphA.getNode('shared'),
      { id: 'shared', owner: 'a' },
      'same id, A’s own node',
    )
    assert.equal(await graphA.link('shared', 'b-only', 'STEALS'), false)
    assert.equal(await graphA.unlink('shared', 'b-only', 'OWNS'), false)
    assert.equal(await graphA.deleteNode('b-only'), false)
    assert.ok(!(await graphA.neighbours('shared', { depth: 5 })).some((n) => n.owner === 'b'))
    assert.equal(await graphA.count(), 2)
    assert.deepEqual(await graphB.getNode('b-only'), { id: 'b-only', owner: 'b' }, 'B intact')
    assert.deepEqual(
      await graphB.neighbours('shared'),
      [{ id: 'b-only', owner: 'b' }],
      'B’s link intact',
    )
    assert.equal(await graphB.count(), 2)
  })

  test('enterprise: A’s user cannot open B’s database at all', {
    skip: skipEnterprise,
  }, async () => {
    const { user: aUser } = neo4jPrincipal(aRes)
    const driver = neo4j.driver(
      admin.url,
      neo4j.auth.basic(aUser, passwords[a.name]?.password ?? ''),
    )
    try {
      for (const text of [
        'MATCH (n) RETURN count(n) AS c',
        'CREATE (n:X) RETURN n',
        'MATCH (n) DETACH DELETE n',
      ]) {
        await assert.rejects(
          driver.executeQuery(text, {}, { database: bRes.database }),
          /not allowed|denied|Forbidden/i,
          text,
        )
      }
      await assert.rejects(
        driver.executeQuery('SHOW USERS', {}, { database: 'system' }),
        /not allowed|denied|Forbidden/i,
      )
    } finally {
      await driver.close()
    }
    assert.equal(await graphB.count(), 2, 'B intact')
  })

  test('export → clear → import restores A exactly and never touches B', async () => {
    const collect = async (graph: AppGraph, pageSize: number) => {
      const all: GraphRecord[] = []
      for await (const record of graph.exportAll({ pageSize })) all.push(record)
      return all
    }
    for (let i = 0; i < 7; i++) await graphA.upsertNode(`p${i}`, { i, tags: ['x', `t${i}`] })
    for (let i = 1; i < 7; i++) await graphA.link('p0', `p${i}`, i % 2 ? 'ODD' : 'EVEN', { i })
    const snapshot = await collect(graphA, 1000)
    assert.deepEqual(await collect(graphA, 2), snapshot, 'pages of 2 give the same records')
    assert.equal(snapshot.filter((r) => r.kind === 'node').length, await graphA.count())
    assert.equal(snapshot.filter((r) => r.kind === 'link').length, await graphA.countLinks())
    assert.ok(!snapshot.some((r) => r.kind === 'node' && r.id === 'b-only'), 'no node of B')

    assert.equal(
      await graphA.clear({ batchSize: 3 }),
      snapshot.filter((r) => r.kind === 'node').length,
    )
    assert.equal(await graphA.count(), 0)
    assert.equal(await graphB.count(), 2, 'clearing A leaves B’s nodes')
    assert.deepEqual(await graphB.neighbours('shared'), [{ id: 'b-only', owner: 'b' }])

    assert.deepEqual(await graphA.importAll(snapshot, { batchSize: 4 }), {
      nodes: await graphA.count(),
      links: await graphA.countLinks(),
    })
    assert.deepEqual(await collect(graphA, 1000), snapshot)
    assert.equal(await graphB.count(), 2, 'importing A leaves B alone')
    await assert.rejects(
      graphA.importAll([{ kind: 'link', from: 'p0', type: 'ODD', to: 'b-only', props: {} }]),
      /name a node the graph does not have/,
      'A cannot link to B’s node by importing',
    )
  })
})
