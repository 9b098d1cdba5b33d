/**
 * The stack runs the provisioner on every `up`, and Redis restarts in between (a deploy, a
 * crash, a reboot). A restarted Redis describes the same ACL users in another order (ACL LIST
 * walks a hash table whose seed is random per process), so a provisioner judging changes by
 * that text reports changes that are not there. This runs a real redis-server with an aclfile,
 * as the stack does, and restarts it between two provisionings.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { type AdminConfig, provisionRepository } from '../../provision/src/index.js'
import { type PersistentRedis, startPersistentRedis } from '../src/redis/test-server.js'
import { appEnvOf, makeRepo, persistentRedisAdmin } from './fixtures.js'

let redis: PersistentRedis
let admin: AdminConfig

before(async () => {
  // A fresh server as the stack's secrets step leaves it, `default` still open.
  redis = await startPersistentRedis({
    config: 'save ""\nappendonly no\n',
    acl: ['user default on nopass ~* &* +@all'],
  })
  admin = await persistentRedisAdmin(redis)
})

after(async () => {
  await redis?.stop()
  if (admin) await rm(admin.secretsDir, { recursive: true, force: true })
})

test('re-provisioning after a Redis restart changes nothing, and the users still work', async () => {
  const stores = { redis: true }
  const root = await makeRepo([
    { name: 'ra', stores, redisDb: 3 },
    { name: 'rb', stores, redisDb: 4 },
    { name: 'rc', stores, redisDb: 5 },
  ])
  const first = await provisionRepository(root, admin)
  assert.ok(first.some((c) => c.app === 'ra' && c.action === 'create acl user'))
  assert.deepEqual(await provisionRepository(root, admin), [], 'a re-run changes nothing')

  for (let restart = 1; restart <= 3; restart++) {
    await redis.kill()
    await redis.start()
    assert.deepEqual(
      await provisionRepository(root, admin),
      [],
      `after restart ${restart}: nothing changed, so nothing may be reported`,
    )
  }

  const env = await appEnvOf(admin, 'rb')
  const app = new Redis(env.REDIS_URL as string, { keyPrefix: env.REDIS_KEY_PREFIX })
  try {
    await app.set('k', 'v')
    assert.equal(await app.get('k'), 'v')
    await assert.rejects(app.call('SELECT', '3'), /NOPERM/, "rb may not select ra's index")
  } finally {
    app.disconnect()
  }
})
