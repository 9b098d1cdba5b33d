import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import {
  appDataConfigFromEnv,
  mintQdrantToken,
  openQdrant,
  qdrantTokenExpiry,
  readEnvFile,
} from '@flotilla/data'
import { provisionQdrant } from '@flotilla/data/qdrant/provision'
import { makeRepo } from '../../data/test/fixtures.js'
import { startQdrantRecorder, targetFor } from '../../data/test/qdrant-recorder.js'
import { adminConfigFromEnv } from '../src/admin-config.js'
import { appEnvPath } from '../src/app-env.js'
import { provisionRepository } from '../src/provision.js'

const ADMIN_KEY = 'admin-api-key'

describe('provisionQdrant against a recording server', () => {
  let recorder: Awaited<ReturnType<typeof startQdrantRecorder>>
  let admin: { url: string; apiKey: string }
  const apps = [
    targetFor('alpha', ['docs', 'memories']),
    targetFor('beta', ['docs']),
    targetFor('gamma', undefined),
  ]

  before(async () => {
    recorder = await startQdrantRecorder({ apiKey: ADMIN_KEY })
    admin = { url: recorder.url, apiKey: ADMIN_KEY }
  })
  after(() => recorder.close())
  beforeEach(() => {
    recorder.requests.length = 0
  })

  test('first run creates each collection and its is_tenant keyword index with the documented bodies', async () => {
    const changes = await provisionQdrant(admin, apps)
    assert.deepEqual(changes, [
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create collection',
        detail: 'alpha__docs (384, Cosine)',
      },
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create tenant index',
        detail: 'alpha__docs.tenant',
      },
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create collection',
        detail: 'alpha__memories (384, Cosine)',
      },
      {
        store: 'qdrant',
        app: 'alpha',
        action: 'create tenant index',
        detail: 'alpha__memories.tenant',
      },
      {
        store: 'qdrant',
        app: 'beta',
        action: 'create collection',
        detail: 'beta__docs (384, Cosine)',
      },
      { store: 'qdrant', app: 'beta', action: 'create tenant index', detail: 'beta__docs.tenant' },
    ])
    const writes = recorder.requests.filter((r) => r.method !== 'GET')
    assert.deepEqual(
      writes.map((r) => [r.method, r.path, r.body]),
      ['alpha__docs', 'alpha__memories', 'beta__docs'].flatMap((c) => [
        ['PUT', `/collections/${c}`, { vectors: { size: 384, distance: 'Cosine' } }],
        [
          'PUT',
          `/collections/${c}/index?wait=true`,
          { field_name: 'tenant', field_schema: { type: 'keyword', is_tenant: true } },
        ],
      ]),
    )
    assert.ok(recorder.requests.every((r) => r.headers['api-key'] === ADMIN_KEY))
    assert.ok(
      recorder.requests.some(
        (r) => r.method === 'GET' && r.path === '/collections/alpha__docs/exists',
      ),
    )
  })

  test('second run changes nothing and writes nothing', async () => {
    assert.deepEqual(await provisionQdrant(admin, apps), [])
    assert.deepEqual(
      recorder.requests.filter((r) => r.method !== 'GET'),
      [],
    )
  })

  test('adding an app later creates only that app’s collections, with configured vector params', async () => {
    const later = [...apps, targetFor('delta', ['images'])]
    const vectors = (collection: string) =>
      collection === 'delta__images'
        ? { size: 512, distance: 'Dot' as const }
        : { size: 384, distance: 'Cosine' as const }
    const changes = await provisionQdrant(admin, later, { vectors })
    assert.deepEqual(
      changes.map((c) => c.detail),
      ['delta__images (512, Dot)', 'delta__images.tenant'],
    )
    const created = recorder.requests.find(
      (r) => r.method === 'PUT' && r.path === '/collections/delta__images',
    )
    assert.deepEqual(created?.body, { vectors: { size: 512, distance: 'Dot' } })
  })

  test('an existing collection with other vector params is an error, not altered', async () => {
    await assert.rejects(
      provisionQdrant(admin, [apps[0] ?? targetFor('alpha', ['docs'])], {
        vectors: { size: 768, distance: 'Cosine' },
      }),
      /alpha__docs exists with vectors .*384.* expected .*768/,
    )
    assert.deepEqual(
      recorder.requests.filter((r) => r.method !== 'GET'),
      [],
    )
  })

  test('a tenant field indexed as something else is an error', async () => {
    recorder.collections.set('omega__docs', {
      vectors: { size: 384, distance: 'Cosine' },
      payloadSchema: { tenant: { data_type: 'integer', params: null, points: 0 } },
    })
    await assert.rejects(
      provisionQdrant(admin, [targetFor('omega', ['docs'])]),
      /omega__docs.tenant is indexed as/,
    )
  })

  test('server errors are reported with the collection and the status', async () => {
    await assert.rejects(
      provisionQdrant({ url: 'http://127.0.0.1:1', apiKey: ADMIN_KEY }, [
        targetFor('alpha', ['docs']),
      ]),
      /qdrant: checking collection alpha__docs failed/,
    )
    await assert.rejects(
      provisionQdrant({ url: recorder.url, apiKey: '' }, apps),
      /admin API key is empty/,
    )
    await assert.rejects(
      provisionQdrant({ url: recorder.url, apiKey: 'not-the-key' }, apps),
      /checking collection alpha__docs failed: 401/,
    )
  })
})

describe('the provisioner hands each app an expiring token and renews it', () => {
  const DAY = 86_400
  let recorder: Awaited<ReturnType<typeof startQdrantRecorder>>
  let repo: string
  let secretsDir: string
  let file: string
  let admin: Parameters<typeof provisionRepository>[1]
  /** Seconds from now until the app's token in its credential file expires. */
  const daysLeft = async () => {
    const token = (await readEnvFile(file))?.QDRANT_API_KEY ?? ''
    return ((qdrantTokenExpiry(token) ?? 0) - Date.now() / 1000) / DAY
  }

  before(async () => {
    recorder = await startQdrantRecorder({ apiKey: ADMIN_KEY })
    repo = await makeRepo([{ name: 'kq', stores: { qdrant: ['docs'] } }])
    secretsDir = await mkdtemp(join(tmpdir(), 'flotilla-qdrant-secrets-'))
    file = appEnvPath(secretsDir, 'kq')
    admin = { secretsDir, qdrant: { url: recorder.url, apiKey: ADMIN_KEY } }
  })
  after(async () => {
    await recorder.close()
    await Promise.all([repo, secretsDir].map((d) => rm(d, { recursive: true, force: true })))
  })

  test('first run mints a 30-day token and names the credential file; a second run keeps it', async () => {
    const changes = await provisionRepository(repo, admin)
    const minted = changes.filter((c) => c.store === 'qdrant' && c.action === 'mint token')
    assert.equal(minted.length, 1)
    const env = await readEnvFile(file)
    assert.equal(env?.QDRANT_CREDENTIALS_FILE, file)
    assert.ok(Math.abs((await daysLeft()) - 30) < 0.01, `${await daysLeft()} days left`)
    const before = await readFile(file, 'utf8')
    assert.deepEqual(await provisionRepository(repo, admin), [])
    assert.equal(await readFile(file, 'utf8'), before)
  })

  test('a token due for renewal is replaced, and the running app takes the new one without a restart', async () => {
    // As a run 25 days ago left it: 5 days left, inside the 10-day renewal window.
    const old = await mintQdrantToken(ADMIN_KEY, ['kq__docs'], {
      now: Date.now() - 25 * DAY * 1000,
    })
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace(/^QDRANT_API_KEY=.*$/m, `QDRANT_API_KEY=${old}`))
    const config = appDataConfigFromEnv((await readEnvFile(file)) ?? {}).qdrant
    assert.ok(config)
    assert.equal(config.credentialsFile, file)
    const app = openQdrant({ ...config, reloadIntervalMs: 0 })
    await app.ready()

    const changes = await provisionRepository(repo, admin)
    assert.deepEqual(
      changes.map((c) => [c.store, c.action]),
      [
        ['qdrant', 'mint token'],
        ['secrets', 'write credentials'],
      ],
    )
    assert.ok((await daysLeft()) > 29.99)
    const renewed = (await readEnvFile(file))?.QDRANT_API_KEY
    recorder.requests.length = 0
    await app.ready()
    const used = recorder.requests.filter((r) => r.path !== '/').map((r) => r.headers.authorization)
    assert.deepEqual(used, [`Bearer ${renewed}`])
  })

  test('lifetime and renewal window are settings, in days; renewal must come before the end', () => {
    const env = { QDRANT_ADMIN_URL: recorder.url, QDRANT_API_KEY: ADMIN_KEY }
    assert.deepEqual(adminConfigFromEnv(env).qdrant?.tokens, {
      lifetimeSeconds: 30 * DAY,
      renewBeforeSeconds: 10 * DAY,
    })
    const custom = { ...env, QDRANT_TOKEN_LIFETIME_DAYS: '7', QDRANT_TOKEN_RENEW_DAYS: '2' }
    assert.deepEqual(adminConfigFromEnv(custom).qdrant?.tokens, {
      lifetimeSeconds: 7 * DAY,
      renewBeforeSeconds: 2 * DAY,
    })
    assert.throws(
      () => adminConfigFromEnv({ ...env, QDRANT_TOKEN_RENEW_DAYS: '30' }),
      /QDRANT_TOKEN_RENEW_DAYS must be less than/,
    )
    assert.throws(
      () => adminConfigFromEnv({ ...env, QDRANT_TOKEN_LIFETIME_DAYS: '1.5' }),
      /QDRANT_TOKEN_LIFETIME_DAYS: expected a positive whole number/,
    )
  })

  test('a shorter configured lifetime is what the next token gets', async () => {
    const tokens = { lifetimeSeconds: 7 * DAY, renewBeforeSeconds: 2 * DAY }
    const shorter = { ...admin, qdrant: { url: recorder.url, apiKey: ADMIN_KEY, tokens } }
    // The 30-day token has more than 2 days left: kept.
    assert.deepEqual(await provisionRepository(repo, shorter), [])
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(/^QDRANT_API_KEY=.*$/m, 'QDRANT_API_KEY=x'),
    )
    await provisionRepository(repo, shorter)
    assert.ok(Math.abs((await daysLeft()) - 7) < 0.01)
  })
})
