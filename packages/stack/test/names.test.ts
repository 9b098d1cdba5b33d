import assert from 'node:assert/strict'
import { test } from 'node:test'
import { appNameFromPackageName, validateAppName } from '../src/index.js'
import { appPackage, assertProblem, fakeRoot } from './fixtures.js'

test('validateAppName accepts plain lowercase names, including the status app', () => {
  for (const name of ['notes', 'kb', 'embedder', 'status', 'my_app2', `a${'b'.repeat(30)}`]) {
    assert.deepEqual(validateAppName(name), [], name)
  }
})

test('validateAppName refuses names that break a store or the shell', () => {
  const refused: [string, RegExp][] = [
    ['Notes', /must match/],
    ['my-app', /must match/],
    ['notes;drop', /must match/],
    ["o'hara", /must match/],
    ['a b', /must match/],
    ['$(id)', /must match/],
    ['1app', /must match/],
    ['_app', /must match/],
    ['n', /must match/],
    [`a${'b'.repeat(31)}`, /2-31 characters/],
    ['my__app', /must not contain "__"/],
    ['notes_', /must not end with "_"/],
    ['pg_notes', /reserved by PostgreSQL/],
  ]
  for (const [name, reason] of refused) {
    const problems = validateAppName(name)
    assert.ok(
      problems.some((p) => reason.test(p)),
      `${name}: ${problems.join('; ')}`,
    )
  }
})

test('validateAppName refuses names of shared services, built-in roles and users', () => {
  for (const name of ['postgres', 'admin', 'default', 'root', 'public', 'template0', 'template1']) {
    assert.match(validateAppName(name).join(), /is reserved/, name)
  }
  for (const name of ['nginx', 'redis', 'qdrant', 'chroma', 'neo4j', 'provision', 'system']) {
    assert.match(validateAppName(name).join(), /is reserved/, name)
  }
})

test('appNameFromPackageName drops the scope only', () => {
  assert.equal(appNameFromPackageName('@flotilla/notes'), 'notes')
  assert.equal(appNameFromPackageName('@acme/billing'), 'billing')
  assert.equal(appNameFromPackageName('notes'), 'notes')
})

test('registry: an uppercase package name is refused at the "name" field', async (t) => {
  const root = await fakeRoot(t, { Notes: appPackage('Notes') })
  await assertProblem(root, 'apps/Notes/package.json', 'name', /must match/)
})

test('registry: a name with "-" is refused at the "name" field', async (t) => {
  const root = await fakeRoot(t, { 'my-app': appPackage('my-app') })
  await assertProblem(root, 'apps/my-app/package.json', 'name', /must match/)
})

test('registry: an over-long name is refused at the "name" field', async (t) => {
  const long = `a${'b'.repeat(31)}`
  const root = await fakeRoot(t, { [long]: appPackage(long) })
  await assertProblem(root, `apps/${long}/package.json`, 'name', /2-31 characters/)
})

test('registry: SQL/shell metacharacters in the name are refused', async (t) => {
  const root = await fakeRoot(t, {
    notes: { ...appPackage('notes'), name: '@flotilla/notes";drop' },
  })
  await assertProblem(root, 'apps/notes/package.json', 'name', /must match/)
})

for (const reserved of ['postgres', 'admin', 'default', 'redis']) {
  test(`registry: the reserved name "${reserved}" is refused at the "name" field`, async (t) => {
    const root = await fakeRoot(t, { [reserved]: appPackage(reserved) })
    await assertProblem(root, `apps/${reserved}/package.json`, 'name', /is reserved/)
  })
}

test('registry: an app name must equal its folder', async (t) => {
  const root = await fakeRoot(t, { notes: appPackage('memo') })
  await assertProblem(
    root,
    'apps/notes/package.json',
    'name',
    /"memo" must equal its folder name "notes"/,
  )
})

test('registry: a package.json without a name is refused at "name"', async (t) => {
  const { name: _, ...nameless } = appPackage('notes')
  const root = await fakeRoot(t, { notes: nameless })
  await assertProblem(root, 'apps/notes/package.json', 'name', /is required/)
})
