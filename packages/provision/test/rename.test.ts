import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startLocalGuard as startChromaGuard } from '@flotilla/chroma-guard'
import { type AppData, appDataConfigFromEnv, openAppData } from '@flotilla/data'
import {
  type ChromaServer,
  DockerUnavailableError,
  startChroma,
} from '@flotilla/data/chroma/test-server'
import { type Neo4jServer, startNeo4j } from '@flotilla/data/neo4j/test-server'
// The real guard from its source: it depends on this package's clients, not the reverse.
import { startLocalGuard as startNeo4jGuard } from '@flotilla/neo4j-guard'
import { Redis } from 'ioredis'
import neo4j, { type Driver } from 'neo4j-driver'
import pg from 'pg'
import {
  addApp,
  appEnvOf,
  makeRepo,
  type Servers,
  startOwnServers,
} from '../../data/test/fixtures.js'
import { startQdrantRecorder } from '../../data/test/qdrant-recorder.js'
import { provisionRepository } from '../src/index.js'

// An app renamed in the registry: provisioned, its clients opened from nothing but the
// credential file, and every store checked as its administrator sees it. Only the provisioner
// derives names, so the renamed app's data must land under the new names and the old ones
// must keep exactly what was written under them before.
const BEFORE = 'rn_before'
const AFTER = 'rn_after'
const QDRANT_KEY = 'qdrant-api-key-for-the-rename-test'

const chroma: ChromaServer | undefined = await startChroma().catch((error: unknown) => {
  if (!(error instanceof DockerUnavailableError)) throw error
  console.log(`# rename test without Chroma: ${error.message}`)
  return undefined
})
const stores = {
  postgres: true,
  redis: true,
  qdrant: ['docs'],
  neo4j: true,
  ...(chroma ? { chroma: ['memories'] } : {}),
}

describe('renaming an app: everything lines up under the new names', () => {
  let servers: Servers
  let neo4jServer: Neo4jServer
  let neo4jAdmin: Driver
  let root: string
  const closers: (() => Promise<unknown>)[] = []
  const qdrant = startQdrantRecorder({ apiKey: QDRANT_KEY })
  const envs: Record<string, Record<string, string>> = {}

  /** Opens the app's clients from its credential file alone and writes `mark` to each store. */
  async function writeAs(app: string, mark: string): Promise<void> {
    envs[app] = await appEnvOf(servers.admin, app)
    const data: AppData = await openAppData(appDataConfigFromEnv(envs[app]))
    try {
      for (const check of data.readiness) await check.check(AbortSignal.timeout(10_000))
      const pool = data.client('postgres')
      await pool.query('CREATE TABLE IF NOT EXISTS marks (mark text NOT NULL)')
      await pool.query('INSERT INTO marks VALUES ($1)', [mark])
      await data.client('redis').set('mark', mark)
      const vectors = data.client('qdrant')
      await vectors.upsert(vectors.collection('docs'), {
        points: [{ id: 1, vector: [1, 0, 0, 0], payload: { mark } }],
      })
      await data.client('neo4j').upsertNode('mark', { mark })
      if (chroma) {
        const scoped = data.client('chroma')
        const collection = await scoped.getOrCreateCollection({
          name: scoped.collections[0] as string,
          embeddingFunction: null,
        })
        await collection.add({ ids: [mark], embeddings: [[1, 0, 0]], documents: [mark] })
      }
    } finally {
      await data.close()
    }
  }

  before(async () => {
    servers = await startOwnServers()
    closers.push(() => servers.stop())
    const recorder = await qdrant
    closers.push(() => recorder.close())
    servers.admin.qdrant = { url: recorder.url, apiKey: QDRANT_KEY }
    neo4jServer = await startNeo4j()
    const bolt = { url: neo4jServer.url, user: neo4jServer.user, password: neo4jServer.password }
    const neo4jSecret = 'neo4j-guard-secret-for-the-rename-test'
    const neo4jGuard = await startNeo4jGuard({ boltUrl: bolt.url, ...bolt, secret: neo4jSecret })
    closers.push(() => neo4jGuard.close())
    servers.admin.neo4j = {
      ...bolt,
      mode: 'community',
      guard: { url: neo4jGuard.url, secret: neo4jSecret },
    }
    neo4jAdmin = neo4j.driver(bolt.url, neo4j.auth.basic(bolt.user, bolt.password))
    closers.push(() => neo4jAdmin.close())
    if (chroma) {
      const secret = 'chroma-guard-secret-for-the-rename-test'
      const adminToken = 'chroma-admin-token-for-the-rename-test'
      const guard = await startChromaGuard({ upstreamUrl: chroma.url, secret, adminToken })
      closers.push(
        () => guard.close(),
        () => chroma.stop(),
      )
      servers.admin.chroma = { url: guard.url, adminToken, secret }
    }

    root = await makeRepo([{ name: BEFORE, stores, redisDb: 6 }])
    await provisionRepository(root, servers.admin)
    await writeAs(BEFORE, 'before')
    // The rename: the manifest's folder and package name change, nothing else.
    await rm(join(root, 'apps', BEFORE), { recursive: true })
    await addApp(root, { name: AFTER, stores, redisDb: 6 })
    await provisionRepository(root, servers.admin)
    await writeAs(AFTER, 'after')
  })

  after(async () => {
    for (const label of [`App_${BEFORE}`, `App_${AFTER}`]) {
      await neo4jAdmin?.executeQuery(`MATCH (n:${label}) DETACH DELETE n`)
      await neo4jAdmin?.executeQuery(`DROP CONSTRAINT ${label}_id_unique IF EXISTS`)
    }
    for (const close of closers.reverse()) await close()
  })

  test('the new credentials name only the new app', () => {
    const names = Object.entries(envs[AFTER] ?? {}).filter(([, value]) => value.includes(BEFORE))
    assert.deepEqual(names, [])
    assert.equal(envs[AFTER]?.REDIS_KEY_PREFIX, `${AFTER}:`)
    assert.equal(envs[AFTER]?.NEO4J_LABEL, `App_${AFTER}`)
    assert.equal(envs[AFTER]?.QDRANT_COLLECTIONS, `docs=${AFTER}__docs`)
  })

  test('postgres: each database holds its own app’s row', async () => {
    for (const [app, mark] of [
      [AFTER, 'after'],
      [BEFORE, 'before'],
    ] as const) {
      const url = new URL(servers.postgres.url)
      url.pathname = `/${app}`
      const client = new pg.Client({ connectionString: url.href })
      await client.connect()
      try {
        const { rows } = await client.query('SELECT mark FROM marks')
        assert.deepEqual(rows, [{ mark }], app)
      } finally {
        await client.end()
      }
    }
  })

  test('redis: each key prefix holds its own app’s key', async () => {
    const admin = new Redis({
      host: servers.redis.host,
      port: servers.redis.port,
      username: 'admin',
      password: servers.admin.redis?.adminPassword,
      db: 6,
    })
    try {
      assert.deepEqual((await admin.keys('*')).sort(), [`${AFTER}:mark`, `${BEFORE}:mark`])
      assert.equal(await admin.get(`${AFTER}:mark`), 'after')
      assert.equal(await admin.get(`${BEFORE}:mark`), 'before')
    } finally {
      admin.disconnect()
    }
  })

  test('qdrant: the renamed app wrote to its own collection only', async () => {
    const { requests } = await qdrant
    const writes = requests.filter((r) => r.method === 'PUT' && r.path.includes('/points'))
    assert.deepEqual(
      writes.map((r) => [r.path.split('?')[0], r.status]),
      [
        [`/collections/${BEFORE}__docs/points`, 200],
        [`/collections/${AFTER}__docs/points`, 200],
      ],
    )
  })

  test('neo4j: each label holds its own app’s node', async () => {
    for (const [app, mark] of [
      [AFTER, 'after'],
      [BEFORE, 'before'],
    ] as const) {
      const { records } = await neo4jAdmin.executeQuery(`MATCH (n:App_${app}) RETURN n.mark AS m`)
      assert.deepEqual(
        records.map((r) => r.get('m')),
        [mark],
        app,
      )
    }
  })

  test('chroma: each tenant holds its own app’s record', {
    skip: !chroma && 'no Docker',
  }, async () => {
    const admin = servers.admin.chroma as { url: string; adminToken: string }
    for (const [app, mark] of [
      [AFTER, 'after'],
      [BEFORE, 'before'],
    ] as const) {
      const base = `${admin.url}/api/v2/tenants/${app}/databases/main/collections`
      const headers = { 'x-chroma-token': admin.adminToken, 'content-type': 'application/json' }
      const collection = (await (await fetch(`${base}/memories`, { headers })).json()) as {
        id: string
      }
      const got = await fetch(`${base}/${collection.id}/get`, {
        method: 'POST',
        headers,
        body: JSON.stringify({}),
      })
      assert.deepEqual(((await got.json()) as { ids: string[] }).ids, [mark], app)
    }
  })
})
