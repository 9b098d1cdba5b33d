import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { eventually, type Harness, startKb } from './harness.js'

let kb: Harness
before(async () => {
  kb = await startKb()
})
after(() => kb.close())

async function create(title: string, tags: string[] = []) {
  const response = await kb.app.inject({
    method: 'POST',
    url: '/kb/documents/',
    payload: { title, tags },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json()
}

async function readiness() {
  const response = await kb.app.inject('/readyz')
  return { statusCode: response.statusCode, ...response.json() }
}

/** Waits for the background job (not a request) to bring the document's indexes up to date. */
async function indexed(id: number) {
  return eventually(async () => {
    const doc = (await kb.app.inject(`/kb/documents/${id}`)).json()
    assert.deepEqual(doc.pendingIndex, [])
    return doc
  })
}

async function queueRows(): Promise<{ document_id: number; target: string; attempts: number }[]> {
  const { rows } = await kb.sql.query(
    'SELECT document_id, target, attempts FROM index_queue ORDER BY document_id, target',
  )
  return rows
}

describe('embedder down', () => {
  test('writes land in PostgreSQL and are queued; search is 503; /readyz is degraded', async () => {
    await kb.embedder.cut()
    let doc: { id: number; title: string; pendingIndex: string[] }
    try {
      doc = await create('written while the embedder is away', ['outage'])
      assert.deepEqual(doc.pendingIndex, ['vector'], 'the graph needs no embedder')
      assert.equal(kb.vectors.points.has(String(doc.id)), false)
      assert.ok(kb.graph.nodes.has(`doc:${doc.id}`))
      const stored = await kb.sql.query('SELECT title FROM documents WHERE id = $1', [doc.id])
      assert.equal(stored.rows[0]?.title, doc.title)

      // Edited twice while down: only the latest version may end up indexed.
      for (const title of ['second version', 'third version']) {
        const patched = await kb.app.inject({
          method: 'PATCH',
          url: `/kb/documents/${doc.id}`,
          payload: { title },
        })
        assert.equal(patched.statusCode, 200)
      }

      const search = await kb.app.inject('/kb/search?q=anything')
      assert.equal(search.statusCode, 503)
      assert.equal(search.json().error.code, 'DEPENDENCY_UNAVAILABLE')
      assert.match(search.json().error.message, /^embedder is unavailable/)
      assert.equal(search.headers['retry-after'], '5')

      const ready = await readiness()
      assert.equal(ready.statusCode, 200)
      assert.equal(ready.status, 'degraded')
      assert.equal(ready.dependencies.embedder.status, 'down')
      assert.equal(ready.dependencies.postgres.status, 'up')

      // The background job keeps trying and records why it cannot finish.
      await eventually(async () => {
        const row = (await queueRows()).find((r) => r.document_id === doc.id)
        assert.ok(row && row.attempts >= 2, 'retried with backoff')
      })
      const status = (await kb.app.inject('/admin/index-queue')).json()
      assert.ok(status.vector.pending >= 1)
      assert.match(status.lastError, /embedder/)
    } finally {
      await kb.embedder.restore()
    }

    // Nobody calls reindex: the in-process job drains the queue once the embedder is back.
    const caughtUp = await indexed(doc.id)
    assert.equal(caughtUp.title, 'third version')
    assert.equal(kb.vectors.points.get(String(doc.id))?.payload.title, 'third version')
    assert.deepEqual(await queueRows(), [])
    const search = await kb.app.inject(`/kb/search?q=${encodeURIComponent(caughtUp.title)}`)
    assert.equal(search.statusCode, 200)
    assert.equal(search.json().items[0].document.id, doc.id)
    assert.equal((await readiness()).status, 'ready')
  })
})

describe('Qdrant down', () => {
  test('writes and deletes queue; search is 503; all is caught up when it returns', async () => {
    const kept = await indexed((await create('indexed before the outage')).id)
    kb.vectors.down = true
    let added: { id: number; pendingIndex: string[] }
    try {
      added = await create('written while Qdrant is away')
      assert.deepEqual(added.pendingIndex, ['vector'])
      const deleted = await kb.app.inject({ method: 'DELETE', url: `/kb/documents/${kept.id}` })
      assert.equal(deleted.statusCode, 204)
      assert.ok(kb.vectors.points.has(String(kept.id)), 'its removal is still queued')

      const search = await kb.app.inject('/kb/search?q=outage')
      assert.equal(search.statusCode, 503)
      assert.match(search.json().error.message, /^qdrant is unavailable/)
      const ready = await readiness()
      assert.equal(ready.status, 'degraded')
      assert.equal(ready.dependencies.qdrant.status, 'down')
    } finally {
      kb.vectors.down = false
    }
    await indexed(added.id)
    await eventually(async () => assert.deepEqual(await queueRows(), []))
    assert.ok(kb.vectors.points.has(String(added.id)))
    assert.equal(kb.vectors.points.has(String(kept.id)), false, 'the deletion reached Qdrant')
  })
})

describe('Neo4j down', () => {
  test('links and tags queue; related is 503; the graph is rebuilt when it returns', async () => {
    const a = await create('graph a', ['g'])
    const b = await create('graph b')
    kb.graph.down = true
    let c: { id: number; pendingIndex: string[] }
    try {
      c = await create('graph c', ['g'])
      assert.deepEqual(c.pendingIndex, ['graph'])
      const linked = await kb.app.inject({
        method: 'PUT',
        url: `/kb/documents/${a.id}/links/${b.id}`,
      })
      assert.equal(linked.statusCode, 204)
      assert.deepEqual((await kb.app.inject(`/kb/documents/${a.id}`)).json().pendingIndex, [
        'graph',
      ])

      const related = await kb.app.inject(`/kb/documents/${a.id}/related`)
      assert.equal(related.statusCode, 503)
      assert.match(related.json().error.message, /^neo4j is unavailable/)
      assert.equal((await readiness()).dependencies.neo4j.status, 'down')
      // Search does not need the graph.
      assert.equal((await kb.app.inject('/kb/search?q=graph')).statusCode, 200)
    } finally {
      kb.graph.down = false
    }
    await indexed(a.id)
    await indexed(c.id)
    const related = (await kb.app.inject(`/kb/documents/${a.id}/related`)).json().items
    assert.deepEqual(
      related.map((i: { document: { id: number } }) => i.document.id),
      [b.id, c.id],
    )
  })
})

describe('PostgreSQL down', () => {
  test('writes answer 503 in the error shape and /readyz is unavailable', async () => {
    await kb.postgres.cut()
    try {
      const write = await kb.app.inject({
        method: 'POST',
        url: '/kb/documents/',
        payload: { title: 'cannot be stored' },
      })
      assert.equal(write.statusCode, 503)
      assert.deepEqual(write.json(), {
        error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'postgres is unavailable' },
      })
      const ready = await readiness()
      assert.equal(ready.statusCode, 503)
      assert.equal(ready.dependencies.postgres.required, true)
    } finally {
      await kb.postgres.restore()
    }
    await eventually(async () => assert.equal((await readiness()).statusCode, 200))
  })
})

describe('POST /admin/reindex', () => {
  test('?all=true rebuilds Qdrant and Neo4j from PostgreSQL (after losing them)', async () => {
    const a = await create('rebuilt a', ['r'])
    const b = await create('rebuilt b', ['r'])
    await kb.app.inject({ method: 'PUT', url: `/kb/documents/${a.id}/links/${b.id}` })
    kb.vectors.points.clear()
    kb.graph.nodes.clear()
    kb.graph.edges = []

    const response = await kb.app.inject({ method: 'POST', url: '/admin/reindex?all=true' })
    assert.equal(response.statusCode, 200, response.body)
    const { rows } = await kb.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM documents')
    assert.equal(response.json().queued, rows[0]?.n)
    // The background job may take some of the work; together nothing is left.
    await eventually(async () => assert.deepEqual(await queueRows(), []))
    assert.equal(kb.vectors.points.size, rows[0]?.n)
    assert.ok(kb.graph.hasEdge(`doc:${a.id}`, `doc:${b.id}`, 'LINKS_TO'))
    assert.ok(kb.graph.hasEdge(`doc:${b.id}`, 'tag:r', 'TAGGED'))
  })

  test('is not part of the public /kb/ API', async () => {
    assert.equal(
      (await kb.app.inject({ method: 'POST', url: '/kb/admin/reindex' })).statusCode,
      404,
    )
  })
})

describe('a crashed indexer', () => {
  test('a job whose lease ran out (its worker died) is picked up again', async () => {
    const doc = await create('lease test')
    kb.vectors.points.delete(String(doc.id))
    await kb.sql.query(
      `INSERT INTO index_queue (document_id, target, leased_until)
       VALUES ($1, 'vector', now() - interval '1 second')`,
      [doc.id],
    )
    await indexed(doc.id)
    assert.ok(kb.vectors.points.has(String(doc.id)))
  })
})

describe('no embedder in the registry', () => {
  test('no EMBEDDER_URL in the credentials: kb serves, writes queue, search is 503', async () => {
    // An empty value is an unset one (loadConfig), as a credential file without the line.
    const alone = await startKb({ env: { EMBEDDER_URL: '' } })
    try {
      const created = await alone.app.inject({
        method: 'POST',
        url: '/kb/documents/',
        payload: { title: 'written with no embedder at all' },
      })
      assert.equal(created.statusCode, 201, created.body)
      assert.deepEqual(created.json().pendingIndex, ['vector'])
      const search = await alone.app.inject('/kb/search?q=anything')
      assert.equal(search.statusCode, 503)
      assert.match(search.json().error.message, /EMBEDDER_URL is not set/)
      const ready = (await alone.app.inject('/readyz')).json()
      assert.equal(ready.status, 'degraded')
      assert.match(ready.dependencies.embedder.error, /not configured/)
    } finally {
      await alone.close()
    }
  })
})
