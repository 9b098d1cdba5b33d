/**
 * Redis killed with kill -9 while notes is under load, then started again on the same data
 * (a container's restart policy): notes must keep answering and serve normally again within
 * seconds, with no manual step. Its rate-limit counters once came back from the replay
 * without their expiry, and notes answered 429 to everyone for good. A real redis-server
 * runs with the stack's redis.conf, init.sh's `default` user and notes's own ACL user as the
 * provisioner makes it; notes is the real app on a real PostgreSQL.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createDatabase,
  type PostgresServer,
  startPostgres,
} from '@flotilla/data/postgres/test-server'
import { appAclRules } from '@flotilla/data/redis/acl'
import {
  type PersistentRedis,
  stackRedisFiles,
  startPersistentRedis,
} from '@flotilla/data/redis/test-server'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { Redis } from 'ioredis'
import { notesApp } from '../src/app.js'
import { notesConfigSchema } from '../src/config.js'

const { config, defaultUserLine } = stackRedisFiles()
/** The line init.sh wrote before: with it this Redis drops every MULTI/EXEC it replays. */
const UNPERMITTED_DEFAULT = 'user default off resetchannels -@all'
const PER_MINUTE = 100_000
const CLIENTS = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']
const DB = 3

let postgres: PostgresServer
let databaseUrl = ''

before(async () => {
  postgres = await startPostgres()
  databaseUrl = await createDatabase(postgres.url, 'notes_restart')
})
after(() => postgres?.stop())

interface Stack {
  redis: PersistentRedis
  app: Service
  admin: Redis
  keyPrefix: string
  close(): Promise<void>
}

/** Redis as the stack runs it, notes's user as the provisioner sets it, and notes on both. */
async function startStack(defaultLine: string): Promise<Stack> {
  const redis = await startPersistentRedis({ config, acl: [defaultLine] })
  const name = `notes_${randomBytes(4).toString('hex')}`
  const keyPrefix = `${name}:`
  const password = randomBytes(24).toString('hex')
  const admin = new Redis(redis.adminUrl)
  admin.on('error', () => {}) // while Redis is killed; the test's own calls report failures
  const rules = appAclRules(
    {
      user: name,
      keyPrefix,
      keyPattern: `~${keyPrefix}*`,
      channelPattern: `&${keyPrefix}*`,
      db: DB,
    },
    password,
  )
  await admin.call('ACL', 'SETUSER', name, ...rules)
  await admin.call('ACL', 'SAVE')
  await admin.select(DB)
  const env = {
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1000',
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://${name}:${password}@${redis.host}:${redis.port}/${DB}`,
    REDIS_KEY_PREFIX: keyPrefix,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
  }
  const appConfig = loadConfig(notesConfigSchema, env)
  const app = await createService({ name: 'notes', version: 'test', config: appConfig })
  await app.register(notesApp, { config: appConfig, env })
  await app.ready()
  return {
    redis,
    app,
    admin,
    keyPrefix,
    async close() {
      await app.close()
      admin.disconnect()
      await redis.stop()
    },
  }
}

/** Whether a response was counted in Redis (without Redis the limiter lets all through). */
function counted(headers: Record<string, unknown>): boolean {
  return Number(headers['x-ratelimit-remaining']) < PER_MINUTE
}

interface Reply {
  at: number
  status: number
  counted: boolean
}

/** Requests from every client in turn until stopped, from four workers at once. */
function load(app: Service, url: string): { stop(): Promise<Reply[]> } {
  const replies: Reply[] = []
  let running = true
  const workers = [0, 1, 2, 3].map(async (worker) => {
    for (let i = worker; running; i++) {
      const response = await app.inject({ url, remoteAddress: CLIENTS[i % CLIENTS.length] })
      replies.push({
        at: performance.now(),
        status: response.statusCode,
        counted: counted(response.headers),
      })
    }
  })
  return {
    async stop() {
      running = false
      await Promise.all(workers)
      return replies
    },
  }
}

/** Every rate-limit counter: its value and milliseconds to live (-1: none). */
async function counters(stack: Stack): Promise<Map<string, { value: number; ttl: number }>> {
  const found = new Map<string, { value: number; ttl: number }>()
  let cursor = '0'
  do {
    const [next, keys] = await stack.admin.scan(cursor, 'MATCH', `${stack.keyPrefix}rate:*`)
    cursor = next
    for (const key of keys) {
      const [value, ttl] = await Promise.all([stack.admin.get(key), stack.admin.pttl(key)])
      if (value !== null) found.set(key, { value: Number(value), ttl })
    }
  } while (cursor !== '0')
  return found
}

for (const [label, defaultLine] of [
  ["init.sh's `default` user", defaultUserLine],
  ['a Redis that drops replayed transactions', UNPERMITTED_DEFAULT],
] as const) {
  test(`kill -9 of Redis under load, ${label}: notes serves on, counts again within seconds, no 429`, async () => {
    const stack = await startStack(defaultLine)
    try {
      const created = await stack.app.inject({
        method: 'POST',
        url: '/notes/',
        payload: { title: 'kept in PostgreSQL', body: 'and cached in Redis' },
      })
      assert.equal(created.statusCode, 201, created.body)
      const url = `/notes/${created.json().id}`
      const deadline = Date.now() + 10_000
      while (!counted((await stack.app.inject({ url, remoteAddress: CLIENTS[0] })).headers)) {
        assert.ok(Date.now() < deadline, 'notes counts in Redis before the kill')
        await sleep(50)
      }

      const running = load(stack.app, url)
      await sleep(1_000)
      const acknowledged = await counters(stack)
      const snapshotAt = performance.now()
      await sleep(200)
      await stack.redis.kill()
      const killedAt = performance.now()
      await sleep(1_000)
      await stack.redis.start()
      const restartedAt = performance.now()
      const recovered = Date.now() + 30_000
      let countingAgainAt = 0
      while (countingAgainAt === 0) {
        assert.ok(Date.now() < recovered, 'notes counts in Redis again within 30 s')
        const probe = await stack.app.inject({ url, remoteAddress: CLIENTS[1] })
        if (counted(probe.headers)) countingAgainAt = performance.now()
        else await sleep(100)
      }
      await sleep(1_000)
      const replies = await running.stop()
      const after = await counters(stack)

      const during = replies.filter((reply) => reply.at > killedAt && reply.at < restartedAt)
      const statuses = new Map<number, number>()
      for (const { status } of replies) statuses.set(status, (statuses.get(status) ?? 0) + 1)
      console.log(
        `# ${label}: ${replies.length} requests (${during.length} while Redis was down), statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `counting in Redis again ${((countingAgainAt - restartedAt) / 1000).toFixed(1)} s after the restart; ` +
          `${acknowledged.size} counters before the kill, ${after.size} after`,
      )
      assert.deepEqual([...statuses.keys()], [200], 'every request answered 200: no 429, no 5xx')
      assert.ok(during.length > 0, 'requests were served while Redis was down')

      for (const [key, { ttl }] of after) {
        assert.ok(ttl > 0, `${key} has an expiry after the restart (pttl ${ttl})`)
      }
      const elapsed = performance.now() - snapshotAt
      for (const [key, { value, ttl }] of acknowledged) {
        if (ttl < elapsed + 1_000) continue // its window may have ended since: gone by design
        const now = after.get(key)
        assert.ok(now, `${key}, acknowledged before the kill, is there after the restart`)
        assert.ok(now.value >= value, `${key}: ${now.value} < ${value} acknowledged`)
      }
    } finally {
      await stack.close()
    }
  })
}
