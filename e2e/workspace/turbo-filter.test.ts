import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { loadRegistry } from '@flotilla/stack'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Every workspace package's name → the @flotilla packages it (dev)depends on. */
async function workspaceDependencies(): Promise<Map<string, string[]>> {
  const { stdout } = await promisify(execFile)('npm', ['query', '.workspace', '--json'], {
    cwd: root,
    maxBuffer: 64 << 20,
  })
  const packages = JSON.parse(stdout) as {
    name: string
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
  }[]
  return new Map(
    packages.map((p) => [
      p.name,
      Object.keys({ ...p.dependencies, ...p.devDependencies }).filter((d) =>
        d.startsWith('@flotilla/'),
      ),
    ]),
  )
}

/**
 * images/build runs `turbo run build ${TURBO_FILTER}` on the checkout without e2e/
 * (.dockerignore), so that an unfinished app can be left out. That holds only while no package
 * built there depends on an app: turbo builds a package's dependencies whatever the filter says.
 * Apps may depend on each other for their tests (kb runs the real embedder): leaving one out
 * then means leaving out those too, which is what the filter below does.
 */
describe('TURBO_FILTER leaves an app out of the image build', async () => {
  const apps = (await loadRegistry(root)).apps.map((app) => `@flotilla/${app.name}`)
  const dependencies = await workspaceDependencies()
  const dependents = (name: string) =>
    [...dependencies].filter(([, deps]) => deps.includes(name)).map(([pkg]) => pkg)

  test('no package but an app or the e2e depends on an app', () => {
    const offending = apps.flatMap((app) =>
      dependents(app)
        .filter((pkg) => !apps.includes(pkg) && pkg !== '@flotilla/e2e')
        .map((pkg) => `${pkg} → ${app}`),
    )
    assert.deepEqual(offending, [])
  })

  for (const app of apps) {
    const leftOut = [app, ...dependents(app).filter((pkg) => apps.includes(pkg))]
    test(`--filter=!${leftOut.join(' --filter=!')} builds no ${app}`, async () => {
      const { stdout } = await promisify(execFile)(
        join(root, 'node_modules/.bin/turbo'),
        [
          'run',
          'build',
          ...[...leftOut, '@flotilla/e2e'].map((pkg) => `--filter=!${pkg}`),
          '--dry=json',
        ],
        { cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }, maxBuffer: 64 << 20 },
      )
      const tasks = (JSON.parse(stdout) as { tasks: { taskId: string }[] }).tasks.map(
        (task) => task.taskId,
      )
      assert.ok(tasks.includes('@flotilla/data#build'), 'the dry run lists the build')
      assert.deepEqual(
        tasks.filter((id) => id.startsWith(`${app}#`)),
        [],
        `${app} is a dependency of a package the image builds`,
      )
    })
  }
})
