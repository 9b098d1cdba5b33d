/**
 * The end-to-end checks through nginx that hold on every target the stack deploys to: one body,
 * registered by stack.e2e.ts (Compose) and swarm.e2e.ts (Swarm) with their own Target. What
 * needs one target's own commands (stopping a container, compose's operator commands) stays in
 * that target's entry.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resourcesFor } from '@flotilla/data/names'
import { cosineRanker, rankingAccuracy } from '@flotilla/ml/quality'
import { requester, until } from './body-http.js'
import { run } from './compose.js'
import type { Target } from './stack-handle.js'

export default function body(target: Target): void {
  const hasApp = (name: string) => target.hasApp(name)
  const json = requester(target.base)

  /** A Cypher query run as the admin inside the neo4j container; cypher-shell's plain output. */
  const cypher = async (query: string) =>
    run([
      'docker',
      'exec',
      await target.container('neo4j'),
      'bash',
      '-c',
      'cypher-shell -u neo4j -p "$(cat /run/flotilla/admin/neo4j_password)" --format plain "$0"',
      query,
    ])

  test('notes: CRUD through nginx', { skip: !hasApp('notes') }, async () => {
    const created = await json('POST', '/notes/', { title: 'hello', body: 'from the e2e' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const id = (created.body as { id: number }).id
    const read = await json('GET', `/notes/${id}`)
    assert.equal(read.status, 200)
    assert.equal((read.body as { title: string }).title, 'hello')
    assert.match(read.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/)
    const patched = await json('PATCH', `/notes/${id}`, { title: 'changed' })
    assert.equal(patched.status, 200)
    assert.equal((patched.body as { title: string }).title, 'changed')
    const listed = await json('GET', '/notes/')
    assert.equal(listed.status, 200)
    assert.equal((await json('DELETE', `/notes/${id}`)).status, 204)
    assert.equal((await json('GET', `/notes/${id}`)).status, 404)
  })

  test('embedder: an embedding through nginx', { skip: !hasApp('embedder') }, async () => {
    const response = await json('POST', '/embedder/v1/embeddings', {
      input: 'one small vps',
      model: 'embedding',
    })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    const { data } = response.body as { data: { embedding: number[] }[] }
    assert.equal(data.length, 1)
    assert.ok((data[0]?.embedding.length ?? 0) > 0)
  })

  test('embedder: the stack serves the real all-MiniLM-L6-v2 — the right document ranks first', {
    skip: !hasApp('embedder'),
  }, async () => {
    const embed = async (texts: string[]) => {
      const response = await json('POST', '/embedder/v1/embeddings', {
        input: texts,
        model: 'embedding',
      })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      return (response.body as { data: { embedding: number[] }[] }).data.map((d) => d.embedding)
    }
    const result = await rankingAccuracy(await cosineRanker(embed))
    console.log(
      `# ranking through nginx: ${result.queries - result.misses.length}/${result.queries} queries found their document first`,
    )
    assert.ok(result.accuracy >= 0.9, `random or wrong weights: ${JSON.stringify(result.misses)}`)
  })

  test('classifier: a classification through nginx', { skip: !hasApp('classifier') }, async () => {
    const response = await json('POST', '/classifier/predict', { inputs: 'a fine day' })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    const predictions = response.body as { label: string; score: number }[]
    assert.ok(predictions.length > 0)
    assert.equal(typeof predictions[0]?.label, 'string')
  })

  test('kb: a document lands in PostgreSQL; search needs Qdrant', {
    skip: !hasApp('kb'),
  }, async () => {
    const created = await json('POST', '/kb/documents/', { title: 'one vps', body: 'many apps' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const { id } = created.body as { id: number }
    assert.equal((await json('GET', `/kb/documents/${id}`)).status, 200)
    const search = await json('GET', '/kb/search?q=apps')
    if (target.missing().includes('qdrant')) {
      // Without Qdrant the write is kept and queued for indexing; search says so plainly.
      assert.equal(search.status, 503, JSON.stringify(search.body))
      assert.equal(
        (search.body as { error: { code: string } }).error.code,
        'DEPENDENCY_UNAVAILABLE',
      )
    } else {
      assert.equal(search.status, 200, JSON.stringify(search.body))
    }
  })

  const kbApp = target.registry.apps.find((app) => app.name === 'kb')
  const kbLabel = kbApp && resourcesFor(kbApp).neo4j?.label

  test("neo4j: in the stack, healthy, and given every graph app's label constraint by provision", async () => {
    assert.ok(!target.missing().includes('neo4j'), 'docker-up.sh neo4j builds the neo4j stand-in')
    const id = await target.container('neo4j')
    const health = (await run(['docker', 'inspect', '-f', '{{.State.Health.Status}}', id])).trim()
    assert.equal(health, 'healthy')
    const constraints = await cypher(
      "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type WHERE type = 'UNIQUENESS' " +
        'RETURN labelsOrTypes[0] AS label, properties[0] AS property',
    )
    const labels = target.registry.apps.flatMap((app) => resourcesFor(app).neo4j?.label ?? [])
    assert.ok(labels.length > 0, 'some app uses Neo4j')
    for (const label of labels) assert.match(constraints, new RegExp(`^"${label}", "id"$`, 'm'))
  })

  test('kb: related documents through nginx come from links stored in Neo4j', {
    skip: !kbLabel,
  }, async () => {
    const create = async (title: string, tags: string[]) => {
      const created = await json('POST', '/kb/documents/', { title, body: 'e2e', tags })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return (created.body as { id: number }).id
    }
    const tag = `e2e-${process.pid}`
    const a = await create('graph a', [tag])
    const b = await create('graph b', [])
    const c = await create('graph c', [tag])
    const unrelated = await create('graph d', [])
    const linked = await json('PUT', `/kb/documents/${a}/links/${b}`)
    assert.equal(linked.status, 204, JSON.stringify(linked.body))

    // A write indexes inline for a bounded time, then the background job: wait until the
    // graph index of a (its links) and c (its tag) is up to date.
    await until(async () => {
      for (const id of [a, b, c]) {
        const doc = await json('GET', `/kb/documents/${id}`)
        if ((doc.body as { pendingIndex: string[] }).pendingIndex.includes('graph')) return false
      }
      return true
    }, 60_000)
    const stored = await cypher(
      `MATCH (:${kbLabel} {id: 'doc:${a}'})-[r:LINKS_TO]->(:${kbLabel} {id: 'doc:${b}'}) RETURN count(r) AS links`,
    )
    assert.match(stored, /^1$/m, 'the link is a relationship in Neo4j')

    type Related = { items: { document: { id: number }; linked: boolean; sharedTags: string[] }[] }
    const related = await json('GET', `/kb/documents/${a}/related`)
    assert.equal(related.status, 200, JSON.stringify(related.body))
    const items = (related.body as Related).items
    assert.deepEqual(
      items.map((item) => [item.document.id, item.linked, item.sharedTags]),
      [
        [b, true, []],
        [c, false, [tag]],
      ],
    )
    assert.ok(!items.some((item) => item.document.id === unrelated))
    // Links count either way.
    const back = await json('GET', `/kb/documents/${b}/related`)
    assert.equal(back.status, 200)
    assert.deepEqual(
      (back.body as Related).items.filter((item) => item.linked).map((item) => item.document.id),
      [a],
    )

    assert.equal((await json('DELETE', `/kb/documents/${a}/links/${b}`)).status, 204)
    await until(async () => {
      const doc = await json('GET', `/kb/documents/${a}`)
      return !(doc.body as { pendingIndex: string[] }).pendingIndex.includes('graph')
    }, 60_000)
    const unlinked = await json('GET', `/kb/documents/${a}/related`)
    assert.deepEqual(
      (unlinked.body as Related).items.map((item) => item.document.id),
      [c],
      'after unlinking, only the tag relates a and c',
    )
    for (const id of [a, b, c, unrelated]) await json('DELETE', `/kb/documents/${id}`)
  })

  test('status page at /', { skip: !hasApp('status') }, async () => {
    const response = await fetch(`${target.base}/`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/html/)
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
  })

  test('internal endpoints are not reachable through nginx', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/docs/json', '/%6detrics']) {
      const response = await json('GET', path)
      assert.equal(response.status, 404, path)
      assert.equal((response.body as { error: { code: string } }).error.code, 'NOT_FOUND', path)
    }
  })
}
