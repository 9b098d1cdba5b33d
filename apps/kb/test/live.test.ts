/**
 * kb against real Qdrant and Neo4j servers, which cannot run on the build machine. Set
 * QDRANT_URL + QDRANT_API_KEY (the server's API key; the test provisions kb's collection
 * and mints kb's scoped token like the provisioner does) and/or NEO4J_URL + NEO4J_PASSWORD
 * (+ NEO4J_USER; community mode). Only use a test server: kb's own collection and label
 * are provisioned and the documents created here are deleted again.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  mintQdrantToken,
  openGraph,
  openQdrant,
  provisionNeo4j,
  provisionQdrant,
} from '@flotilla/data'
import { DOCS_COLLECTION, GRAPH_DATABASE, GRAPH_LABEL } from '../src/resources.js'
import { FakeGraph, FakeQdrant } from './fakes.js'
import { startKb } from './harness.js'

const env = process.env
const qdrantSkip =
  env.QDRANT_URL && env.QDRANT_API_KEY
    ? false
    : 'live Qdrant test skipped: set QDRANT_URL and QDRANT_API_KEY to run it'
const neo4jSkip =
  env.NEO4J_URL && env.NEO4J_PASSWORD
    ? false
    : 'live Neo4j test skipped: set NEO4J_URL and NEO4J_PASSWORD to run it'
for (const reason of [qdrantSkip, neo4jSkip]) if (reason) console.log(reason)

describe('live', () => {
  test("Qdrant: a document is searchable through kb's scoped token, and gone after delete", {
    skip: qdrantSkip,
  }, async () => {
    const admin = { url: env.QDRANT_URL ?? '', apiKey: env.QDRANT_API_KEY ?? '' }
    // The provisioner's default vectors (384, Cosine) match the MiniLM-shaped model.
    await provisionQdrant(admin, [
      { name: 'kb', resources: { qdrant: { collections: [DOCS_COLLECTION] } } },
    ])
    const vectors = openQdrant({
      url: admin.url,
      token: await mintQdrantToken(admin.apiKey, [DOCS_COLLECTION]),
      collections: [DOCS_COLLECTION],
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

  test('Neo4j: links and shared tags make related documents', { skip: neo4jSkip }, async () => {
    const admin = {
      url: env.NEO4J_URL ?? '',
      user: env.NEO4J_USER ?? 'neo4j',
      password: env.NEO4J_PASSWORD ?? '',
    }
    await provisionNeo4j(
      admin,
      [{ name: 'kb', resources: { neo4j: { label: GRAPH_LABEL, database: GRAPH_DATABASE } } }],
      'community',
    )
    const graph = openGraph({ ...admin, label: GRAPH_LABEL, required: false })
    const kb = await startKb({ stores: { vectors: new FakeQdrant(DOCS_COLLECTION), graph } })
    const tag = `live-${Date.now()}`
    const ids: number[] = []
    try {
      for (const payload of [
        { title: 'live a', tags: [tag] },
        { title: 'live b' },
        { title: 'live c', tags: [tag] },
      ]) {
        const response = await kb.app.inject({ method: 'POST', url: '/kb/documents/', payload })
        assert.equal(response.statusCode, 201, response.body)
        ids.push(response.json().id)
      }
      const [a, b, c] = ids as [number, number, number]
      assert.equal(
        (await kb.app.inject({ method: 'PUT', url: `/kb/documents/${a}/links/${b}` })).statusCode,
        204,
      )
      const related = await kb.app.inject(`/kb/documents/${a}/related`)
      assert.equal(related.statusCode, 200, related.body)
      assert.deepEqual(
        related.json().items.map((i: { document: { id: number } }) => i.document.id),
        [b, c],
      )
    } finally {
      for (const id of ids) await kb.app.inject({ method: 'DELETE', url: `/kb/documents/${id}` })
      await graph.deleteNode(`tag:${tag}`)
      await kb.close()
      await graph.close()
    }
  })
})
