/**
 * Redis runs one command at a time for everybody, so whatever one app may run is a pause for
 * every other app. Apps may not run scripts (a busy EVAL stalled the others' PINGs for
 * seconds; an endless one blocks them until an admin steps in), nor the admin commands that
 * pause or block the server. This checks the refusals on a real redis-server with the stack's
 * redis.conf and the provisioner's users, that the provisioner takes scripting away from a user
 * that had it, and measures (prints) what the heaviest commands an app may still run cost
 * another app's PING.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import {
  type PersistentRedis,
  stackRedisFiles,
  startPersistentRedis,
} from '../../src/redis/test-server.js'
import { type ProvisionedRedis, provisionedRedis } from './provisioned.js'

const { config, defaultUserLine } = stackRedisFiles()

let redis: PersistentRedis
let apps: ProvisionedRedis
const clients: Redis[] = []

before(async () => {
  redis = await startPersistentRedis({ config, acl: [defaultUserLine] })
  apps = await provisionedRedis(redis, [
    { name: 'busy', redisDb: 7 },
    { name: 'calm', redisDb: 8 },
  ])
  await apps.provision()
})

after(async () => {
  for (const client of clients) client.disconnect()
  await redis?.stop()
  await apps?.remove()
})

/** The app's user on its own DB index, without a key prefix: the commands name keys themselves. */
async function appClient(app: string): Promise<Redis> {
  const { keyPrefix: _, ...login } = apps.login(app)
  const client = new Redis({
    ...login,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  clients.push(client)
  return client
}

const LOAD_FUNCTION =
  "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"
const ENDLESS = 'while true do end'

/** Everything that runs code in the server, pauses it, or loops as long as an argument says. */
const REFUSED: { what: string; command: (string | number)[] }[] = [
  { what: 'EVAL', command: ['EVAL', ENDLESS, 0] },
  { what: 'EVAL_RO', command: ['EVAL_RO', ENDLESS, 0] },
  { what: 'EVALSHA', command: ['EVALSHA', 'a'.repeat(40), 0] },
  { what: 'EVALSHA_RO', command: ['EVALSHA_RO', 'a'.repeat(40), 0] },
  { what: 'SCRIPT LOAD', command: ['SCRIPT', 'LOAD', ENDLESS] },
  { what: 'SCRIPT KILL', command: ['SCRIPT', 'KILL'] },
  { what: 'SCRIPT FLUSH', command: ['SCRIPT', 'FLUSH'] },
  { what: 'FUNCTION LOAD', command: ['FUNCTION', 'LOAD', LOAD_FUNCTION] },
  { what: 'FUNCTION FLUSH', command: ['FUNCTION', 'FLUSH'] },
  { what: 'FUNCTION KILL', command: ['FUNCTION', 'KILL'] },
  { what: 'FUNCTION RESTORE', command: ['FUNCTION', 'RESTORE', 'x'] },
  { what: 'FCALL', command: ['FCALL', 'spin', 0] },
  { what: 'FCALL_RO', command: ['FCALL_RO', 'spin', 0] },
  { what: 'DEBUG SLEEP', command: ['DEBUG', 'SLEEP', 5] },
  { what: 'CLIENT PAUSE', command: ['CLIENT', 'PAUSE', 5000] },
  { what: 'CLIENT KILL', command: ['CLIENT', 'KILL', 'USER', 'calm'] },
  { what: 'CLIENT NO-EVICT', command: ['CLIENT', 'NO-EVICT', 'on'] },
  { what: 'MONITOR', command: ['MONITOR'] },
  { what: 'KEYS', command: ['KEYS', '*'] },
  { what: 'SORT', command: ['SORT', 'busy:list'] },
  { what: 'SORT_RO', command: ['SORT_RO', 'busy:list'] },
  { what: 'FLUSHALL', command: ['FLUSHALL'] },
  { what: 'FLUSHDB', command: ['FLUSHDB'] },
  { what: 'SAVE', command: ['SAVE'] },
  { what: 'BGSAVE', command: ['BGSAVE'] },
  { what: 'BGREWRITEAOF', command: ['BGREWRITEAOF'] },
  { what: 'CONFIG SET', command: ['CONFIG', 'SET', 'appendonly', 'no'] },
  { what: 'SHUTDOWN', command: ['SHUTDOWN', 'NOSAVE'] },
  { what: 'SWAPDB', command: ['SWAPDB', 7, 8] },
  { what: 'MIGRATE', command: ['MIGRATE', '127.0.0.1', 1, 'busy:x', 0, 1000] },
  { what: 'RESTORE', command: ['RESTORE', 'busy:x', 0, 'x'] },
  { what: 'REPLICAOF', command: ['REPLICAOF', '127.0.0.1', 1] },
  { what: 'FAILOVER', command: ['FAILOVER'] },
  { what: 'MODULE LOAD', command: ['MODULE', 'LOAD', '/nonexistent.so'] },
  { what: 'LATENCY RESET', command: ['LATENCY', 'RESET'] },
  { what: 'SLOWLOG GET', command: ['SLOWLOG', 'GET'] },
  { what: 'SRANDMEMBER', command: ['SRANDMEMBER', 'busy:set', -1e12] },
  { what: 'HRANDFIELD', command: ['HRANDFIELD', 'busy:hash', -1e12] },
  { what: 'ZRANDMEMBER', command: ['ZRANDMEMBER', 'busy:zset', -1e12] },
]

test('an app may not run scripts, functions or what pauses the server: NOPERM', async () => {
  const busy = await appClient('busy')
  const outcomes = await Promise.all(
    REFUSED.map(async ({ what, command }) => {
      const [name, ...args] = command
      try {
        await busy.call(name as string, ...args)
        return `${what}: ALLOWED`
      } catch (error) {
        // DEBUG and MODULE are also switched off for every connection (Redis's default).
        const refused = /^NOPERM|^ERR (DEBUG|MODULE) command not allowed/
        return refused.test((error as Error).message) ? '' : `${what}: ${(error as Error).message}`
      }
    }),
  )
  assert.deepEqual(
    outcomes.filter((outcome) => outcome !== ''),
    [],
  )
  console.log(`# ${REFUSED.length} server-blocking commands refused to an app (NOPERM)`)
  assert.equal(await busy.ping(), 'PONG', 'the connection is still usable')

  await assert.rejects(
    busy.setrange('busy:huge', 100_000_000, 'x'),
    /string exceeds maximum allowed size/,
    'a string past proto-max-bulk-len (a big allocation at once) is refused',
  )
  await busy.set('busy:a', 'a'.repeat(5000))
  await busy.set('busy:b', 'b'.repeat(5000))
  await assert.rejects(
    busy.lcs('busy:a', 'busy:b'),
    /exceeds proto-max-bulk-len/,
    "LCS's table (length × length) is bounded too",
  )
})

test('a client whose replies pile up past 64 MB is disconnected, the others carry on', async () => {
  const busy = await appClient('busy')
  const calm = await appClient('calm')
  await busy.set('busy:mb', 'x'.repeat(1024 * 1024))
  await assert.rejects(busy.mget(Array(100).fill('busy:mb')), /Connection is closed|ECONNRESET/)
  assert.equal(await calm.ping(), 'PONG')
  const again = await appClient('busy')
  assert.equal((await again.mget(Array(10).fill('busy:mb'))).length, 10, 'below the limit')
  await again.del('busy:mb')
})

test('re-provisioning takes scripting away from an existing user, open connections included', async () => {
  // A user as the provisioner left it before scripting was removed: EVAL allowed.
  const adminClient = new Redis(redis.adminUrl)
  clients.push(adminClient)
  await adminClient.call('ACL', 'SETUSER', 'calm', '+@scripting')
  assert.ok(apps.record, 'the first run returned its record')
  apps.record = apps.record.replace(/^(user calm .*) -@scripting/m, '$1')

  const calm = await appClient('calm')
  assert.equal(await calm.eval("return 'ran'", 0), 'ran', 'the old rules allowed scripts')

  const changes = await apps.provision()
  assert.deepEqual(
    changes.map(({ app, action }) => `${app}: ${action}`),
    ['calm: update acl user'],
  )
  await assert.rejects(calm.eval("return 'ran'", 0), /NOPERM/, 'the same connection, new rules')
  assert.deepEqual(await apps.provision(), [], 'a re-run changes nothing')
})

/** The longest PING round trip `calm` sees while `work` runs for `busy`. */
async function stallOf(calm: Redis, work: () => Promise<unknown>): Promise<number> {
  let running = true
  let longest = 0
  const pinger = (async () => {
    while (running) {
      const start = performance.now()
      await calm.ping()
      longest = Math.max(longest, performance.now() - start)
    }
  })()
  await work()
  running = false
  await pinger
  return longest
}

test("what an app may still run costs another app's PING (printed, not asserted)", async () => {
  const busy = await appClient('busy')
  const calm = await appClient('calm')
  const members = 500_000
  for (let start = 0; start < members; start += 10_000) {
    const batch = Array.from({ length: 10_000 }, (_, i) => `member-${start + i}`)
    await busy.sadd('busy:set', ...batch)
  }
  const figures: string[] = []
  const measure = async (what: string, work: () => Promise<unknown>) => {
    figures.push(`${what} ${(await stallOf(calm, work)).toFixed(1)} ms`)
  }
  await measure('idle', () => new Promise((resolve) => setTimeout(resolve, 200)))
  await measure(`SMEMBERS of ${members}`, () => busy.smembers('busy:set'))
  await measure(`SUNIONSTORE of 2 × ${members}`, () =>
    busy.sunionstore('busy:copy', 'busy:set', 'busy:set'),
  )
  await measure(`SCAN COUNT ${members * 2}`, () => busy.scan(0, 'COUNT', members * 2))
  await measure(`DEL of ${members} (freed in the background)`, () => busy.del('busy:copy'))
  await measure('SETRANGE at 16 MB - 1', () => busy.setrange('busy:big', 16 * 1024 * 1024 - 2, 'x'))
  await busy.del('busy:set', 'busy:big')
  console.log(`# longest PING of another app while one app runs: ${figures.join('; ')}`)
  assert.equal(await calm.ping(), 'PONG')
})
