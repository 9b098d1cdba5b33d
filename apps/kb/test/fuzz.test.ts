import { randomBytes } from 'node:crypto'
import { labelOfApp, neo4jGuardToken, openGraph } from '@flotilla/data'
import { provisionNeo4j } from '@flotilla/data/neo4j/provision'
import { startNeo4j } from '@flotilla/data/neo4j/test-server'
import { startLocalGuard as startNeo4jGuard } from '@flotilla/neo4j-guard'
import { fuzzTest } from '@flotilla/testkit'
import { FakeQdrant } from './fakes.js'
import { KB, startKb } from './harness.js'

// Real PostgreSQL, the real embedder and real Neo4j behind a real neo4j-guard, as in community
// mode; Qdrant cannot run on the build machine (see live.test.ts), so vectors stay in memory.
fuzzTest('kb', 'on real PostgreSQL, embedder and Neo4j', async () => {
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
    [{ name: graphApp, resources: { neo4j: { label, database: KB.neo4j.database } } }],
    'community',
  )
  const graph = openGraph({
    url: guard.url,
    token: await neo4jGuardToken(secret, graphApp, label),
    label,
    required: false,
  })
  const kb = await startKb({ stores: { vectors: new FakeQdrant(KB.qdrant.byName), graph } })
  return {
    url: await kb.app.listen({ host: '127.0.0.1', port: 0 }),
    async close() {
      await kb.close()
      await graph.close()
      await guard.close()
      await neo4j.stop()
    },
  }
})
