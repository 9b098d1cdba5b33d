import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { loadRegistry } from '@flotilla/stack'
import { NewAppError } from '../src/new-app/request.js'
import { newApp } from '../src/new-app/scaffold.js'

const exec = promisify(execFile)
const repo = resolve(import.meta.dirname, '../../..')

/** The files new-app reads and writes, copied from this repository; node_modules linked. */
async function scratchRepo(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'flotilla-new-app-test-'))
  for (const file of ['package.json', 'docker-compose.yml', '.env.example', 'biome.json']) {
    await cp(join(repo, file), join(root, file))
  }
  await cp(join(repo, 'nginx'), join(root, 'nginx'), { recursive: true })
  // The generator splices each store's compose services from its folder.
  const stores = join('packages', 'data', 'src')
  for (const store of await readdir(join(repo, stores))) {
    const fragment = join(stores, store, 'compose.yml')
    if (!(await readFile(join(repo, fragment)).catch(() => null))) continue
    await mkdir(join(root, stores, store), { recursive: true })
    await cp(join(repo, fragment), join(root, fragment))
  }
  for (const app of await readdir(join(repo, 'apps'))) {
    const manifest = join(repo, 'apps', app, 'package.json')
    if (!(await readFile(manifest).catch(() => null))) continue
    await mkdir(join(root, 'apps', app), { recursive: true })
    await cp(manifest, join(root, 'apps', app, 'package.json'))
  }
  await symlink(join(repo, 'node_modules'), join(root, 'node_modules'))
  return root
}

/** Every path and its content under the scratch repository, node_modules aside. */
async function snapshot(root: string): Promise<string> {
  const entries = (await readdir(root, { recursive: true }))
    .filter((p) => !p.startsWith('node_modules'))
    .sort()
  const contents = await Promise.all(
    entries.map((p) => readFile(join(root, p), 'utf8').catch(() => '<dir>')),
  )
  return JSON.stringify(entries.map((p, i) => [p, contents[i]]))
}

describe('new-app', () => {
  let root = ''
  before(async () => {
    root = await scratchRepo()
  })
  after(() => rm(root, { recursive: true, force: true }))

  const badNames = [
    ['uppercase', 'Hello'],
    ['dash', 'my-app'],
    ['reserved', 'postgres'],
    ['reserved user', 'admin'],
    ['too long', `a${'b'.repeat(31)}`],
    ['SQL metacharacters', "x'; DROP DATABASE notes; --"],
    ['pg_ prefix', 'pg_app'],
    ['double underscore', 'a__b'],
    ['an existing app', 'notes'],
  ] as const
  for (const [what, name] of badNames) {
    test(`refuses ${what} (${name}) with no file written`, async () => {
      const before = await snapshot(root)
      await assert.rejects(newApp(root, { name, tier: 'base' }), NewAppError)
      assert.equal(await snapshot(root), before)
    })
  }

  test('refuses a taken route or port with no file written', async () => {
    const before = await snapshot(root)
    await assert.rejects(
      newApp(root, { name: 'other', tier: 'base', route: '/notes/x/' }),
      /overlaps "\/notes\/"/,
    )
    await assert.rejects(
      newApp(root, { name: 'other', tier: 'base', port: 3001 }),
      /3001 is already used by notes/,
    )
    await assert.rejects(
      newApp(root, { name: 'other', tier: 'base', stores: 'mongo' }),
      /"mongo" is not/,
    )
    assert.equal(await snapshot(root), before)
  })

  test('scaffolds an app that builds, passes its test and is in the registry and the stack', async () => {
    const lines: string[] = []
    const { plan } = await newApp(
      root,
      { name: 'hello_app', tier: 'base', stores: 'postgres,redis' },
      (l) => lines.push(l),
    )
    assert.ok(lines.some((l) => l.includes('apps/hello_app/src/app.ts')))

    const app = (await loadRegistry(root)).apps.find((a) => a.name === 'hello_app')
    assert.ok(app, 'the registry loads it')
    assert.equal(app.route, '/hello_app/')
    assert.equal(app.port, plan.manifest.port)
    assert.equal(app.redisDb, plan.manifest.redisDb, 'the Redis DB is pinned')
    const others = (await loadRegistry(repo)).apps
    assert.ok(
      others.every((a) => (a.port !== app.port && a.redisDb !== app.redisDb) || a.redisDb === null),
    )

    const compose = await readFile(join(root, 'docker-compose.yml'), 'utf8')
    assert.match(compose, /^ {2}hello_app:\n {4}<<: \*app\n {4}image: flotilla\/hello_app:/m)
    assert.match(
      compose,
      /dockerfile: images\/app\/Dockerfile\n {6}args:\n {8}APP: apps\/hello_app\n/,
    )
    const upstreams = await readFile(join(root, 'nginx/generated/upstreams.conf'), 'utf8')
    assert.match(
      upstreams,
      new RegExp(`upstream app_hello_app \\{[^}]*server hello_app:${app.port} resolve`),
    )
    const routes = await readFile(join(root, 'nginx/generated/routes.conf'), 'utf8')
    assert.match(routes, /location \^~ \/hello_app\/ \{[^}]*proxy_pass http:\/\/app_hello_app;/)

    const dir = join(root, 'apps/hello_app')
    await exec('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], {
      cwd: dir,
    })
    assert.ok((await readdir(join(dir, 'dist'))).includes('main.js'), 'tsc built dist/main.js')
    // Without NODE_TEST_CONTEXT the child reports in TAP instead of to this test runner.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env
    const { stdout } = await exec(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/app.test.ts'],
      { cwd: dir, env },
    )
    assert.match(stdout, /^# pass 2$/m)
    assert.match(stdout, /^# fail 0$/m)
  })

  test('an ML app gets the ML tier, its profile and a port from 3100', async () => {
    const { plan } = await newApp(root, { name: 'ml_thing', tier: 'ml' })
    assert.equal(plan.manifest.profile, 'ml')
    assert.ok(plan.manifest.port >= 3100)
    assert.equal(plan.manifest.model, 'embedding')
    // Its `tier` context is the ML tier's service, so compose builds that tier first.
    const compose = await readFile(join(root, 'docker-compose.yml'), 'utf8')
    const start = compose.search(/^ {2}ml_thing:$/m)
    assert.ok(start >= 0, 'ml_thing is a compose service')
    const rest = compose.slice(start + 1)
    const service = rest.slice(0, rest.search(/^ {2}\S/m))
    assert.match(service, /^ {8}tier: service:ml$/m)
    assert.match(service, /^ {6}MODEL_DIR: \/opt\/models\/embedding$/m)
  })
})
