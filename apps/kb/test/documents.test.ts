import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type Harness, startKb } from './harness.js'

let kb: Harness
before(async () => {
  kb = await startKb()
})
after(() => kb.close())

async function create(payload: { title: string; body?: string; tags?: string[] }) {
  const response = await kb.app.inject({ method: 'POST', url: '/kb/documents/', payload })
  assert.equal(response.statusCode, 201, response.body)
  return response.json()
}

async function link(from: number, to: number, method: 'PUT' | 'DELETE' = 'PUT') {
  return kb.app.inject({ method, url: `/kb/documents/${from}/links/${to}` })
}

describe('documents', () => {
  test('a write is stored, embedded by the embedder, and in Qdrant and Neo4j before the answer', async () => {
    const doc = await create({ title: 'Boats', body: 'how flotillas sail', tags: ['sea', 'ops'] })
    assert.deepEqual(doc.pendingIndex, [])
    assert.deepEqual(doc.tags, ['sea', 'ops'])
    const point = kb.vectors.points.get(String(doc.id))
    assert.ok(point, 'the vector is upserted')
    assert.equal(point.vector.length, 32, 'the tiny model embeds in 32 dimensions')
    assert.ok(
      Math.abs(Math.hypot(...point.vector) - 1) < 1e-4,
      'unit length, as the embedder returns',
    )
    assert.deepEqual(point.payload, { documentId: doc.id, title: 'Boats' })
    assert.equal(kb.graph.nodes.get(`doc:${doc.id}`)?.title, 'Boats')
    assert.ok(kb.graph.hasEdge(`doc:${doc.id}`, 'tag:sea', 'TAGGED'))
    assert.ok(kb.graph.hasEdge(`doc:${doc.id}`, 'tag:ops', 'TAGGED'))
  })

  test('a body longer than the embedder accepts is still indexed', async () => {
    const doc = await create({ title: 'long', body: 'word '.repeat(19_000) })
    assert.deepEqual(doc.pendingIndex, [])
    assert.ok(kb.vectors.points.has(String(doc.id)))
  })

  test('read, update (re-indexed), delete (unindexed)', async () => {
    const doc = await create({ title: 'draft', tags: ['a'] })
    const read = await kb.app.inject(`/kb/documents/${doc.id}`)
    assert.deepEqual(read.json(), doc)
    const before = kb.vectors.points.get(String(doc.id))?.vector

    const patched = await kb.app.inject({
      method: 'PATCH',
      url: `/kb/documents/${doc.id}`,
      payload: { title: 'final', tags: ['b'] },
    })
    assert.equal(patched.statusCode, 200, patched.body)
    assert.equal(patched.json().title, 'final')
    assert.deepEqual(patched.json().pendingIndex, [])
    assert.notDeepEqual(kb.vectors.points.get(String(doc.id))?.vector, before, 're-embedded')
    assert.equal(kb.vectors.points.get(String(doc.id))?.payload.title, 'final')
    assert.equal(kb.graph.nodes.get(`doc:${doc.id}`)?.title, 'final')
    assert.ok(kb.graph.hasEdge(`doc:${doc.id}`, 'tag:b', 'TAGGED'))
    assert.ok(!kb.graph.hasEdge(`doc:${doc.id}`, 'tag:a', 'TAGGED'), 'the old tag edge is gone')

    const deleted = await kb.app.inject({ method: 'DELETE', url: `/kb/documents/${doc.id}` })
    assert.equal(deleted.statusCode, 204)
    assert.equal(kb.vectors.points.has(String(doc.id)), false)
    assert.equal(kb.graph.nodes.has(`doc:${doc.id}`), false)
    const gone = await kb.app.inject(`/kb/documents/${doc.id}`)
    assert.equal(gone.statusCode, 404)
    assert.equal(gone.json().error.code, 'DOCUMENT_NOT_FOUND')
  })

  test('the list pages backwards through every document exactly once', async () => {
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push((await create({ title: `page ${i}` })).id)
    const seen: number[] = []
    let before: number | null = null
    do {
      const query: string = before === null ? '' : `&before=${before}`
      const page = (await kb.app.inject(`/kb/documents/?limit=2${query}`)).json()
      assert.ok(page.items.length <= 2)
      seen.push(...page.items.map((d: { id: number }) => d.id))
      before = page.nextBefore
    } while (before !== null)
    for (const id of ids) assert.equal(seen.filter((s) => s === id).length, 1)
  })
})

describe('search', () => {
  test('the document whose text is the query comes first, with its score', async () => {
    const texts = ['tide tables for the harbour', 'a recipe for lentil soup', 'kernel scheduling']
    const docs = []
    for (const title of texts) docs.push(await create({ title }))
    const response = await kb.app.inject(
      `/kb/search?q=${encodeURIComponent('a recipe for lentil soup')}&limit=3`,
    )
    assert.equal(response.statusCode, 200, response.body)
    const { items, unindexed } = response.json()
    assert.equal(items.length, 3)
    assert.equal(items[0].document.id, docs[1].id)
    assert.ok(items[0].score > 0.999, `identical text scores ~1, got ${items[0].score}`)
    assert.ok(items[0].score >= items[1].score && items[1].score >= items[2].score)
    assert.equal(unindexed, 0)
  })

  test('a deleted document never appears, even while its vector is still in Qdrant', async () => {
    const doc = await create({ title: 'ephemeral note about gulls' })
    const vector = kb.vectors.points.get(String(doc.id))
    assert.ok(vector)
    const deleted = await kb.app.inject({ method: 'DELETE', url: `/kb/documents/${doc.id}` })
    assert.equal(deleted.statusCode, 204)
    kb.vectors.points.set(String(doc.id), vector) // as if its removal were still queued
    const response = await kb.app.inject(`/kb/search?q=${encodeURIComponent(doc.title)}&limit=50`)
    assert.equal(response.statusCode, 200)
    const ids = response.json().items.map((item: { document: { id: number } }) => item.document.id)
    assert.ok(!ids.includes(doc.id))
    kb.vectors.points.delete(String(doc.id))
  })
})

describe('links and related documents', () => {
  test('linked (either way) and tag-sharing documents up to two hops, linked first', async () => {
    const a = await create({ title: 'A', tags: ['shared'] })
    const b = await create({ title: 'B' })
    const c = await create({ title: 'C' })
    const d = await create({ title: 'D', tags: ['shared'] })
    const e = await create({ title: 'E', tags: ['alone'] })
    const far = await create({ title: 'three hops away' })
    assert.equal((await link(a.id, b.id)).statusCode, 204)
    assert.equal((await link(a.id, b.id)).statusCode, 204, 'idempotent')
    assert.equal((await link(c.id, b.id)).statusCode, 204)
    assert.equal((await link(c.id, far.id)).statusCode, 204)
    assert.deepEqual((await kb.app.inject(`/kb/documents/${a.id}`)).json().links, [b.id])

    const related = await kb.app.inject(`/kb/documents/${a.id}/related`)
    assert.equal(related.statusCode, 200, related.body)
    const items = related.json().items
    const summary = items.map(
      (i: { document: { id: number }; linked: boolean; sharedTags: string[] }) => [
        i.document.id,
        i.linked,
        i.sharedTags,
      ],
    )
    assert.deepEqual(summary, [
      [b.id, true, []],
      [d.id, false, ['shared']],
      [c.id, false, []],
    ])
    assert.ok(
      !items.some((i: { document: { id: number } }) => [e.id, far.id].includes(i.document.id)),
    )

    assert.equal((await link(a.id, b.id, 'DELETE')).statusCode, 204)
    assert.ok(!kb.graph.hasEdge(`doc:${a.id}`, `doc:${b.id}`, 'LINKS_TO'))
    const after = (await kb.app.inject(`/kb/documents/${a.id}/related`)).json().items
    assert.deepEqual(
      after.map((i: { document: { id: number } }) => i.document.id),
      [d.id],
    )
  })

  test('link errors name the problem', async () => {
    const a = await create({ title: 'lonely' })
    const self = await link(a.id, a.id)
    assert.equal(self.statusCode, 400)
    assert.equal(self.json().error.code, 'SELF_LINK')
    const missing = await link(a.id, 2_000_000_000)
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().error.message, 'document 2000000000 does not exist')
    const noLink = await link(a.id, a.id + 1, 'DELETE')
    assert.equal(noLink.statusCode, 404)
    assert.equal(noLink.json().error.code, 'LINK_NOT_FOUND')
    assert.equal((await kb.app.inject('/kb/documents/2000000000/related')).statusCode, 404)
  })
})

describe('validation', () => {
  const cases = [
    { name: 'empty title', method: 'POST', url: '/kb/documents/', payload: { title: '' } },
    { name: 'unknown field', method: 'POST', url: '/kb/documents/', payload: { title: 'a', x: 1 } },
    {
      name: 'bad tag',
      method: 'POST',
      url: '/kb/documents/',
      payload: { title: 'a', tags: ['No Caps'] },
    },
    {
      name: 'repeated tag',
      method: 'POST',
      url: '/kb/documents/',
      payload: { title: 'a', tags: ['x', 'x'] },
    },
    { name: 'empty patch', method: 'PATCH', url: '/kb/documents/1', payload: {} },
    { name: 'non-numeric id', method: 'GET', url: '/kb/documents/abc' },
    { name: 'search without q', method: 'GET', url: '/kb/search' },
    { name: 'search limit too big', method: 'GET', url: '/kb/search?q=x&limit=500' },
    { name: 'related depth is fixed', method: 'GET', url: '/kb/documents/1/related?depth=5' },
  ] as const
  for (const { name, ...request } of cases) {
    test(`${name} → 400 in the error shape`, async () => {
      const response = await kb.app.inject(request)
      assert.equal(response.statusCode, 400, response.body)
      assert.equal(response.json().error.code, 'VALIDATION_ERROR')
    })
  }
})

describe('a NUL character in text', () => {
  const nul = 'before\u0000after'
  const count = async () =>
    Number((await kb.sql.query('SELECT count(*) AS n FROM documents')).rows[0].n)

  for (const [name, payload] of [
    ['title', { title: nul }],
    ['body', { title: 'fine', body: nul }],
  ] as const) {
    test(`POST with a NUL in the ${name} → 400 in the error shape, nothing stored`, async () => {
      const before = await count()
      const response = await kb.app.inject({ method: 'POST', url: '/kb/documents/', payload })
      assert.equal(response.statusCode, 400, response.body)
      assert.deepEqual(Object.keys(response.json()), ['error'])
      assert.equal(response.json().error.code, 'INVALID_VALUE')
      assert.match(response.json().error.message, /NUL/)
      assert.equal(await count(), before)
    })
  }

  for (const field of ['title', 'body'] as const) {
    test(`PATCH with a NUL in the ${field} → 400, the document unchanged`, async () => {
      const document = await create({ title: 'untouched', body: 'as written' })
      const response = await kb.app.inject({
        method: 'PATCH',
        url: `/kb/documents/${document.id}`,
        payload: { [field]: nul },
      })
      assert.equal(response.statusCode, 400, response.body)
      assert.equal(response.json().error.code, 'INVALID_VALUE')
      const stored = (await kb.app.inject(`/kb/documents/${document.id}`)).json()
      assert.equal(stored.title, 'untouched')
      assert.equal(stored.body, 'as written')
    })
  }
})
