/**
 * The stack runs the provisioner on every `up`, and Redis restarts in between (a deploy, a
 * crash, a reboot). A restarted Redis describes the same ACL users in another order (ACL LIST
 * walks a hash table whose seed is random per process), so a provisioner judging changes by
 * that text reports changes that are not there. This runs a real redis-server with an aclfile,
 * as the stack does, and restarts it between two provisionings.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { type PersistentRedis, startPersistentRedis } from '../../src/redis/test-server.js'
import { type ProvisionedRedis, provisionedRedis } from './provisioned.js'

let redis: PersistentRedis
let apps: ProvisionedRedis

before(async () => {
  // A fresh server as the stack's secrets step leaves it, `default` still open.
  redis = await startPersistentRedis({
    config: 'save ""\nappendonly no\n',
    acl: ['user default on nopass ~* &* +@all'],
  })
  apps = await provisionedRedis(redis, [
    { name: 'ra', redisDb: 3 },
    { name: 'rb', redisDb: 4 },
    { name: 'rc', redisDb: 5 },
  ])
})

after(async () => {
  await redis?.stop()
  await apps?.remove()
})

test('re-provisioning after a Redis restart changes nothing, and the users still work', async () => {
  const first = await apps.provision()
  assert.ok(first.some((c) => c.app === 'ra' && c.action === 'create acl user'))
  assert.deepEqual(await apps.provision(), [], 'a re-run changes nothing')

  for (let restart = 1; restart <= 3; restart++) {
    await redis.kill()
    await redis.start()
    assert.deepEqual(
      await apps.provision(),
      [],
      `after restart ${restart}: nothing changed, so nothing may be reported`,
    )
  }

  const app = new Redis(apps.login('rb'))
  try {
    await app.set('k', 'v')
    assert.equal(await app.get('k'), 'v')
    await assert.rejects(app.call('SELECT', '3'), /NOPERM/, "rb may not select ra's index")
  } finally {
    app.disconnect()
  }
})
