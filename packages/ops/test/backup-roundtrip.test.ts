import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type LocalGuard, startLocalGuard } from '@flotilla/chroma-guard'
import { exportChroma } from '@flotilla/data/chroma/backup'
import {
  type ChromaServer,
  DockerUnavailableError,
  startChroma,
} from '@flotilla/data/chroma/test-server'
import { provisionRepository } from '@flotilla/provision'
import { type App, loadRegistry } from '@flotilla/stack'
import { Redis } from 'ioredis'
import pg from 'pg'
import { appEnvOf, makeRepo, type Servers, startOwnServers } from '../../data/test/fixtures.js'
import { type AppStoreAccess, backupApp, restoreApp } from '../src/backup/app-backup.js'
import { localPgTools } from '../src/backup/compose-access.js'
import { BackupIntegrityError } from '../src/backup/manifest.js'
import { listBackups, pruneBackups } from '../src/backup/retention.js'
import { runCommand } from '../src/run.js'

const chroma: ChromaServer | undefined = await startChroma().catch((error: unknown) => {
  if (!(error instanceof DockerUnavailableError)) throw error
  console.log(`# SKIP backup round trip: ${error.message}`)
  return undefined
})

const APP = 'bk_app'
const SECRET = 'guard-secret-for-backup-test-0123456789'
const ADMIN = 'admin-token-for-backup-test-0123456789'
const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex')

describe('backup → wipe → restore on real PostgreSQL, Redis and Chroma', {
  skip: !chroma && 'Docker is not available',
}, () => {
  let servers: Servers
  let guard: LocalGuard | undefined
  let access: AppStoreAccess
  let backupsRoot = ''
  let pool: pg.Pool
  let redis: Redis

  /** Every row, every key's DUMP + TTL presence, every Chroma record: one hash. */
  async function fingerprint() {
    const rows = (await pool.query('SELECT * FROM items ORDER BY id').catch(() => ({ rows: null })))
      .rows
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${APP}:*`)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    keys.sort()
    const values = await Promise.all(
      keys.map(async (key) => [
        key,
        (await redis.dumpBuffer(key))?.toString('base64'),
        (await redis.pttl(key)) > 0,
      ]),
    )
    const vectors = await exportChroma({
      url: access.env.CHROMA_URL as string,
      token: access.env.CHROMA_TOKEN as string,
      tenant: access.env.CHROMA_TENANT as string,
      database: access.env.CHROMA_DATABASE as string,
    })
    return sha({ rows, values, vectors })
  }

  before(async () => {
    servers = await startOwnServers()
    guard = await startLocalGuard({
      upstreamUrl: chroma?.url ?? '',
      secret: SECRET,
      adminToken: ADMIN,
    })
    const guardUrl = guard.url
    servers.admin.chroma = { url: guardUrl, adminToken: ADMIN, secret: SECRET }
    const root = await makeRepo([
      {
        name: APP,
        stores: { postgres: true, redis: true, chroma: ['memories', 'notes'] },
        redisDb: 5,
      },
    ])
    await provisionRepository(root, servers.admin)
    const app = (await loadRegistry(root)).apps[0] as App
    const env = await appEnvOf(servers.admin, APP)
    const admin = new URL(servers.redis.url)
    admin.username = 'admin'
    admin.password = servers.admin.redis?.adminPassword ?? ''
    admin.pathname = '/5'
    access = {
      app,
      env,
      pgTools: localPgTools(runCommand),
      redisRestoreUrl: admin.href,
    }
    backupsRoot = await mkdtemp(join(tmpdir(), 'flotilla-backups-'))

    // The app's data, written with its own credentials.
    pool = new pg.Pool({ connectionString: env.DATABASE_URL })
    // Stopping the server at teardown ends idle clients with 57P01; unhandled, that crashes the run.
    pool.on('error', () => {})
    await pool.query('CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL, tags jsonb)')
    await pool.query(
      `INSERT INTO items SELECT g, 'item ' || g, jsonb_build_object('n', g) FROM generate_series(1, 250) g`,
    )
    redis = new Redis(env.REDIS_URL as string, { enableReadyCheck: false })
    await redis.set(`${APP}:plain`, 'value')
    await redis.set(`${APP}:expiring`, 'soon', 'EX', 3600)
    await redis.hset(`${APP}:hash`, { a: '1', b: '2' })
    await redis.rpush(`${APP}:list`, 'x', 'y', 'z')
    await redis.zadd(`${APP}:zset`, 1, 'one', 2, 'two')
    await redis.set(`${APP}:binary`, Buffer.from([0, 255, 1, 254]))
    for (const [name, size] of [
      ['memories', 1200],
      ['notes', 3],
    ] as const) {
      const created = await fetch(`${guardUrl}/api/v2/tenants/${APP}/databases/main/collections`, {
        method: 'POST',
        headers: {
          'x-chroma-token': env.CHROMA_TOKEN as string,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name, metadata: { purpose: name } }),
      }).then((r) => r.json() as Promise<{ id: string }>)
      const ids = Array.from({ length: size }, (_, i) => `${name}-${i}`)
      const added = await fetch(
        `${guardUrl}/api/v2/tenants/${APP}/databases/main/collections/${created.id}/add`,
        {
          method: 'POST',
          headers: {
            'x-chroma-token': env.CHROMA_TOKEN as string,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            ids,
            embeddings: ids.map((_, i) => [i / 7, Math.sin(i), 1 - i / 1000]),
            metadatas: ids.map((_, i) => ({ i, even: i % 2 === 0 })),
            documents: ids.map((id) => `document ${id}`),
          }),
        },
      )
      assert.ok(added.ok, await added.text())
    }
  })

  after(async () => {
    await pool?.end()
    redis?.disconnect()
    await guard?.close()
    await Promise.all([servers?.stop(), chroma?.stop()])
    await rm(backupsRoot, { recursive: true, force: true })
  })

  test('restored data equals the original (counts and checksums)', async () => {
    const original = await fingerprint()
    assert.equal(await fingerprint(), original, 'the fingerprint is stable')
    const { dir, manifest } = await backupApp(access, backupsRoot)
    assert.deepEqual(manifest.counts, {
      postgres: { 'public.items': 250 },
      redis: 6,
      chroma: { memories: 1200, notes: 3 },
    })
    assert.deepEqual(Object.keys(manifest.files), ['chroma.json', 'postgres.dump', 'redis.jsonl'])

    // Wipe and mutate every store.
    await pool.query('DELETE FROM items WHERE id > 10')
    await pool.query("UPDATE items SET body = 'changed'")
    await pool.query('CREATE TABLE stray (id int)')
    await redis.del(`${APP}:hash`, `${APP}:list`)
    await redis.set(`${APP}:plain`, 'overwritten')
    await redis.set(`${APP}:new`, 'not in the backup')
    const chromaBase = `${access.env.CHROMA_URL}/api/v2/tenants/${APP}/databases/main/collections`
    const headers = { 'x-chroma-token': access.env.CHROMA_TOKEN as string }
    assert.equal((await fetch(`${chromaBase}/memories`, { method: 'DELETE', headers })).status, 200)
    assert.notEqual(await fingerprint(), original)

    const restored = await restoreApp(access, dir)
    assert.deepEqual(restored.counts, manifest.counts)
    assert.equal(await fingerprint(), original, 'rows, keys and vectors equal the originals')
    const stray = await pool.query("SELECT to_regclass('public.stray') AS t")
    assert.equal(stray.rows[0]?.t, null, 'a table made after the backup is gone')
  })

  test('a corrupted file is refused before anything changes', async () => {
    const { dir } = await backupApp(access, backupsRoot, () => {}, new Date(Date.now() + 1000))
    const corrupt = `${dir}-corrupt`
    await cp(dir, corrupt, { recursive: true })
    await appendFile(join(corrupt, 'redis.jsonl'), '\n')
    await redis.set(`${APP}:plain`, 'changed after backup')
    const before = await fingerprint()
    await assert.rejects(restoreApp(access, corrupt), (error: unknown) => {
      assert.ok(error instanceof BackupIntegrityError)
      assert.match(error.message, /redis\.jsonl: sha256 [0-9a-f]{64} ≠/)
      return true
    })
    assert.equal(await fingerprint(), before, 'nothing was changed')
    await rm(corrupt, { recursive: true })
  })

  test('retention keeps the newest N backups of the app', async () => {
    const appDir = join(backupsRoot, APP)
    await backupApp(access, backupsRoot, () => {}, new Date(Date.now() + 2000))
    const all = await listBackups(appDir)
    assert.equal(all.length, 3)
    const deleted = await pruneBackups(appDir, 1)
    assert.deepEqual(deleted, all.slice(0, 2))
    assert.deepEqual(await readdir(appDir), all.slice(2))
  })
})
