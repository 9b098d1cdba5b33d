import assert from 'node:assert/strict'
import { test } from 'node:test'
import { appPackage, assertProblem, fakeRoot, problemsOf } from './fixtures.js'

test('registry: a duplicate route names the later file and its owner', async (t) => {
  const root = await fakeRoot(t, {
    kb: appPackage('kb', { route: '/notes/', port: 3001 }),
    notes: appPackage('notes', { route: '/notes/', port: 3002 }),
  })
  await assertProblem(
    root,
    'apps/notes/package.json',
    'flotilla.route',
    /"\/notes\/" is already used by kb \(apps\/kb\/package\.json\)/,
  )
})

test('registry: a route nested inside another app route is refused', async (t) => {
  const root = await fakeRoot(t, {
    api: appPackage('api', { route: '/api/', port: 3001 }),
    notes: appPackage('notes', { route: '/api/notes/', port: 3002 }),
  })
  await assertProblem(
    root,
    'apps/notes/package.json',
    'flotilla.route',
    /lies inside "\/api\/" of api/,
  )
})

test('registry: "/" may hold the front page above every other route', async (t) => {
  const root = await fakeRoot(t, {
    status: appPackage('status', { route: '/', port: 3001 }),
    notes: appPackage('notes', { route: '/notes/', port: 3002 }),
  })
  const { loadRegistry } = await import('../src/index.js')
  const registry = await loadRegistry(root)
  assert.deepEqual(
    registry.apps.map((app) => app.route),
    ['/notes/', '/'],
  )
})

test('registry: a duplicate port names the later file and its owner', async (t) => {
  const root = await fakeRoot(t, {
    kb: appPackage('kb', { route: '/kb/', port: 3000 }),
    notes: appPackage('notes', { route: '/notes/', port: 3000 }),
  })
  await assertProblem(
    root,
    'apps/notes/package.json',
    'flotilla.port',
    /3000 is already used by kb/,
  )
})

test('registry: a duplicate explicit Redis DB index is refused', async (t) => {
  const redis = { stores: { redis: true }, redisDb: 4 }
  const root = await fakeRoot(t, {
    kb: appPackage('kb', { ...redis, route: '/kb/', port: 3001 }),
    notes: appPackage('notes', { ...redis, route: '/notes/', port: 3002 }),
  })
  await assertProblem(
    root,
    'apps/notes/package.json',
    'flotilla.redisDb',
    /4 is already used by kb/,
  )
})

test('registry: a 17th Redis app finds no DB index and says so', async (t) => {
  const apps: Record<string, object> = {}
  for (let db = 0; db <= 16; db++) {
    const name = `app${String(db).padStart(2, '0')}`
    const pinned = db <= 15 ? { redisDb: db } : {}
    apps[name] = appPackage(name, {
      stores: { redis: true },
      ...pinned,
      route: `/${name}/`,
      port: 3000 + db,
    })
  }
  const root = await fakeRoot(t, apps)
  await assertProblem(root, 'apps/app16/package.json', 'flotilla.redisDb', /no free Redis DB index/)
})

test('registry: problems across files are all reported in one error', async (t) => {
  const root = await fakeRoot(t, {
    admin: appPackage('admin', { route: '/a/', port: 3001 }),
    kb: appPackage('kb', { route: '/kb/', port: 3002, stores: { mongo: true } }),
    notes: appPackage('notes', { route: '/kb/', port: 3002 }),
    broken: '{',
  })
  const problems = await problemsOf(root)
  assert.deepEqual(
    problems.map((p) => `${p.file} ${p.field}`).sort(),
    [
      'apps/admin/package.json name',
      'apps/broken/package.json ',
      'apps/kb/package.json flotilla.stores.mongo',
      // kb has a problem of its own, and its route and port still count as taken
      'apps/notes/package.json flotilla.route',
      'apps/notes/package.json flotilla.port',
    ].sort(),
  )
})
