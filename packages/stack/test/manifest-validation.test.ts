import assert from 'node:assert/strict'
import { test } from 'node:test'
import { appPackage, assertProblem, fakeRoot, manifest, problemsOf } from './fixtures.js'

const FILE = 'apps/notes/package.json'

/** Each case breaks one manifest field of an otherwise valid app `notes`. */
const cases: {
  rule: string
  overrides: Record<string, unknown>
  field: string
  message: RegExp
}[] = [
  {
    rule: 'unknown tier',
    overrides: { tier: 'gpu' },
    field: 'flotilla.tier',
    message: /"base" or "ml", got "gpu"/,
  },
  {
    rule: 'route without trailing slash',
    overrides: { route: '/notes' },
    field: 'flotilla.route',
    message: /starts and ends with "\/"/,
  },
  {
    rule: 'route without leading slash',
    overrides: { route: 'notes/' },
    field: 'flotilla.route',
    message: /got "notes\/"/,
  },
  {
    rule: 'uppercase route',
    overrides: { route: '/Notes/' },
    field: 'flotilla.route',
    message: /lowercase/,
  },
  {
    rule: 'route with a space',
    overrides: { route: '/my notes/' },
    field: 'flotilla.route',
    message: /lowercase path prefix/,
  },
  {
    rule: 'privileged port',
    overrides: { port: 80 },
    field: 'flotilla.port',
    message: /1024 to 65535, got 80/,
  },
  {
    rule: 'port above range',
    overrides: { port: 70000 },
    field: 'flotilla.port',
    message: /got 70000/,
  },
  {
    rule: 'fractional port',
    overrides: { port: 3000.5 },
    field: 'flotilla.port',
    message: /integer/,
  },
  {
    rule: 'port as string',
    overrides: { port: '3000' },
    field: 'flotilla.port',
    message: /got "3000"/,
  },
  {
    rule: 'unknown store',
    overrides: { stores: { mongo: true } },
    field: 'flotilla.stores.mongo',
    message: /unknown store \(known: postgres, redis, qdrant, chroma, neo4j\)/,
  },
  {
    rule: 'store flag not boolean',
    overrides: { stores: { postgres: 'yes' } },
    field: 'flotilla.stores.postgres',
    message: /true or false/,
  },
  {
    rule: 'collections not a list',
    overrides: { stores: { qdrant: 'docs' } },
    field: 'flotilla.stores.qdrant',
    message: /list of distinct collection names/,
  },
  {
    rule: 'empty collection list',
    overrides: { stores: { chroma: [] } },
    field: 'flotilla.stores.chroma',
    message: /non-empty/,
  },
  {
    rule: 'duplicate collection',
    overrides: { stores: { qdrant: ['docs', 'docs'] } },
    field: 'flotilla.stores.qdrant',
    message: /distinct/,
  },
  {
    rule: 'collection with "__"',
    overrides: { stores: { qdrant: ['my__docs'] } },
    field: 'flotilla.stores.qdrant[0]',
    message: /single "_"/,
  },
  {
    rule: 'collection too short for Chroma',
    overrides: { stores: { chroma: ['ab'] } },
    field: 'flotilla.stores.chroma[0]',
    message: /3-32 characters/,
  },
  {
    rule: 'collection ending in "_"',
    overrides: { stores: { chroma: ['docs_'] } },
    field: 'flotilla.stores.chroma[0]',
    message: /ending with a letter or digit/,
  },
  {
    rule: 'collection with uppercase',
    overrides: { stores: { qdrant: ['ok', 'Docs'] } },
    field: 'flotilla.stores.qdrant[1]',
    message: /got "Docs"/,
  },
  {
    rule: 'unknown field',
    overrides: { replicas: 2 },
    field: 'flotilla.replicas',
    message: /unknown field/,
  },
  {
    rule: 'unknown resource',
    overrides: { resources: { memory: '1G', cpus: '1', gpus: 1 } },
    field: 'flotilla.resources.gpus',
    message: /unknown field/,
  },
  {
    rule: 'memory with lowercase unit',
    overrides: { resources: { memory: '1g', cpus: '1' } },
    field: 'flotilla.resources.memory',
    message: /"192M" or "1G", got "1g"/,
  },
  {
    rule: 'memory in bytes words',
    overrides: { resources: { memory: '192MB', cpus: '1' } },
    field: 'flotilla.resources.memory',
    message: /got "192MB"/,
  },
  {
    rule: 'memory below Docker minimum',
    overrides: { resources: { memory: '4M', cpus: '1' } },
    field: 'flotilla.resources.memory',
    message: /at least 6M/,
  },
  {
    rule: 'cpus as a word',
    overrides: { resources: { memory: '1G', cpus: 'half' } },
    field: 'flotilla.resources.cpus',
    message: /"0.50"/,
  },
  {
    rule: 'cpus as a number',
    overrides: { resources: { memory: '1G', cpus: 0.5 } },
    field: 'flotilla.resources.cpus',
    message: /got 0.5/,
  },
  {
    rule: 'zero cpus',
    overrides: { resources: { memory: '1G', cpus: '0.00' } },
    field: 'flotilla.resources.cpus',
    message: /above 0/,
  },
  {
    rule: 'missing cpus',
    overrides: { resources: { memory: '1G' } },
    field: 'flotilla.resources.cpus',
    message: /is required \(a CPU limit/,
  },
  {
    rule: 'missing resources',
    overrides: { resources: undefined },
    field: 'flotilla.resources',
    message: /is required/,
  },
  {
    rule: 'uppercase profile',
    overrides: { profile: 'ML' },
    field: 'flotilla.profile',
    message: /null or a lowercase compose profile/,
  },
  {
    rule: 'ml tier without profile',
    overrides: { tier: 'ml', profile: null, model: 'embedding' },
    field: 'flotilla.profile',
    message: /--profile/,
  },
  {
    rule: 'ml tier without model',
    overrides: { tier: 'ml', profile: 'ml' },
    field: 'flotilla.model',
    message: /MODEL_DIR/,
  },
  {
    rule: 'model on the base tier',
    overrides: { model: 'embedding' },
    field: 'flotilla.model',
    message: /tier "ml" only/,
  },
  {
    rule: 'model not a folder name',
    overrides: { tier: 'ml', profile: 'ml', model: '../etc' },
    field: 'flotilla.model',
    message: /lowercase folder name/,
  },
  {
    rule: 'redisDb out of range',
    overrides: { stores: { redis: true }, redisDb: 16 },
    field: 'flotilla.redisDb',
    message: /0 to 15, got 16/,
  },
  {
    rule: 'an env variable the stack sets itself',
    overrides: { env: { PORT: 'a port of my own' } },
    field: 'flotilla.env.PORT',
    message: /set by the stack itself/,
  },
  {
    rule: 'a lowercase env variable',
    overrides: { env: { webhook: 'where alerts go' } },
    field: 'flotilla.env.webhook',
    message: /must match/,
  },
  {
    rule: 'redisDb without redis',
    overrides: { redisDb: 3 },
    field: 'flotilla.redisDb',
    message: /stores.redis is not true/,
  },
]

for (const { rule, overrides, field, message } of cases) {
  test(`manifest: ${rule} names the file and ${field}`, async (t) => {
    const root = await fakeRoot(t, { notes: appPackage('notes', overrides) })
    await assertProblem(root, FILE, field, message)
  })
}

test('manifest: a missing "flotilla" block is an error on that field', async (t) => {
  const root = await fakeRoot(t, { notes: { name: '@flotilla/notes' } })
  await assertProblem(root, FILE, 'flotilla', /is required/)
})

test('manifest: a package.json that is not JSON is reported, not thrown raw', async (t) => {
  const root = await fakeRoot(t, { notes: '{ "name": "@flotilla/notes", ' })
  await assertProblem(root, FILE, '', /is not valid JSON/)
})

test('manifest: every problem of one file is reported at once', async (t) => {
  const broken = manifest({ tier: 'x', port: 1, route: 'x', stores: { mongo: true } })
  const root = await fakeRoot(t, { notes: { name: '@flotilla/notes', flotilla: broken } })
  const fields = (await problemsOf(root)).map((p) => p.field).sort()
  assert.deepEqual(fields, [
    'flotilla.port',
    'flotilla.route',
    'flotilla.stores.mongo',
    'flotilla.tier',
  ])
})
