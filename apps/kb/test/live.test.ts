/**
 * kb against real Qdrant and Neo4j servers. Neo4j always runs: the testkit's Neo4j Community
 * (or the one TEST_NEO4J_URL / NEO4J_URL names), reached through a real neo4j-guard as kb
 * reaches it in community mode. Qdrant cannot run on the build machine: set QDRANT_URL +
 * QDRANT_API_KEY (the server's API key; the test provisions kb's collection and mints kb's
 * scoped token like the provisioner does). Only use test servers: kb's own collection and
 * label are provisioned and the documents created here are deleted again.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { mintQdrantToken, neo4jGuardToken, openGraph, openQdrant } from '@flotilla/data'
import { provisionNeo4j } from '@flotilla/data/neo4j/provision'
import { startNeo4j } from '@flotilla/data/neo4j/test-server'
import { provisionQdrant } from '@flotilla/data/qdrant/provision'
import { startLocalGuard as startNeo4jGuard } from '@flotilla/neo4j-guard'
import { FakeGraph, FakeQdrant } from './fakes.js'
import { DOCS_COLLECTION, KB, startKb } from './harness.js'

const env = process.env
const qdrantSkip =
  env.QDRANT_URL && env.QDRANT_API_KEY
    ? false
    : 'live Qdrant test skipped: set QDRANT_URL and QDRANT_API_KEY to run it'
if (qdrantSkip) console.log(qdrantSkip)

describe('live', () => {
  test("Qdrant: a document is searchable through kb's scoped token, and gone after delete", {
    skip: qdrantSkip,
  }, async () => {
    const admin = { url: env.QDRANT_URL ?? '', apiKey: env.QDRANT_API_KEY ?? '' }
    // The provisioner's default vectors (384, Cosine) match the MiniLM-shaped model.
    await provisionQdrant(admin, [{ name: 'kb', resources: { qdrant: KB.qdrant } }])
    const vectors = openQdrant({
      url: admin.url,
      token: await mintQdrantToken(admin.apiKey, KB.qdrant.collections),
      collections: KB.qdrant.collections,
      byName: KB.qdrant.byName,
      required: false,
    })
    const kb = await startKb({
      model: 'minilm-encoder',
      stores: { vectors, graph: new FakeGraph() },
    })
    try {
      const title = `live search ${Date.now()}`
      const created = await kb.app.inject({
        method: 'POST',
        url: '/kb/documents/',
        payload: { title },
      })
      assert.equal(created.statusCode, 201, created.body)
      const doc = created.json()
      assert.deepEqual(doc.pendingIndex, [])
      const search = await kb.app.inject(`/kb/search?q=${encodeURIComponent(title)}&limit=1`)
      assert.equal(search.statusCode, 200, search.body)
      assert.equal(search.json().items[0].document.id, doc.id)

      await kb.app.inject({ method: 'DELETE', url: `/kb/documents/${doc.id}` })
      const left = await vectors.retrieve(DOCS_COLLECTION, { ids: [doc.id] })
      assert.deepEqual(left, [])
      assert.equal((await kb.app.inject('/readyz')).json().dependencies.qdrant.status, 'up')
    } finally {
      await kb.close()
    }
  })

  test('Neo4j: links and shared tags make related documents', async () => {
    const server = await startNeo4j()
    const admin = { url: server.url, user: server.user, password: server.password }
    const secret = randomBytes(24).toString('hex')
    const guard = await startNeo4jGuard({ boltUrl: server.url, ...admin, secret })
    await provisionNeo4j(admin, [{ name: 'kb', resources: { neo4j: KB.neo4j } }], 'community')
    const graph = openGraph({
      url: guard.url,
      token: await neo4jGuardToken(secret, 'kb', KB.neo4j.label),
      label: KB.neo4j.label,
      required: false,
    })
    const kb = await startKb({ stores: { vectors: new FakeQdrant(KB.qdrant.byName), graph } })
    const tag = `live-${Date.now()}`
    const ids: number[] = []
    try {
      for (const payload of [
        { title: 'live a', tags: [tag] },
        { title: 'live b' },
        { title: 'live c', tags: [tag] },
        { title: 'live d' },
      ]) {
        const response = await kb.app.inject({ method: 'POST', url: '/kb/documents/', payload })
        assert.equal(response.statusCode, 201, response.body)
        ids.push(response.json().id)
      }
      const [a, b, c] = ids as [number, number, number, number]
      assert.equal(
        (await kb.app.inject({ method: 'PUT', url: `/kb/documents/${a}/links/${b}` })).statusCode,
        204,
      )
      const related = await kb.app.inject(`/kb/documents/${a}/related`)
      assert.equal(related.statusCode, 200, related.body)
      assert.deepEqual(
        related.json().items.map((i: { document: { id: number } }) => i.document.id),
        [b, c],
        'the linked document and the one sharing a tag; not the unrelated one',
      )
      assert.equal((await kb.app.inject('/readyz')).json().dependencies.neo4j.status, 'up')
    } finally {
      for (const id of ids) await kb.app.inject({ method: 'DELETE', url: `/kb/documents/${id}` })
      await graph.deleteNode(`tag:${tag}`)
      await kb.close()
      await graph.close()
      await guard.close()
      await server.stop()
    }
  })
})
