/**
 * kb's search through Qdrant on the real all-MiniLM-L6-v2: the ranking set's 30 documents go
 * in through kb's API, each of its 28 questions is asked through /kb/search, and the answering
 * document must come first (29 distractors each) for at least 90% of them. A random-weight
 * model, a broken embedder call or a vector store that mixes up ids fails it.
 *
 * Needs a Qdrant server (none can run on the build machine): QDRANT_URL + QDRANT_API_KEY,
 * as for live.test.ts. Only use a test server: kb's collection is dropped and provisioned
 * anew, so no point from elsewhere can rank; live.test.ts writes into the same collection, so
 * the two must not run at the same time against one server (node --test runs files one at a
 * time on 2 cores, as here and in CI). Needs the real model too
 * (`bash scripts/ci/real-models.sh`).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { mintQdrantToken, openQdrant } from '@flotilla/data'
import { provisionQdrant, qdrantAdminClient } from '@flotilla/data/qdrant/provision'
import { RANKING_DOCUMENTS, RANKING_QUERIES, rankingAccuracy } from '@flotilla/ml'
import { realModelDir } from '@flotilla/ml-service/testing'
import { type Harness as EmbedderHarness, startEmbedder } from '../../embedder/test/harness.js'
import { FakeGraph } from './fakes.js'
import { DOCS_COLLECTION, eventually, type Harness, KB, startKb } from './harness.js'

const env = process.env
const modelDir = await realModelDir('embedding')
const skip =
  !env.QDRANT_URL || !env.QDRANT_API_KEY
    ? 'kb ranking through Qdrant skipped: set QDRANT_URL and QDRANT_API_KEY to run it'
    : !modelDir
      ? 'kb ranking through Qdrant skipped: the real all-MiniLM-L6-v2 is not installed (bash scripts/ci/real-models.sh)'
      : false
if (skip) console.log(skip)

describe('kb ranks the right document first through Qdrant on the real MiniLM', { skip }, () => {
  let embedder: EmbedderHarness
  let kb: Harness<ReturnType<typeof openQdrant>, FakeGraph>
  /** kb's document id → the ranking set's document id. */
  const setIds = new Map<number, string>()

  before(async () => {
    const admin = { url: env.QDRANT_URL ?? '', apiKey: env.QDRANT_API_KEY ?? '' }
    await qdrantAdminClient(admin).deleteCollection(DOCS_COLLECTION)
    // The provisioner's default vectors (384, Cosine) are all-MiniLM-L6-v2's.
    await provisionQdrant(admin, [{ name: 'kb', resources: { qdrant: KB.qdrant } }])
    const vectors = openQdrant({
      url: admin.url,
      token: await mintQdrantToken(admin.apiKey, KB.qdrant.collections),
      collections: KB.qdrant.collections,
      byName: KB.qdrant.byName,
      required: false,
    })
    embedder = await startEmbedder({ MODEL_DIR: modelDir as string, INTRA_OP_THREADS: '2' })
    await embedder.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = embedder.app.server.address() as { port: number }
    // kb calls this embedder (the real model) instead of the harness's generated one.
    kb = await startKb({
      stores: { vectors, graph: new FakeGraph() },
      env: { EMBEDDER_URL: `http://127.0.0.1:${port}`, EMBEDDER_TIMEOUT_MS: '30000' },
    })
    for (const doc of RANKING_DOCUMENTS) {
      const created = await kb.app.inject({
        method: 'POST',
        url: '/kb/documents/',
        payload: { title: doc.text },
      })
      assert.equal(created.statusCode, 201, created.body)
      setIds.set(created.json().id, doc.id)
    }
    await eventually(async () => {
      const search = await kb.app.inject('/kb/search?q=anything')
      assert.equal(search.json().unindexed, 0)
    }, 120_000)
  })

  after(async () => {
    await kb?.close()
    await embedder?.close()
  })

  test('≥ 90% of the questions find their document first among the 30', async () => {
    const result = await rankingAccuracy(async (query) => {
      const search = await kb.app.inject(
        `/kb/search?q=${encodeURIComponent(query)}&limit=${RANKING_DOCUMENTS.length}`,
      )
      assert.equal(search.statusCode, 200, search.body)
      const items: { document: { id: number } }[] = search.json().items
      assert.equal(items.length, RANKING_DOCUMENTS.length, 'every document is searchable')
      return items.map((item) => setIds.get(item.document.id) ?? `unknown ${item.document.id}`)
    })
    const first = result.queries - result.misses.length
    console.log(
      `kb through Qdrant: ${first}/${result.queries} queries found their document first among ${RANKING_DOCUMENTS.length}`,
    )
    for (const miss of result.misses) {
      console.log(`  missed: "${miss.query}" → ${miss.first} (answer: ${miss.answer})`)
    }
    assert.ok(result.queries >= 20 && RANKING_QUERIES.length === result.queries)
    assert.ok(result.accuracy >= 0.9, `${first}/${result.queries} first`)
  })
})
