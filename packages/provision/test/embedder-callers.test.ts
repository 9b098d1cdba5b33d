import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadRegistry, verifyAppToken } from '@flotilla/stack'
import { appEnvOf, makeRepo } from '../../data/test/fixtures.js'
import { adminConfigFromEnv } from '../src/admin-config.js'
import { ProvisionError, provisionRepository } from '../src/provision.js'

const SECRET = 'embedder-caller-secret-for-tests-0123456789'

async function secretsDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'flotilla-callers-'))
}

test('the embedder gets the caller secret, every other app a token naming it alone', async () => {
  const root = await makeRepo([
    { name: 'embedder', stores: {} },
    { name: 'ca', stores: {} },
    { name: 'cb', stores: {} },
  ])
  const admin = { secretsDir: await secretsDir(), embedderCallerSecret: SECRET }
  await provisionRepository(root, admin)
  const registry = new Map((await loadRegistry(root)).apps.map((app) => [app.name, app]))

  const embedder = await appEnvOf(admin, 'embedder')
  assert.equal(embedder.EMBEDDER_CALLER_SECRET, SECRET)
  assert.equal(embedder.EMBEDDER_TOKEN, undefined)
  for (const app of ['ca', 'cb']) {
    const env = await appEnvOf(admin, app)
    assert.equal(env.EMBEDDER_CALLER_SECRET, undefined, `${app} must not hold the secret`)
    assert.equal(env.EMBEDDER_URL, `http://embedder:${registry.get('embedder')?.port}`)
    assert.deepEqual(await verifyAppToken('embedder', SECRET, env.EMBEDDER_TOKEN ?? ''), { app })
    // Not a token for any other service, even one keyed by the same secret.
    assert.equal(await verifyAppToken('chroma', SECRET, env.EMBEDDER_TOKEN ?? ''), undefined)
  }
  // Idempotent: the derived tokens are the same next run.
  assert.deepEqual(await provisionRepository(root, admin), [])
})

test('a registry with the embedder but no caller secret is refused before anything is written', async () => {
  const root = await makeRepo([
    { name: 'embedder', stores: {} },
    { name: 'cc', stores: {} },
  ])
  await assert.rejects(
    provisionRepository(root, { secretsDir: await secretsDir() }),
    (error: unknown) =>
      error instanceof ProvisionError &&
      error.problems.some((p) => p.includes('EMBEDDER_CALLER_SECRET')),
  )
})

test('without the embedder in the registry no app gets a caller token', async () => {
  const root = await makeRepo([{ name: 'cd', stores: {} }])
  const admin = { secretsDir: await secretsDir(), embedderCallerSecret: SECRET }
  await provisionRepository(root, admin)
  assert.equal((await appEnvOf(admin, 'cd')).EMBEDDER_TOKEN, undefined)
  assert.equal((await appEnvOf(admin, 'cd')).EMBEDDER_URL, undefined)
})

test('the caller secret is read from EMBEDDER_CALLER_SECRET_FILE', async () => {
  const dir = await secretsDir()
  await writeFile(join(dir, 'embedder_caller_secret'), `${SECRET}\n`)
  const config = adminConfigFromEnv({
    EMBEDDER_CALLER_SECRET_FILE: join(dir, 'embedder_caller_secret'),
  })
  assert.equal(config.embedderCallerSecret, SECRET)
})
