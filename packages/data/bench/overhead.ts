/**
 * Overhead of the scoped clients against raw ones on two hot paths: Redis GET (scoped: the
 * app's ACL user + keyPrefix; raw: the admin user, no prefix) and pg SELECT 1 (scoped: the
 * app's pool from openAppData; raw: a plain pg.Pool as superuser). Rounds alternate scoped
 * and raw in one run, so machine noise hits both alike. Not a test: it prints, it asserts nothing.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { loadRegistry } from '@flotilla/stack'
import { Redis } from 'ioredis'
import pg from 'pg'
import { resourcesFor } from '../src/names.js'
import { openAppData } from '../src/open.js'
import { connectPostgresAdmin, provisionPostgres } from '../src/postgres/provision.js'
import { connectRedisAdmin, provisionRedis } from '../src/redis/provision.js'
import { makeRepo, startOwnServers } from '../test/fixtures.js'

const ROUNDS = 10
const OPS_PER_ROUND = 10_000
const CONCURRENCY = 16

async function opsPerSecond(operation: () => Promise<unknown>): Promise<number> {
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next++ < OPS_PER_ROUND) await operation()
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return OPS_PER_ROUND / ((performance.now() - started) / 1000)
}

async function compare(name: string, scoped: () => Promise<unknown>, raw: () => Promise<unknown>) {
  await opsPerSecond(scoped) // warm-up
  await opsPerSecond(raw)
  const totals = { scoped: 0, raw: 0 }
  for (let round = 0; round < ROUNDS; round++) {
    const [first, second] =
      round % 2 === 0 ? (['scoped', 'raw'] as const) : (['raw', 'scoped'] as const)
    totals[first] += await opsPerSecond(first === 'scoped' ? scoped : raw)
    totals[second] += await opsPerSecond(second === 'scoped' ? scoped : raw)
  }
  const s = totals.scoped / ROUNDS
  const r = totals.raw / ROUNDS
  console.log(
    `${name.padEnd(14)} scoped ${s.toFixed(0).padStart(7)} ops/s   raw ${r.toFixed(0).padStart(7)} ops/s   scoped/raw ${(s / r).toFixed(3)}`,
  )
}

/** A server's URL with the app's login and its database (PostgreSQL) or DB index (Redis). */
function appUrl(serverUrl: string, user: string, password: string, path: string | number): string {
  const url = new URL(serverUrl)
  url.username = user
  url.password = password
  url.pathname = `/${path}`
  return url.href
}

const servers = await startOwnServers()
try {
  // The two stores' own admin steps, as the provisioner runs them for this one app.
  const root = await makeRepo([{ name: 'bench', stores: { postgres: true, redis: true } }])
  const [app] = (await loadRegistry(root)).apps
  if (!app) throw new Error('the fixture registry has no app')
  const target = { name: app.name, resources: resourcesFor(app) }
  const { postgres: pgNames, redis: redisNames } = target.resources
  if (!pgNames || !redisNames) throw new Error('the bench app uses PostgreSQL and Redis')
  const password = randomBytes(24).toString('base64url')
  const pgAdmin = await connectPostgresAdmin(servers.postgres.url)
  await provisionPostgres(pgAdmin, [{ target, password, passwordIsNew: true }])
  await pgAdmin.end()
  const redisAdmin = await connectRedisAdmin(servers.admin.redis)
  await provisionRedis(redisAdmin.client, servers.admin.redis, [{ target, password }])
  redisAdmin.client.disconnect()

  const data = await openAppData({
    postgres: { url: appUrl(servers.postgres.url, pgNames.role, password, pgNames.database) },
    redis: {
      url: appUrl(servers.redis.url, redisNames.user, password, redisNames.db),
      keyPrefix: redisNames.keyPrefix,
    },
  })
  const rawRedis = new Redis({
    host: servers.redis.host,
    port: servers.redis.port,
    username: 'admin',
    password: servers.admin.redis?.adminPassword,
  })
  const rawPg = new pg.Pool({ connectionString: servers.postgres.url, max: 10 })
  rawPg.on('error', () => {}) // the server stopping at the end
  const scopedRedis = data.redis as Redis
  const scopedPg = data.pg as pg.Pool
  await scopedRedis.set('hot', 'value')
  await rawRedis.set('hot', 'value')

  console.log(`${ROUNDS} interleaved rounds × ${OPS_PER_ROUND} ops, ${CONCURRENCY} in flight`)
  await compare(
    'redis GET',
    () => scopedRedis.get('hot'),
    () => rawRedis.get('hot'),
  )
  await compare(
    'pg SELECT 1',
    () => scopedPg.query('SELECT 1'),
    () => rawPg.query('SELECT 1'),
  )

  rawRedis.disconnect()
  await rawPg.end()
  await data.close()
} finally {
  await servers.stop()
}
