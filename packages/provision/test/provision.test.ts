import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import { appDataConfigFromEnv, openAppData, readEnvFile } from '@flotilla/data'
import { RegistryError } from '@flotilla/stack'
import { Redis } from 'ioredis'
import pg from 'pg'
import {
  addApp,
  appEnvOf,
  makeRepo,
  type Servers,
  startOwnServers,
} from '../../data/test/fixtures.js'
import { appEnvPath } from '../src/app-env.js'
import { provisionRepository } from '../src/provision.js'

const both = { postgres: true, redis: true }

describe('provisioner against live PostgreSQL and Redis', () => {
  let servers: Servers
  let root: string
  const superuser = () => new pg.Client({ connectionString: servers.postgres.url })

  async function pgHas(kind: 'role' | 'database', name: string): Promise<boolean> {
    const client = superuser()
    await client.connect()
    try {
      const sql =
        kind === 'role'
          ? 'SELECT 1 FROM pg_roles WHERE rolname = $1'
          : 'SELECT 1 FROM pg_database WHERE datname = $1'
      return (await client.query(sql, [name])).rowCount === 1
    } finally {
      await client.end()
    }
  }

  async function redisUsers(): Promise<string[]> {
    const { redis } = servers.admin
    const client = new Redis({
      host: servers.redis.host,
      port: servers.redis.port,
      username: 'admin',
      password: redis?.adminPassword,
      enableReadyCheck: false,
      lazyConnect: true,
      retryStrategy: () => null,
    })
    client.on('error', () => {})
    await client.connect()
    try {
      return (await client.call('ACL', 'USERS')) as string[]
    } finally {
      client.disconnect()
    }
  }

  before(async () => {
    servers = await startOwnServers()
    root = await makeRepo([
      { name: 'pa', stores: both },
      { name: 'pb', stores: both, redisDb: 7 },
    ])
  })
  after(() => servers?.stop())

  test('a first run creates every resource; a second run changes nothing', async () => {
    const first = await provisionRepository(root, servers.admin)
    const actions = first.map((c) => `${c.store} ${c.app} ${c.action}`)
    for (const app of ['pa', 'pb']) {
      assert.ok(actions.includes(`postgres ${app} create role`), actions.join('\n'))
      assert.ok(actions.includes(`postgres ${app} create database`))
      assert.ok(actions.includes(`postgres ${app} revoke public`))
      assert.ok(actions.includes(`redis ${app} create acl user`))
      assert.ok(actions.includes(`secrets ${app} write credentials`))
    }
    assert.ok(actions.includes('postgres * revoke public'))
    assert.ok(actions.includes('redis * update acl user'), 'default user switched off')

    const second = await provisionRepository(root, servers.admin)
    assert.deepEqual(second, [])
  })

  test('credential files are private and their credentials open only the app’s own stores', async () => {
    const path = appEnvPath(servers.admin.secretsDir, 'pb')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    const env = await appEnvOf(servers.admin, 'pb')
    assert.equal(env.REDIS_KEY_PREFIX, 'pb:')
    assert.match(env.REDIS_URL ?? '', /^redis:\/\/pb:[A-Za-z0-9_-]{43}@127\.0\.0\.1:\d+\/7$/)
    assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/pb:[A-Za-z0-9_-]{43}@127\.0\.0\.1:\d+\/pb$/)

    const data = await openAppData(appDataConfigFromEnv(env))
    try {
      const { rows } = await (data.pg as pg.Pool).query('SELECT current_user, current_database()')
      assert.deepEqual(rows[0], { current_user: 'pb', current_database: 'pb' })
      await data.redis?.set('k', 'v')
      assert.equal(await data.redis?.get('k'), 'v')
      for (const check of data.readiness) await check.check(AbortSignal.timeout(1000))
    } finally {
      await data.close()
    }
  })

  test('adding an app creates only that app’s resources', async () => {
    const before = await appEnvOf(servers.admin, 'pa')
    await addApp(root, { name: 'pc', stores: both })
    const changes = await provisionRepository(root, servers.admin)
    assert.ok(changes.length >= 4, JSON.stringify(changes))
    // The ACL file form lists every user, so it changes with any new one.
    const aclFile = changes.filter((c) => c.action === 'write acl file')
    assert.equal(aclFile.length, 1)
    assert.deepEqual(
      [...new Set(changes.filter((c) => !aclFile.includes(c)).map((c) => c.app))],
      ['pc'],
    )
    assert.deepEqual(await appEnvOf(servers.admin, 'pa'), before, 'other apps keep their passwords')
    assert.ok(await pgHas('database', 'pc'))
    assert.deepEqual(await provisionRepository(root, servers.admin), [])
  })

  test('--rotate replaces one app’s passwords: the new ones work, the old ones do not', async () => {
    const old = await appEnvOf(servers.admin, 'pa')
    const changes = await provisionRepository(root, servers.admin, { rotate: ['pa'] })
    assert.deepEqual(changes.map((c) => `${c.store} ${c.app} ${c.action}`).sort(), [
      'postgres pa set password',
      'redis * write acl file',
      'redis pa update acl user',
      'secrets pa write credentials',
    ])
    const fresh = await appEnvOf(servers.admin, 'pa')
    assert.notEqual(fresh.DATABASE_URL, old.DATABASE_URL)

    const stale = new pg.Client({ connectionString: old.DATABASE_URL })
    await assert.rejects(stale.connect(), /password authentication failed/)
    const current = new pg.Client({ connectionString: fresh.DATABASE_URL })
    await current.connect()
    await current.end()
    const oldRedis = new Redis(old.REDIS_URL as string, {
      lazyConnect: true,
      enableReadyCheck: false,
      retryStrategy: () => null,
    })
    let refusal = ''
    oldRedis.on('error', (error: Error) => {
      refusal = error.message
    })
    await assert.rejects(oldRedis.connect())
    assert.match(refusal, /WRONGPASS/)
  })

  test('an invalid registry is refused before anything is touched', async () => {
    const bad = await makeRepo([
      { name: 'pd', stores: both },
      { name: 'pe', stores: { ...both, mongo: true } },
    ])
    const usersBefore = await redisUsers()
    await assert.rejects(provisionRepository(bad, servers.admin), RegistryError)
    assert.equal(await pgHas('role', 'pd'), false)
    assert.equal(await pgHas('database', 'pd'), false)
    assert.deepEqual(await redisUsers(), usersBefore)
    await assert.rejects(stat(appEnvPath(servers.admin.secretsDir, 'pd')), { code: 'ENOENT' })
  })

  test('an app needing a store the provisioner cannot reach is refused before anything is touched', async () => {
    const repo = await makeRepo([{ name: 'pf', stores: { ...both, chroma: ['memories'] } }])
    await assert.rejects(
      provisionRepository(repo, servers.admin),
      /CHROMA_GUARD_URL is not configured/,
    )
    assert.equal(await pgHas('role', 'pf'), false)
  })

  test('a store named as absent from the stack is skipped: the app gets everything else', async () => {
    const withQdrant = await makeRepo([{ name: 'pq', stores: { ...both, qdrant: ['docs'] } }])
    const changes = await provisionRepository(withQdrant, servers.admin, { skipStores: ['qdrant'] })
    assert.ok(changes.some((c) => c.store === 'postgres' && c.app === 'pq'))
    assert.equal(await pgHas('role', 'pq'), true)
    const env = await readEnvFile(appEnvPath(servers.admin.secretsDir, 'pq'))
    assert.ok(env?.DATABASE_URL)
    assert.equal(env?.QDRANT_URL, undefined, 'no credentials for a store that is not there')
  })
})
