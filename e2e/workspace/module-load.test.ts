import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { loadRegistry, STORE_NAMES } from '@flotilla/stack'

const root = fileURLToPath(new URL('../..', import.meta.url))
const recorder = fileURLToPath(new URL('fixtures/record-loads.mjs', import.meta.url))

const dataDist = join(root, 'packages/data/dist/')

/**
 * Code an app process must never load: the provisioner, the store modules' admin steps,
 * credential writers, backups and test servers (they sit beside the clients in
 * @flotilla/data), the guards' servers and test helpers.
 */
const FORBIDDEN: Record<string, (path: string) => boolean> = {
  provisioner: (path) => path.startsWith(join(root, 'packages/provision/')),
  'store provisioning, credentials, backup or test server': (path) =>
    path.startsWith(dataDist) && /\/(provision|credentials|backup|test-server)\.js$/.test(path),
  'chroma-guard': (path) => path.startsWith(join(root, 'services/chroma-guard/')),
  'neo4j-guard': (path) => path.startsWith(join(root, 'services/neo4j-guard/')),
  testkit: (path) => path.startsWith(join(root, 'tooling/testkit/')),
}

let scratch: string
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'flotilla-module-load-'))
})
after(() => rm(scratch, { recursive: true, force: true }))

/** Every file a fresh Node process loads while importing `modules` (and nothing else). */
async function loadedBy(name: string, modules: string[]): Promise<string[]> {
  const record = join(scratch, `${name}.txt`)
  const imports = modules.map((m) => `await import(${JSON.stringify(pathToFileURL(m).href)})`)
  await promisify(execFile)(
    process.execPath,
    ['--import', recorder, '--input-type=module', '--eval', imports.join(';')],
    { env: { ...process.env, RECORD_LOADS_TO: record } },
  )
  return (await readFile(record, 'utf8')).split('\n').filter(Boolean)
}

function forbiddenIn(loaded: string[]): string[] {
  return Object.entries(FORBIDDEN).flatMap(([what, matches]) =>
    loaded.filter(matches).map((path) => `${what}: ${path}`),
  )
}

describe('apps load only clients', async () => {
  const apps = (await loadRegistry(root)).apps
  for (const app of apps) {
    // What main.js imports besides the kit: the app and its config. Built, as the image runs it.
    test(`${app.name}: its modules load no provisioner, guard or test helper`, async () => {
      const dist = join(root, app.dir, 'dist')
      const loaded = await loadedBy(app.name, [join(dist, 'app.js'), join(dist, 'config.js')])
      assert.ok(
        loaded.includes(join(dist, 'app.js')) &&
          loaded.some((path) => path.startsWith(join(root, 'packages/service/dist/'))),
        'the recorder saw the app and the service kit load',
      )
      assert.deepEqual(forbiddenIn(loaded), [])
    })
  }

  test('the check catches a provisioner import', async () => {
    const loaded = await loadedBy('provisioner', [join(root, 'packages/provision/dist/index.js')])
    const found = forbiddenIn(loaded)
    assert.ok(found.some((line) => line.startsWith('provisioner: ')))
    // The provisioner drives every store's admin step from @flotilla/data.
    for (const store of STORE_NAMES) {
      for (const module of ['provision.js', 'credentials.js']) {
        assert.ok(
          found.includes(
            `store provisioning, credentials, backup or test server: ${join(dataDist, store, module)}`,
          ),
          `${store}'s ${module} is caught`,
        )
      }
    }
    assert.ok(
      loaded.some(
        (path) => path.startsWith(dataDist) && !found.some((line) => line.endsWith(path)),
      ),
      'the provisioner loads the clients it hands names to',
    )
  })
})
