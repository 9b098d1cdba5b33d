/**
 * The stack runs the provisioner on every `up`, and Redis restarts in between (a deploy, a
 * crash, a reboot). A restarted Redis describes the same ACL users in another order (ACL LIST
 * walks a hash table whose seed is random per process), so a provisioner judging changes by
 * that text reports changes that are not there. This runs a real redis-server with an aclfile,
 * as the stack does, and restarts it between two provisionings.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { provisionRepository } from '../src/provision/provision.js'
import { appEnvOf, makeRepo } from './fixtures.js'

let dir = ''
let port = 0
let server: ChildProcess | undefined

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** Any reply to PING (`+PONG`, or `-NOAUTH` once `default` is off) means the server is up. */
function answers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
    socket.setTimeout(1000, () => socket.destroy())
    socket.once('data', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('close', () => resolve(false))
    socket.on('error', () => {})
  })
}

async function startRedis(): Promise<void> {
  server = spawn('redis-server', [join(dir, 'redis.conf')], { stdio: 'ignore' })
  const deadline = Date.now() + 10_000
  while (!(await answers())) {
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error('redis-server did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function stopRedis(): Promise<void> {
  if (!server || server.exitCode !== null) return
  const exited = once(server, 'exit')
  server.kill('SIGTERM')
  await exited
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-redis-restart-'))
  port = await freePort()
  await writeFile(
    join(dir, 'redis.conf'),
    [
      'bind 127.0.0.1',
      `port ${port}`,
      'save ""',
      'appendonly no',
      `dir ${dir}`,
      `aclfile ${join(dir, 'users.acl')}`,
      '',
    ].join('\n'),
  )
  // A fresh server as the stack's secrets step leaves it, minus the admin user: open default.
  await writeFile(join(dir, 'users.acl'), 'user default on nopass ~* &* +@all\n')
  await startRedis()
})

after(async () => {
  await stopRedis()
  await rm(dir, { recursive: true, force: true })
})

test('re-provisioning after a Redis restart changes nothing, and the users still work', async () => {
  const stores = { redis: true }
  const root = await makeRepo([
    { name: 'ra', stores, redisDb: 3 },
    { name: 'rb', stores, redisDb: 4 },
    { name: 'rc', stores, redisDb: 5 },
  ])
  const admin = {
    secretsDir: join(dir, 'secrets'),
    redis: {
      url: `redis://127.0.0.1:${port}`,
      adminPassword: 'admin-password-for-tests-0123456789',
      healthPassword: 'health-password-for-tests-0123456789',
    },
  }
  const first = await provisionRepository(root, admin)
  assert.ok(first.some((c) => c.app === 'ra' && c.action === 'create acl user'))
  assert.deepEqual(await provisionRepository(root, admin), [], 'a re-run changes nothing')

  for (let restart = 1; restart <= 3; restart++) {
    await stopRedis()
    await startRedis()
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
