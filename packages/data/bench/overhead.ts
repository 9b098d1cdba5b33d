/**
 * Overhead of the scoped clients against raw ones on two hot paths: Redis GET (scoped: the
 * app's ACL user + keyPrefix; raw: the admin user, no prefix) and pg SELECT 1 (scoped: the
 * app's pool from openAppData; raw: a plain pg.Pool as superuser). Rounds alternate scoped
 * and raw in one run, so machine noise hits both alike. Not a test: it prints, it asserts nothing.
 */
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import pg from 'pg'
import { provisionRepository } from '../../provision/src/index.js'
import { appDataConfigFromEnv } from '../src/config.js'
import { openAppData } from '../src/open.js'
import { appEnvOf, makeRepo, startOwnServers } from '../test/fixtures.js'

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

const servers = await startOwnServers()
try {
  const root = await makeRepo([{ name: 'bench', stores: { postgres: true, redis: true } }])
  await provisionRepository(root, servers.admin)
  const data = await openAppData(appDataConfigFromEnv(await appEnvOf(servers.admin, 'bench')))
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
