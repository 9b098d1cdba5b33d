import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { type LocalGuard, startLocalGuard } from '@flotilla/chroma-guard'
import { type AppData, appDataConfigFromEnv, openAppData } from '@flotilla/data'
import {
  type ChromaServer,
  DockerUnavailableError,
  startChroma,
} from '@flotilla/data/chroma/test-server'
import { type AppGraph, labelOfApp, neo4jGuardToken } from '@flotilla/data/neo4j'
import { type Neo4jServer, startNeo4j } from '@flotilla/data/neo4j/test-server'
import {
  type LocalGuard as Neo4jGuard,
  startLocalGuard as startNeo4jGuard,
} from '@flotilla/neo4j-guard'
import { appToken } from '@flotilla/stack'
import { ChromaClient, type EmbeddingFunction } from 'chromadb'
import { Redis } from 'ioredis'
import { SignJWT } from 'jose'
import neo4j, { type Driver } from 'neo4j-driver'
import pg from 'pg'
import { appEnvOf, makeRepo, type Servers, startOwnServers } from '../../data/test/fixtures.js'
import { unsigned, withClaims } from '../../data/test/token-forgery.js'
import { provisionRepository } from '../src/index.js'
import {
  graphAttempts,
  graphChecksum,
  graphPositiveControl,
  seedGraphOfB,
} from './neo4j-attacks.js'

const chroma: ChromaServer | undefined = await startChroma().catch((error: unknown) => {
  if (!(error instanceof DockerUnavailableError)) throw error
  console.log(`# SKIP attack matrix: ${error.message}`)
  return undefined
})

// No skip for Neo4j: when it cannot start, this file fails.
const neo4jServer: Neo4jServer | undefined = chroma ? await startNeo4j() : undefined

const SECRET = 'guard-secret-for-attack-matrix-0123456789'
const ADMIN = 'admin-token-for-attack-matrix-0123456789'
const NEO4J_SECRET = 'neo4j-guard-secret-for-attack-matrix-0123'
const A = 'atk_a'
const B = 'atk_b'
const stores = { postgres: true, redis: true, chroma: ['memories'], neo4j: true }

/** Deterministic 3-d vectors from a hash of the text: no embedding model needed. */
const tinyEmbeddings: EmbeddingFunction = {
  name: 'test-tiny',
  generate: async (texts: string[]) =>
    texts.map((text) => [...createHash('sha256').update(text).digest().subarray(0, 3)]),
}

const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex')

interface Attempt {
  store: string
  what: string
  /** Resolves with what the attacker got, or rejects when the server refused. */
  run: () => Promise<unknown>
  /** For operations that may succeed harmlessly: did the result expose or change B's data? */
  leaks?: (result: unknown) => boolean
}

/** A guard that answered with a server error did not refuse: it failed (neo4j-attacks.ts). */
const SERVER_ERROR = /^SERVER ERROR|outside the error shape/

describe('attack matrix: app A against app B on real servers', {
  skip: !chroma && 'Docker is not available',
}, () => {
  let servers: Servers
  let guard: LocalGuard | undefined
  let guardUrl = ''
  let neo4jGuard: Neo4jGuard | undefined
  let neo4jAdmin: Driver
  let envA: Record<string, string>
  let envB: Record<string, string>
  let dataA: AppData
  let dataB: AppData
  let attacker: Redis
  let bSubscriber: Redis
  let bCollectionId = ''
  let checksumBefore = ''
  /** Messages B's subscriber received: the forged PUBLISH must not be among them. */
  let forgedMessages = 0

  const rawRedis = (url: string) => {
    const client = new Redis(url, {
      lazyConnect: true,
      enableReadyCheck: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    })
    client.on('error', () => {})
    return client
  }
  const adminRedis = () => {
    const client = new Redis({
      host: servers.redis.host,
      port: servers.redis.port,
      username: 'admin',
      password: servers.admin.redis?.adminPassword,
      lazyConnect: true,
      enableReadyCheck: false,
    })
    client.on('error', () => {})
    return client
  }
  const chromaCall = (method: string, path: string, token: string | undefined, body?: unknown) =>
    fetch(`${guardUrl}${path}`, {
      method,
      headers: {
        ...(token && { 'x-chroma-token': token }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }).then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      return response.json()
    })
  const asA = (database: string) => {
    const url = new URL(envA.DATABASE_URL as string)
    url.pathname = `/${database}`
    return url.href
  }
  const pgAttempt = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query(sql)).rows
    } finally {
      await client.end()
    }
  }

  /** Everything of B, hashed: rows (read as superuser), keys (read as admin), Chroma records. */
  async function checksumOfB(): Promise<string> {
    const superuser = new URL(servers.postgres.url)
    superuser.pathname = `/${B}`
    const rows = await pgAttempt(superuser.href, 'SELECT * FROM secrets ORDER BY id')
    const redis = adminRedis()
    await redis.connect()
    await redis.select(Number(new URL(envB.REDIS_URL as string).pathname.slice(1)))
    const keys = (await redis.keys('*')).sort()
    const dumps = await Promise.all(keys.map((key) => redis.dumpBuffer(key)))
    redis.disconnect()
    const collection = await dataB.chroma?.getCollection({
      name: 'memories',
      embeddingFunction: tinyEmbeddings,
    })
    const records = await collection?.get({ include: ['documents', 'metadatas', 'embeddings'] })
    const collections = (await dataB.chroma?.listCollections())?.map((c) => c.name).sort()
    const graph = await graphChecksum(neo4jAdmin, labelOfApp(A), labelOfApp(B))
    return sha({
      rows,
      keys,
      dumps: dumps.map((d) => d?.toString('base64')),
      records,
      collections,
      graph,
    })
  }

  before(async () => {
    servers = await startOwnServers()
    guard = await startLocalGuard({
      upstreamUrl: chroma?.url ?? '',
      secret: SECRET,
      adminToken: ADMIN,
    })
    guardUrl = guard.url
    servers.admin.chroma = { url: guardUrl, adminToken: ADMIN, secret: SECRET }
    const bolt = neo4jServer as Neo4jServer
    neo4jGuard = await startNeo4jGuard({
      boltUrl: bolt.url,
      user: bolt.user,
      password: bolt.password,
      secret: NEO4J_SECRET,
      bodyLimitBytes: 1024 * 1024,
    })
    servers.admin.neo4j = {
      url: bolt.url,
      user: bolt.user,
      password: bolt.password,
      mode: 'community',
      guard: { url: neo4jGuard.url, secret: NEO4J_SECRET },
    }
    neo4jAdmin = neo4j.driver(bolt.url, neo4j.auth.basic(bolt.user, bolt.password))

    const root = await makeRepo([
      { name: A, stores, redisDb: 3 },
      { name: B, stores, redisDb: 4 },
    ])
    const first = await provisionRepository(root, servers.admin)
    assert.ok(
      first.some((c) => c.store === 'chroma' && c.app === B && c.action === 'create tenant'),
    )
    assert.deepEqual(
      await provisionRepository(root, servers.admin),
      [],
      'idempotent with Chroma too',
    )

    envA = await appEnvOf(servers.admin, A)
    envB = await appEnvOf(servers.admin, B)
    // The tokens carry the very names the credentials file holds.
    assert.equal(
      envA.CHROMA_TOKEN,
      await appToken('chroma', SECRET, A, {
        tenant: envA.CHROMA_TENANT as string,
        database: envA.CHROMA_DATABASE as string,
      }),
    )
    assert.equal(
      envA.NEO4J_TOKEN,
      await neo4jGuardToken(NEO4J_SECRET, A, envA.NEO4J_LABEL as string),
    )
    assert.equal(envA.NEO4J_URL, neo4jGuard.url)
    for (const name of ['NEO4J_USER', 'NEO4J_PASSWORD', 'NEO4J_DATABASE']) {
      assert.equal(envA[name], undefined, `community credentials hold no ${name}`)
    }
    assert.ok(!Object.values(envA).includes(bolt.password), 'the Neo4j password is nowhere')
    dataA = await openAppData(appDataConfigFromEnv(envA))
    dataB = await openAppData(appDataConfigFromEnv(envB))

    // B's data in every store.
    const pool = dataB.pg as pg.Pool
    await pool.query('CREATE TABLE secrets (id int PRIMARY KEY, value text NOT NULL)')
    await pool.query("INSERT INTO secrets VALUES (1, 'b-secret-one'), (2, 'b-secret-two')")
    const redisB = dataB.redis as Redis
    await redisB.set('token', 'b-secret-token')
    await redisB.hset('profile', { email: 'b@example.org' })
    await redisB.rpush('queue', 'job-1', 'job-2')
    const collection = await dataB.chroma?.createCollection({
      name: 'memories',
      embeddingFunction: tinyEmbeddings,
    })
    await collection?.add({ ids: ['m1', 'm2'], documents: ['b remembers', 'b secret'] })
    bCollectionId = collection?.id ?? ''
    await seedGraphOfB(dataB.graph as AppGraph)
    await dataA.graph?.upsertNode('a1', { owner: 'a' })
    await dataA.graph?.upsertNode('a2', { owner: 'a' })
    await dataA.graph?.link('a1', 'a2', 'LINKS')
    bSubscriber = rawRedis(envB.REDIS_URL as string)
    await bSubscriber.connect()
    await bSubscriber.subscribe(`${B}:events`)
    bSubscriber.on('message', () => {
      forgedMessages++
    })

    attacker = rawRedis(envA.REDIS_URL as string)
    await attacker.connect()
    checksumBefore = await checksumOfB()
  })

  after(async () => {
    attacker?.disconnect()
    bSubscriber?.disconnect()
    await dataA?.close()
    await dataB?.close()
    await guard?.close()
    await neo4jGuard?.close()
    for (const app of [A, B]) {
      await neo4jAdmin?.executeQuery(`MATCH (n:${labelOfApp(app)}) DETACH DELETE n`)
      await neo4jAdmin?.executeQuery(`DROP CONSTRAINT ${labelOfApp(app)}_id_unique IF EXISTS`)
    }
    await neo4jAdmin?.close()
    await Promise.all([servers?.stop(), chroma?.stop(), neo4jServer?.stop()])
  })

  test('every cross-tenant attempt fails and B is unchanged', async () => {
    const bKeys = [`${B}:token`, `${B}:profile`, `${B}:queue`]
    const showsB = (result: unknown) => JSON.stringify(result).includes(B)
    const bTenant = `/api/v2/tenants/${B}/databases/main`
    const aTenant = `/api/v2/tenants/${A}/databases/main`
    const tokenA = envA.CHROMA_TOKEN as string
    const bClientWithAToken = new ChromaClient({
      host: new URL(guardUrl).hostname,
      port: Number(new URL(guardUrl).port),
      tenant: B,
      database: 'main',
      headers: { 'x-chroma-token': tokenA },
    })
    const bPid = (
      await (dataB.pg as pg.Pool).query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    ).rows[0]?.pid
    const passwordA = decodeURIComponent(new URL(envA.DATABASE_URL as string).password)
    const asRoleB = new URL(envB.DATABASE_URL as string)
    asRoleB.password = passwordA

    const attempts: Attempt[] = [
      // PostgreSQL
      {
        store: 'postgres',
        what: "connect to B's database",
        run: () => pgAttempt(asA(B), 'SELECT 1'),
      },
      {
        store: 'postgres',
        what: 'connect to the postgres database',
        run: () => pgAttempt(asA('postgres'), 'SELECT 1'),
      },
      {
        store: 'postgres',
        what: 'connect to template1',
        run: () => pgAttempt(asA('template1'), 'SELECT 1'),
      },
      {
        store: 'postgres',
        what: "log in as B's role with A's password",
        run: () => pgAttempt(asRoleB.href, 'SELECT 1'),
      },
      {
        store: 'postgres',
        what: "read B's table (cross-database name)",
        run: () => pgAttempt(asA(A), `SELECT * FROM ${B}.public.secrets`),
      },
      {
        store: 'postgres',
        what: "write B's table (cross-database name)",
        run: () => pgAttempt(asA(A), `INSERT INTO ${B}.public.secrets VALUES (3, 'x')`),
      },
      {
        store: 'postgres',
        what: "delete B's rows (cross-database name)",
        run: () => pgAttempt(asA(A), `DELETE FROM ${B}.public.secrets`),
      },
      {
        store: 'postgres',
        what: 'become B (SET ROLE)',
        run: () => pgAttempt(asA(A), `SET ROLE ${B}`),
      },
      {
        store: 'postgres',
        what: "grant B's role to A",
        run: () => pgAttempt(asA(A), `GRANT ${B} TO ${A}`),
      },
      {
        store: 'postgres',
        what: 'create a database',
        run: () => pgAttempt(asA(A), 'CREATE DATABASE stolen'),
      },
      {
        store: 'postgres',
        what: 'create a role',
        run: () => pgAttempt(asA(A), 'CREATE ROLE stolen LOGIN'),
      },
      {
        store: 'postgres',
        what: 'make itself superuser',
        run: () => pgAttempt(asA(A), `ALTER ROLE ${A} SUPERUSER`),
      },
      {
        store: 'postgres',
        what: 'give itself CREATEDB',
        run: () => pgAttempt(asA(A), `ALTER ROLE ${A} CREATEDB`),
      },
      {
        store: 'postgres',
        what: "take over B's database",
        run: () => pgAttempt(asA(A), `ALTER DATABASE ${B} OWNER TO ${A}`),
      },
      {
        store: 'postgres',
        what: "drop B's database",
        run: () => pgAttempt(asA(A), `DROP DATABASE ${B}`),
      },
      {
        store: 'postgres',
        what: "grant itself CONNECT on B's database",
        run: () => pgAttempt(asA(A), `GRANT CONNECT ON DATABASE ${B} TO ${A}`),
      },
      {
        store: 'postgres',
        what: "terminate B's session",
        run: () => pgAttempt(asA(A), `SELECT pg_terminate_backend(${bPid})`),
      },
      {
        store: 'postgres',
        what: 'read a server file',
        run: () => pgAttempt(asA(A), "SELECT pg_read_file('postgresql.conf')"),
      },
      {
        store: 'postgres',
        what: 'run a program (COPY TO PROGRAM)',
        run: () => pgAttempt(asA(A), "COPY (SELECT 1) TO PROGRAM 'true'"),
      },
      // Redis (A's credentials, no key prefix: the server must refuse, not the wrapper)
      ...bKeys.map((key) => ({
        store: 'redis',
        what: `GET/DUMP ${key}`,
        run: () => attacker.dump(key),
      })),
      { store: 'redis', what: `GET ${B}:token`, run: () => attacker.get(`${B}:token`) },
      { store: 'redis', what: `HGETALL ${B}:profile`, run: () => attacker.hgetall(`${B}:profile`) },
      { store: 'redis', what: `SET ${B}:token`, run: () => attacker.set(`${B}:token`, 'owned') },
      { store: 'redis', what: `DEL ${B}:token`, run: () => attacker.del(`${B}:token`) },
      { store: 'redis', what: `EXISTS ${B}:token`, run: () => attacker.exists(`${B}:token`) },
      {
        store: 'redis',
        what: `RENAME own key onto ${B}:token`,
        run: () => attacker.rename(`${A}:x`, `${B}:token`),
      },
      {
        store: 'redis',
        what: `COPY ${B}:token to an own key`,
        run: () => attacker.copy(`${B}:token`, `${A}:stolen`),
      },
      { store: 'redis', what: 'KEYS *', run: () => attacker.keys('*') },
      {
        store: 'redis',
        what: 'SCAN its own DB for every name',
        run: () => attacker.scan(0, 'MATCH', '*', 'COUNT', 1000),
        leaks: showsB,
      },
      { store: 'redis', what: 'RANDOMKEY', run: () => attacker.randomkey(), leaks: showsB },
      { store: 'redis', what: "SELECT B's DB", run: () => attacker.select(4) },
      { store: 'redis', what: 'SELECT DB 0', run: () => attacker.select(0) },
      { store: 'redis', what: "MOVE own key into B's DB", run: () => attacker.move(`${A}:x`, 4) },
      { store: 'redis', what: 'SWAPDB', run: () => attacker.swapdb(3, 4) },
      { store: 'redis', what: 'FLUSHDB', run: () => attacker.flushdb() },
      { store: 'redis', what: 'FLUSHALL', run: () => attacker.flushall() },
      { store: 'redis', what: 'CONFIG GET', run: () => attacker.config('GET', '*') },
      { store: 'redis', what: 'CONFIG SET', run: () => attacker.config('SET', 'maxmemory', '1') },
      {
        store: 'redis',
        what: 'ACL SETUSER (widen itself)',
        run: () => attacker.call('ACL', 'SETUSER', A, '~*'),
      },
      { store: 'redis', what: 'ACL LIST', run: () => attacker.call('ACL', 'LIST') },
      {
        store: 'redis',
        what: `AUTH as ${B} with A's password`,
        run: () =>
          withConnection(envA.REDIS_URL as string, (c) =>
            c.call('AUTH', B, decodeURIComponent(new URL(envA.REDIS_URL as string).password)),
          ),
      },
      { store: 'redis', what: 'AUTH as default', run: () => attacker.call('AUTH', 'default', '') },
      {
        store: 'redis',
        what: `EVAL reading ${B}:token`,
        run: () => attacker.eval(`return redis.call('GET', KEYS[1])`, 1, `${B}:token`),
      },
      {
        store: 'redis',
        what: `EVAL reading ${B}:token undeclared`,
        run: () => attacker.eval(`return redis.call('GET', '${B}:token')`, 0),
      },
      { store: 'redis', what: 'FUNCTION FLUSH', run: () => attacker.call('FUNCTION', 'FLUSH') },
      { store: 'redis', what: 'SCRIPT FLUSH', run: () => attacker.call('SCRIPT', 'FLUSH') },
      {
        store: 'redis',
        what: 'SORT BY other keys',
        run: () => attacker.sort(`${A}:list`, 'BY', `${B}:*`),
      },
      { store: 'redis', what: 'CLIENT LIST', run: () => attacker.client('LIST') },
      {
        store: 'redis',
        what: 'CLIENT KILL',
        run: () => attacker.call('CLIENT', 'KILL', 'USER', B),
      },
      { store: 'redis', what: 'INFO', run: () => attacker.info() },
      {
        store: 'redis',
        what: 'MONITOR',
        run: () => withConnection(envA.REDIS_URL as string, (c) => c.call('MONITOR')),
      },
      { store: 'redis', what: 'PUBSUB CHANNELS', run: () => attacker.pubsub('CHANNELS') },
      {
        store: 'redis',
        what: `PUBLISH to ${B}:events`,
        run: () => attacker.publish(`${B}:events`, 'forged'),
      },
      {
        store: 'redis',
        what: `SUBSCRIBE to ${B}:events`,
        run: () => withConnection(envA.REDIS_URL as string, (c) => c.subscribe(`${B}:events`)),
      },
      {
        store: 'redis',
        what: `PSUBSCRIBE ${B}:*`,
        run: () => withConnection(envA.REDIS_URL as string, (c) => c.psubscribe(`${B}:*`)),
      },
      {
        store: 'redis',
        what: 'PSUBSCRIBE *',
        run: () => withConnection(envA.REDIS_URL as string, (c) => c.psubscribe('*')),
      },
      { store: 'redis', what: 'DEBUG', run: () => attacker.call('DEBUG', 'SLEEP', '0') },
      // Chroma through the guard, with A's token
      {
        store: 'chroma',
        what: "list B's collections",
        run: () => bClientWithAToken.listCollections(),
      },
      {
        store: 'chroma',
        what: "get B's collection by name",
        run: () =>
          bClientWithAToken.getCollection({ name: 'memories', embeddingFunction: tinyEmbeddings }),
      },
      {
        store: 'chroma',
        what: "create a collection in B's tenant",
        run: () =>
          bClientWithAToken.createCollection({
            name: 'planted',
            embeddingFunction: tinyEmbeddings,
          }),
      },
      {
        store: 'chroma',
        what: "delete B's collection",
        run: () => bClientWithAToken.deleteCollection({ name: 'memories' }),
      },
      {
        store: 'chroma',
        what: "read B's tenant",
        run: () => chromaCall('GET', `/api/v2/tenants/${B}`, tokenA),
      },
      {
        store: 'chroma',
        what: "read B's records via its tenant path",
        run: () => chromaCall('POST', `${bTenant}/collections/${bCollectionId}/get`, tokenA, {}),
      },
      {
        store: 'chroma',
        what: "read B's records by id through A's path",
        run: () => chromaCall('POST', `${aTenant}/collections/${bCollectionId}/get`, tokenA, {}),
      },
      {
        store: 'chroma',
        what: "query B's records by id through A's path",
        run: () =>
          chromaCall('POST', `${aTenant}/collections/${bCollectionId}/query`, tokenA, {
            query_embeddings: [[1, 2, 3]],
            n_results: 2,
          }),
      },
      {
        store: 'chroma',
        what: "count B's records by id through A's path",
        run: () => chromaCall('GET', `${aTenant}/collections/${bCollectionId}/count`, tokenA),
      },
      {
        store: 'chroma',
        what: "add to B's collection by id through A's path",
        run: () =>
          chromaCall('POST', `${aTenant}/collections/${bCollectionId}/add`, tokenA, {
            ids: ['x'],
            embeddings: [[1, 2, 3]],
          }),
      },
      {
        store: 'chroma',
        what: "upsert into B's collection by id",
        run: () =>
          chromaCall('POST', `${aTenant}/collections/${bCollectionId}/upsert`, tokenA, {
            ids: ['m1'],
            embeddings: [[1, 2, 3]],
          }),
      },
      {
        store: 'chroma',
        what: "delete B's records by id through A's path",
        run: () =>
          chromaCall('POST', `${aTenant}/collections/${bCollectionId}/delete`, tokenA, {
            ids: ['m1'],
          }),
      },
      {
        store: 'chroma',
        what: "rename B's collection by id",
        run: () =>
          chromaCall('PUT', `${aTenant}/collections/${bCollectionId}`, tokenA, {
            new_name: 'gone',
          }),
      },
      {
        store: 'chroma',
        what: "get B's collection by-id through A's path",
        run: () => chromaCall('GET', `${aTenant}/collections/by-id/${bCollectionId}`, tokenA),
      },
      {
        store: 'chroma',
        what: 'create a tenant',
        run: () => chromaCall('POST', '/api/v2/tenants', tokenA, { name: 'stolen' }),
      },
      {
        store: 'chroma',
        what: "create a database in B's tenant",
        run: () => chromaCall('POST', `/api/v2/tenants/${B}/databases`, tokenA, { name: 'extra' }),
      },
      {
        store: 'chroma',
        what: "delete B's database",
        run: () => chromaCall('DELETE', bTenant, tokenA),
      },
      {
        store: 'chroma',
        what: 'reset the server',
        run: () => chromaCall('POST', '/api/v2/reset', tokenA),
      },
      {
        store: 'chroma',
        what: 'the v1 API',
        run: () => chromaCall('GET', '/api/v1/collections', tokenA),
      },
      {
        store: 'chroma',
        what: 'path traversal to B',
        run: () => chromaCall('GET', `${aTenant}/../../../${B}/databases/main/collections`, tokenA),
      },
      {
        store: 'chroma',
        what: "A's token with B's tenant (A's signature)",
        run: () => chromaCall('GET', `${bTenant}/collections`, withClaims(tokenA, { tenant: B })),
      },
      {
        store: 'chroma',
        what: "A's token with B's name and tenant (A's signature)",
        run: () =>
          chromaCall('GET', `${bTenant}/collections`, withClaims(tokenA, { sub: B, tenant: B })),
      },
      {
        store: 'chroma',
        what: "A's claims unsigned (alg none), naming B's tenant",
        run: () =>
          chromaCall('GET', `${bTenant}/collections`, unsigned(withClaims(tokenA, { tenant: B }))),
      },
      {
        store: 'chroma',
        what: "B's token, expired",
        run: async () => {
          const expired = await new SignJWT({ tenant: B, database: 'main' })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject(B)
            .setAudience('chroma')
            .setExpirationTime('-1 minute')
            .sign(new TextEncoder().encode(SECRET))
          return chromaCall('GET', `${bTenant}/collections`, expired)
        },
      },
      {
        store: 'chroma',
        what: "B's Neo4j token (another audience)",
        run: () => chromaCall('GET', `${bTenant}/collections`, envB.NEO4J_TOKEN),
      },
      {
        store: 'chroma',
        what: 'no token',
        run: () => chromaCall('GET', `${bTenant}/collections`, undefined),
      },
      // Neo4j through neo4j-guard (and Bolt, for which A holds no credential)
      ...graphAttempts({
        guardUrl: neo4jGuard?.url ?? '',
        boltUrl: neo4jServer?.url ?? '',
        graphA: dataA.graph as AppGraph,
        tokenA: envA.NEO4J_TOKEN as string,
        tokenB: envB.NEO4J_TOKEN as string,
        labelA: labelOfApp(A),
        labelB: labelOfApp(B),
        app: { a: A, b: B },
        tokenBOtherSecret: envB.CHROMA_TOKEN as string,
        secret: NEO4J_SECRET,
        admin: neo4jAdmin,
        adminPassword: neo4jServer?.password ?? '',
      }),
    ]

    const outcomes: string[] = []
    let refused = 0
    let leaked = 0
    for (const attempt of attempts) {
      let verdict: string
      let outcome: { result: unknown } | { error: string }
      try {
        outcome = { result: await attempt.run() }
      } catch (error) {
        outcome = { error: (error as Error).message.split('\n')[0]?.slice(0, 80) ?? '' }
      }
      if ('error' in outcome) {
        if (SERVER_ERROR.test(outcome.error)) {
          verdict = `FAILED (not a refusal): ${outcome.error}`
        } else {
          refused++
          verdict = `refused: ${outcome.error}`
        }
      } else {
        const shown = JSON.stringify(outcome.result ?? null)
        if (attempt.leaks && !attempt.leaks(outcome.result)) {
          refused++
          verdict = `no effect on B: ${shown.slice(0, 60)}`
        } else {
          leaked++
          verdict = `LEAKED: ${shown.slice(0, 80)}`
        }
      }
      outcomes.push(`  ${attempt.store.padEnd(8)} ${attempt.what.padEnd(48)} ${verdict}`)
    }
    const checksumAfter = await checksumOfB()
    const summary = `attack matrix: attempts=${attempts.length} refused=${refused} leaked=${leaked}`
    console.log(`${outcomes.join('\n')}\n${summary}`)
    assert.equal(leaked, 0, outcomes.filter((o) => o.includes('LEAKED')).join('\n'))
    assert.equal(refused, attempts.length)
    assert.equal(checksumAfter, checksumBefore, "B's data changed")
    assert.equal(forgedMessages, 0, 'no forged message reached B')
  })

  test('positive control: A can do each thing on its own data', async () => {
    const pool = dataA.pg as pg.Pool
    await pool.query('CREATE TABLE mine (id int PRIMARY KEY, value text)')
    await pool.query("INSERT INTO mine VALUES (1, 'a')")
    assert.deepEqual((await pool.query('SELECT value FROM mine')).rows, [{ value: 'a' }])
    assert.equal((await pool.query('DELETE FROM mine')).rowCount, 1)
    assert.deepEqual((await pool.query('SELECT current_database() AS db')).rows, [{ db: A }])

    const redis = dataA.redis as Redis
    await redis.set('x', '1')
    assert.equal(await attacker.get(`${A}:x`), '1', 'the wrapper prefix is the ACL pattern')
    assert.deepEqual((await attacker.scan(0, 'MATCH', '*', 'COUNT', 1000))[1], [`${A}:x`])
    await redis.hset('h', { f: 'v' })
    assert.deepEqual(await redis.hgetall('h'), { f: 'v' })
    // Scripts are no app's, even on its own keys: one busy script stalls every app (infra/README.md).
    await assert.rejects(attacker.eval(`return redis.call('GET', KEYS[1])`, 1, `${A}:x`), /NOPERM/)
    assert.equal(await attacker.select(3), 'OK', 'its own DB index')
    const listener = rawRedis(envA.REDIS_URL as string)
    await listener.connect()
    const received = new Promise<string>((resolve) =>
      listener.on('message', (_channel, message) => resolve(message)),
    )
    await listener.subscribe(`${A}:events`)
    assert.equal(await attacker.publish(`${A}:events`, 'hello'), 1)
    assert.equal(await received, 'hello')
    listener.disconnect()
    assert.equal(await redis.del('x', 'h'), 2)

    const collection = await dataA.chroma?.createCollection({
      name: 'memories',
      embeddingFunction: tinyEmbeddings,
    })
    await collection?.add({ ids: ['a1'], documents: ['a remembers'] })
    assert.equal(await collection?.count(), 1)
    const byId = (await chromaCall(
      'POST',
      `/api/v2/tenants/${A}/databases/main/collections/${collection?.id}/get`,
      envA.CHROMA_TOKEN,
      {},
    )) as { ids: string[] }
    assert.deepEqual(byId.ids, ['a1'])
    assert.deepEqual(
      (await dataA.chroma?.listCollections())?.map((c) => c.name),
      ['memories'],
    )
    await dataA.chroma?.deleteCollection({ name: 'memories' })
    assert.equal(await dataA.chroma?.countCollections(), 0)

    await graphPositiveControl(dataA.graph as AppGraph, neo4jAdmin, labelOfApp(A))
  })

  async function withConnection(
    url: string,
    subscribe: (client: Redis) => Promise<unknown>,
  ): Promise<unknown> {
    const client = rawRedis(url)
    await client.connect()
    try {
      return await subscribe(client)
    } finally {
      client.disconnect()
    }
  }
})
