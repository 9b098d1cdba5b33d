import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadRegistry, RegistryError } from '../src/index.js'
import { appPackage, fakeRoot } from './fixtures.js'

test('a valid registry loads, sorted by name, with paths relative to the root', async (t) => {
  const root = await fakeRoot(t, {
    notes: appPackage('notes', { stores: { postgres: true, redis: true }, redisDb: 7 }),
    embedder: appPackage('embedder', {
      tier: 'ml',
      profile: 'ml',
      model: 'embedding',
      route: '/embedder/',
      port: 3001,
      stores: { redis: true, chroma: ['memories'] },
      resources: { memory: '1G', cpus: '2' },
    }),
    kb: appPackage('kb', { route: '/kb/', port: 3002, stores: { qdrant: ['docs'], neo4j: true } }),
    'not-an-app': null,
  })
  const registry = await loadRegistry(root)
  assert.equal(registry.root, root)
  assert.deepEqual(
    registry.apps.map((app) => app.name),
    ['embedder', 'kb', 'notes'],
  )
  const [embedder, kb, notes] = registry.apps
  assert.deepEqual(notes, {
    name: 'notes',
    packageName: '@flotilla/notes',
    dir: 'apps/notes',
    manifestFile: 'apps/notes/package.json',
    tier: 'base',
    route: '/notes/',
    port: 3000,
    stores: { postgres: true, redis: true },
    resources: { memory: '192M', cpus: '0.50' },
    profile: null,
    model: null,
    redisDb: 7,
    env: {},
  })
  assert.equal(embedder?.tier, 'ml')
  assert.equal(embedder?.profile, 'ml')
  assert.equal(embedder?.model, 'embedding')
  assert.ok(
    embedder?.redisDb !== null && embedder?.redisDb !== 7,
    'derived DB avoids the pinned one',
  )
  assert.equal(kb?.redisDb, null, 'an app without Redis gets no DB index')
})

test('an empty apps/ folder is an empty registry', async (t) => {
  const root = await fakeRoot(t, {})
  assert.deepEqual((await loadRegistry(root)).apps, [])
})

test('a root without apps/ is refused with a clear error', async () => {
  const error = await loadRegistry('/nonexistent/flotilla').catch((e: unknown) => e)
  assert.ok(error instanceof RegistryError)
  assert.match(error.message, /apps\/: not found under \/nonexistent\/flotilla/)
})

function redisApps(names: string[]): Record<string, object> {
  return Object.fromEntries(
    names.map((name, i) => [
      name,
      appPackage(name, { stores: { redis: true }, route: `/${name}/`, port: 3000 + i }),
    ]),
  )
}

test('derived Redis DB indexes are unique, within 1-15, and the same on every load', async (t) => {
  const names = Array.from({ length: 15 }, (_, i) => `app${String.fromCharCode(97 + i)}`)
  const root = await fakeRoot(t, redisApps(names))
  const first = (await loadRegistry(root)).apps.map((app) => app.redisDb)
  const second = (await loadRegistry(root)).apps.map((app) => app.redisDb)
  assert.deepEqual(first, second)
  assert.deepEqual(
    [...first].sort((a, b) => (a ?? 0) - (b ?? 0)),
    Array.from({ length: 15 }, (_, i) => i + 1),
  )
})

test('adding an app does not move the derived DB of an existing one', async (t) => {
  const alone = await loadRegistry(await fakeRoot(t, redisApps(['notes'])))
  const joined = await loadRegistry(await fakeRoot(t, redisApps(['notes', 'kb', 'classifier'])))
  const notesDb = (registry: typeof alone) => registry.apps.find((a) => a.name === 'notes')?.redisDb
  assert.equal(notesDb(joined), notesDb(alone))
})
