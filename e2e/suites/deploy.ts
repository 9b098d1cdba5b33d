/**
 * scripts/deploy against the running stack, as an operator uses it after a code change: in a
 * copy of the checkout (the real tree stays untouched) notes gets a new route, deploy builds it
 * through the tiers and replaces the running container, and the new route answers through
 * nginx; deploy again without a change says there is nothing to do and recreates nothing. The
 * copy builds under its own FLOTILLA_TAG, so the shared flotilla/*:local images stay as they
 * are; afterwards notes runs the stack's own image again.
 */
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { composeWithoutMissingImages, run } from '../compose.js'
import type { Stack } from '../stack-handle.js'

const exec = promisify(execFile)
/** A build of the workspace tier on a busy 2-core machine takes minutes. */
const DEPLOY_TIMEOUT_MS = 1_200_000

const inspect = (format: string, id: string) =>
  execFileSync('docker', ['inspect', '-f', format, id], { encoding: 'utf8' }).trim()
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)

/** The checkout's files as git sees them (tracked and new, not ignored), outside the tree. */
function copyCheckout(root: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'flotilla-deploy-'))
  execFileSync(
    'bash',
    [
      '-c',
      'git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$0"',
      copy,
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  // The operator CLI runs from the copy with the installed workspace (built packages, tsx).
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'))
  return copy
}

export default (stack: Stack) => {
  test('deploy: a code change in notes is built through the tiers, replaces the running container and answers through nginx; deployed again unchanged, nothing is recreated', {
    skip: !stack.hasApp('notes'),
    timeout: 2 * DEPLOY_TIMEOUT_MS + 300_000,
  }, async () => {
    const compose = stack.compose()
    const project = compose[compose.indexOf('-p') + 1] ?? ''
    const containerOf = async (service: string) =>
      (await run([...compose, 'ps', '-q', service], { env: stack.env })).trim()
    const services = (
      await run([...compose, '--profile', 'ml', 'ps', '--services'], { env: stack.env })
    )
      .split('\n')
      .filter(Boolean)
    const containers = async () =>
      new Map(await Promise.all(services.map(async (s) => [s, await containerOf(s)] as const)))

    const marker = `deployed-${process.pid}-${Date.now()}`
    const tag = `deploy-e2e-${process.pid}`
    const copy = copyCheckout(stack.root)
    // A new route in notes' routes plugin (autoload loads only the index of a folder).
    const routes = join(copy, 'apps/notes/src/routes/notes/index.ts')
    const source = readFileSync(routes, 'utf8')
    const plugin = 'const notesRoutes: FastifyPluginAsyncTypebox = async (app) => {\n'
    assert.ok(source.includes(plugin), `${routes} no longer declares ${plugin}`)
    writeFileSync(
      routes,
      source.replace(
        plugin,
        `${plugin}  app.get('/deploy-marker', { schema: { response: { 200: Type.Object({ marker: Type.String() }) } } }, async () => ({ marker: '${marker}' }))\n`,
      ),
    )
    const env = { ...stack.env, FLOTILLA_TAG: tag }
    const { file } = composeWithoutMissingImages(copy, join(copy, 'deploy-e2e.yml'), env, project)
    // Found as an operator would name it: the project, the compose file; nothing else.
    const deployEnv = { ...env, COMPOSE_PROJECT_NAME: project, COMPOSE_FILE: file }
    const deploy = async () => {
      const { stdout, stderr } = await exec(join(copy, 'scripts/deploy'), ['notes'], {
        cwd: copy,
        env: deployEnv,
        timeout: DEPLOY_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stderr?: string; message: string }) => {
        throw new Error(
          `scripts/deploy notes failed: ${(error.stderr ?? error.message).slice(-4000)}`,
        )
      })
      console.log(`# deploy said:\n${stderr.replace(/^/gm, '#   ')}`)
      return { result: JSON.parse(stdout) as { outcome: string; newImage: string }, said: stderr }
    }
    const markerThroughNginx = async () => {
      const response = await fetch(`${stack.base}/notes/deploy-marker`)
      return { status: response.status, body: await response.text() }
    }

    try {
      // Before: /notes/deploy-marker is notes' /:id route refusing a non-numeric id.
      assert.notEqual((await markerThroughNginx()).status, 200, 'the route is new')
      const before = await containers()
      const oldImage = inspect('{{.Image}}', before.get('notes') ?? '')

      const first = await deploy()
      const newImage = inspect('{{.Id}}', `flotilla/notes:${tag}`)
      assert.equal(first.result.outcome, 'deployed')
      assert.notEqual(newImage, oldImage)
      assert.match(
        first.said,
        new RegExp(`replaced ${short(oldImage)} → ${short(newImage)}; healthy`),
      )
      const after = await containers()
      const notes = after.get('notes') ?? ''
      assert.notEqual(notes, before.get('notes'), 'the notes container was replaced')
      assert.equal(inspect('{{.Image}}', notes), newImage, 'it runs the image just built')
      for (const [service, id] of before)
        if (service !== 'notes') assert.equal(after.get(service), id, `${service} untouched`)

      // nginx resolves the new container's address by name; give its resolver a moment.
      let answered = await markerThroughNginx()
      for (let i = 0; i < 30 && answered.status !== 200; i++) {
        await sleep(1_000)
        answered = await markerThroughNginx()
      }
      assert.equal(answered.status, 200, answered.body)
      assert.deepEqual(JSON.parse(answered.body), { marker })

      const started = inspect('{{.State.StartedAt}}', notes)
      const second = await deploy()
      assert.equal(second.result.outcome, 'unchanged')
      assert.match(second.said, new RegExp(`nothing to do — it already runs ${short(newImage)}`))
      assert.doesNotMatch(second.said, /replac/)
      assert.equal(await containerOf('notes'), notes, 'not recreated')
      assert.equal(inspect('{{.State.StartedAt}}', notes), started, 'not restarted')
    } finally {
      // Back to the stack's own image, for the suites after this one.
      await run([...compose, 'up', '-d', '--no-deps', '--no-build', '--force-recreate', 'notes'], {
        env: stack.env,
      })
      for (const image of ['notes', 'base', 'build'])
        await run(['docker', 'image', 'rm', `flotilla/${image}:${tag}`]).catch(() => {})
      rmSync(copy, { recursive: true, force: true })
    }
  })
}
