import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { labelOfApp, neo4jGuardToken, openGraph, provisionNeo4j } from '@flotilla/data'
import { fuzzOpenApi, fuzzUnavailable, startNeo4j } from '@flotilla/testkit'
import { startLocalGuard as startNeo4jGuard } from '../../../services/neo4j-guard/src/local.js'
import { DOCS_COLLECTION, GRAPH_DATABASE } from '../src/resources.js'
import { FakeQdrant } from './fakes.js'
import { startKb } from './harness.js'

// Real PostgreSQL, the real embedder and real Neo4j behind a real neo4j-guard, as in community
// mode; Qdrant cannot run on the build machine (see live.test.ts), so vectors stay in memory.
test('fuzz kb: every operation of its OpenAPI document, on real PostgreSQL, embedder and Neo4j', {
  skip: await fuzzUnavailable(),
}, async () => {
  const neo4j = await startNeo4j()
  const admin = { url: neo4j.url, user: neo4j.user, password: neo4j.password }
  const secret = randomBytes(24).toString('hex')
  const guard = await startNeo4jGuard({ boltUrl: neo4j.url, ...admin, secret })
  // A label of its own on the shared test Neo4j: fuzzed documents (ids from 1, in a fresh
  // database) must not become neighbours of live.test.ts's documents under kb's label.
  const graphApp = `kbfuzz_${randomBytes(4).toString('hex')}`
  const label = labelOfApp(graphApp)
  await provisionNeo4j(
    admin,
    [{ name: graphApp, resources: { neo4j: { label, database: GRAPH_DATABASE } } }],
    'community',
  )
  const graph = openGraph({
    url: guard.url,
    token: neo4jGuardToken(secret, graphApp),
    label,
    required: false,
  })
  const kb = await startKb({ stores: { vectors: new FakeQdrant(DOCS_COLLECTION), graph } })
  try {
    const report = await fuzzOpenApi({
      name: 'kb',
      url: await kb.app.listen({ host: '127.0.0.1', port: 0 }),
    })
    console.log(report.summary)
    assert.equal(report.problems.length, 0, report.problems.join('\n\n'))
  } finally {
    await kb.close()
    await graph.close()
    await guard.close()
    await neo4j.stop()
  }
})
