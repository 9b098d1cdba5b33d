import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type App, loadRegistry } from '@flotilla/stack'
import { appPackage, fakeRoot } from '../../stack/test/fixtures.js'
import { resourcesFor } from '../src/names.js'

const ALL_STORES = {
  postgres: true,
  redis: true,
  qdrant: ['docs', 'chunks'],
  chroma: ['memories'],
  neo4j: true,
}

test('resourcesFor derives every store name from the app name', async (t) => {
  const root = await fakeRoot(t, { notes: appPackage('notes', { stores: ALL_STORES, redisDb: 3 }) })
  const [notes] = (await loadRegistry(root)).apps
  assert.deepEqual(resourcesFor(notes as App), {
    postgres: { database: 'notes', role: 'notes' },
    redis: {
      user: 'notes',
      keyPrefix: 'notes:',
      keyPattern: '~notes:*',
      channelPattern: '&notes:*',
      db: 3,
    },
    qdrant: {
      collections: ['notes__docs', 'notes__chunks'],
      byName: { docs: 'notes__docs', chunks: 'notes__chunks' },
    },
    chroma: { tenant: 'notes', database: 'main', collections: ['memories'] },
    neo4j: { database: 'app-notes', label: 'App_notes' },
  })
})

test('resourcesFor leaves out stores the app does not declare', async (t) => {
  const root = await fakeRoot(t, { notes: appPackage('notes', { stores: { postgres: false } }) })
  const [notes] = (await loadRegistry(root)).apps
  assert.deepEqual(resourcesFor(notes as App), {})
})

test('Neo4j names stay valid for short names and names with "_"', async (t) => {
  const root = await fakeRoot(t, {
    kb: appPackage('kb', { stores: { neo4j: true }, route: '/kb/', port: 3001 }),
    system_log: appPackage('system_log', { stores: { neo4j: true }, route: '/log/', port: 3002 }),
  })
  const neo4j = (await loadRegistry(root)).apps.map((app) => resourcesFor(app).neo4j)
  assert.deepEqual(neo4j, [
    { database: 'app-kb', label: 'App_kb' },
    { database: 'app-system-log', label: 'App_system_log' },
  ])
  // Neo4j: 3-63 chars, letter first, [a-z0-9.-], not ending in "." or "-", no "system" prefix
  for (const { database } of neo4j.flatMap((n) => (n ? [n] : []))) {
    assert.match(database, /^(?!system)[a-z][a-z0-9.-]{1,61}[a-z0-9]$/)
  }
})

test('derived names are unique across a registry, and no key prefix covers another', async (t) => {
  const names = ['ab_cd', 'ab', 'abc', 'notes', 'notes_v2', 'kb']
  const apps = Object.fromEntries(
    names.map((name, i) => [
      name,
      appPackage(name, {
        route: `/r${i}/`,
        port: 3000 + i,
        // `ab_cd` + `efg` and `ab` + `cd_efg` would collide if "_" alone separated the parts
        stores: { ...ALL_STORES, qdrant: name === 'ab' ? ['cd_efg'] : ['efg'] },
      }),
    ]),
  )
  const registry = await loadRegistry(await fakeRoot(t, apps))
  const all = registry.apps.map(resourcesFor)
  const kinds: Record<string, string[]> = {
    'postgres database': all.map((r) => r.postgres?.database ?? ''),
    'postgres role': all.map((r) => r.postgres?.role ?? ''),
    'redis user': all.map((r) => r.redis?.user ?? ''),
    'redis db': all.map((r) => String(r.redis?.db)),
    'qdrant collection': all.flatMap((r) => r.qdrant?.collections ?? []),
    'chroma tenant': all.map((r) => r.chroma?.tenant ?? ''),
    'neo4j database': all.map((r) => r.neo4j?.database ?? ''),
    'neo4j label': all.map((r) => r.neo4j?.label ?? ''),
  }
  for (const [kind, values] of Object.entries(kinds)) {
    assert.equal(new Set(values).size, names.length, `${kind}: ${values.join(', ')}`)
  }
  const prefixes = all.map((r) => r.redis?.keyPrefix ?? '')
  for (const a of prefixes) {
    for (const b of prefixes) {
      if (a !== b) assert.ok(!b.startsWith(a), `${a} covers ${b}`)
    }
  }
  for (const r of all) {
    assert.equal(
      r.redis?.keyPattern,
      `~${r.redis?.keyPrefix}*`,
      'ioredis prefix equals ACL pattern',
    )
  }
})
