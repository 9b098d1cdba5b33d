/**
 * The stack on Docker Swarm end to end: scripts/swarm-deploy on the swarm this daemon manages
 * (a single-node one, inited here when the daemon is in none), then the shared body (body.ts)
 * through nginx, a re-run that changes nothing, and scripts/deploy's rolling update of one app:
 * unchanged, under load with no request lost, and rolled back when the new image never gets
 * healthy. Run: npm run test:swarm, after npm run test:stack — it never builds: the images the
 * compose run built (FLOTILLA_TAG, default local) are tagged :swarm for this run, so the
 * images other runs use stay as they are. STACK_KEEP=1 leaves the stack and swarm up and prints
 * SWARM_ATTACH=<stack>:<port>, which runs the tests against it (no deploy, no teardown).
 * FLOTILLA_TWO_NODE=1: a second node (e2e/swarm/second-node.ts) first, and the suites in
 * ./swarm-suites/ after the single-node tests.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { loadRegistry } from '@flotilla/stack'
import body from './body.js'
import { requester } from './body-http.js'
import { underLoad } from './body-load.js'
import { composeWithoutMissingImages, freePort, imageExists, run, stepTimer } from './compose.js'
import type { SwarmStack, Target } from './stack-handle.js'

const exec = promisify(execFile)
const root = resolve(import.meta.dirname, '..')
const registry = await loadRegistry(root)
const hasApp = (name: string) => registry.apps.some((app) => app.name === name)
const attach = process.env.SWARM_ATTACH?.split(':')
const stackName = attach?.[0] ?? 'flotilla_swarm'
const port = attach ? Number(attach[1]) : await freePort()
const twoNode = process.env.FLOTILLA_TWO_NODE === '1'
/** The images of the compose run; this run's own tag for them. */
const SOURCE_TAG = process.env.FLOTILLA_TAG ?? 'local'
const TAG = 'swarm'
const env: NodeJS.ProcessEnv = {
  ...process.env,
  FLOTILLA_TAG: TAG,
  HTTP_PORT: String(port),
  // A second node pulls from this machine's registry through its veth.
  ...(twoNode ? { FLOTILLA_REGISTRY_LISTEN: '0.0.0.0:5000' } : {}),
}
const base = `http://127.0.0.1:${port}`
const json = requester(base)
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-swarm-'))
const { timings, timed } = stepTimer()
const DEPLOY_TIMEOUT_MS = 900_000
let missing: string[] = []
let swarmWasActive = true
let registryWasUp = true

/** A command's stdout, its stderr (the operator commands' progress) printed as comments. */
async function script(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await exec(args[0] ?? '', args.slice(1), {
      cwd: root,
      env,
      timeout: DEPLOY_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    })
    for (const line of stderr.trim().split('\n')) console.log(`# ${line}`)
    return stdout
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: number }
    throw Object.assign(new Error(`${args.join(' ')} exited ${code}:\n${stderr}\n${stdout}`), {
      code,
      stderr: stderr ?? '',
    })
  }
}

const docker = (...args: string[]) => run(['docker', ...args], { env })
const swarmState = async () =>
  (await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).trim()
const registryUp = () =>
  fetch('http://127.0.0.1:5000/v2/').then(
    (response) => response.ok,
    () => false,
  )
const without = () => missing.flatMap((service) => ['--without', service])
const deployStack = () =>
  script(['scripts/swarm-deploy', '--ml', '--skip-build', ...without(), '-p', stackName])
const deployApp = (app: string) => script(['scripts/deploy', app, '--skip-build', '-p', stackName])

/** The flotilla images the stack and its one-shots run, and the tiers the deploy pushes. */
function stackImages(): string[] {
  const names = ['base', 'ml', 'provision', 'chroma-guard', 'neo4j-guard']
  return [...names, ...registry.apps.map((app) => app.name)].map((name) => `flotilla/${name}`)
}

/** An image of the app one LABEL away from the one its :swarm tag names, tagged :swarm. */
async function rolloutImage(app: string, dockerfileTail = ''): Promise<string> {
  const image = `flotilla/${app}:${TAG}`
  const dockerfile = `FROM ${image}\nLABEL flotilla.e2e.rollout="${Date.now()}"\n${dockerfileTail}`
  await run(['sh', '-c', `printf '%s' "$0" | docker build -q -t ${image} -`, dockerfile], { env })
  return (await docker('image', 'inspect', '--format', '{{.Id}}', image)).trim()
}

/** The image (with digest) a service's spec names. */
const serviceImage = async (service: string) =>
  (
    await docker(
      'service',
      'inspect',
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      `${stackName}_${service}`,
    )
  ).trim()

before(async () => {
  const { removed } = composeWithoutMissingImages(
    root,
    join(workDir, 'compose.yml'),
    env,
    stackName,
  )
  missing = removed.map((r) => r.service)
  for (const r of removed) console.log(`# left out: ${r.service} — ${r.reason}`)
  if (attach) return
  swarmWasActive = (await swarmState()) === 'active'
  registryWasUp = await registryUp()
  if (twoNode) {
    const { secondNodeUp } = await import('./swarm/second-node.js')
    const node = await timed('second node up', () => secondNodeUp(root))
    env.FLOTILLA_SWARM_ADVERTISE_ADDR = node.managerAddr
  }
  await timed('tag the compose run images :swarm', async () => {
    for (const image of stackImages()) {
      if (!imageExists(`${image}:${SOURCE_TAG}`)) {
        throw new Error(`no ${image}:${SOURCE_TAG}: run npm run test:stack (it builds them) first`)
      }
      await docker('tag', `${image}:${SOURCE_TAG}`, `${image}:${TAG}`)
    }
  })
  await timed('swarm-deploy', deployStack)
})

after(async () => {
  if (attach || process.env.STACK_KEEP) {
    console.log(`# left running: stack ${stackName}; attach: SWARM_ATTACH=${stackName}:${port}`)
  } else {
    await timed('teardown', teardown)
  }
  rmSync(workDir, { recursive: true, force: true })
  console.log(`# timings (s): ${JSON.stringify(timings)}`)
})

/** The stack, its volumes and secrets, this run's tags; the swarm and registry if it made them. */
async function teardown(): Promise<void> {
  await docker('stack', 'rm', stackName).catch(() => '')
  const label = `label=com.docker.stack.namespace=${stackName}`
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    const left = `${await docker('ps', '-aq', '--filter', label)}${await docker('network', 'ls', '-q', '--filter', label)}`
    if (!left.trim()) break
    await new Promise((r) => setTimeout(r, 1_000))
  }
  const volumes = (await docker('volume', 'ls', '-q', '--filter', `name=^${stackName}_`)).trim()
  if (volumes) await docker('volume', 'rm', ...volumes.split('\n'))
  const secrets = (
    await docker('secret', 'ls', '-q', '--filter', `label=flotilla.stack=${stackName}`)
  ).trim()
  if (secrets) await docker('secret', 'rm', ...secrets.split('\n'))
  // This run's tags and every reference in the registry's namespace (pushed, rolled out), by
  // name: an image the compose run's tags also name stays.
  const references = (
    await docker('image', 'ls', '--format', '{{.Repository}} {{.Tag}} {{.Digest}} {{.ID}}')
  )
    .split('\n')
    .map((line) => line.split(' '))
    .filter(
      ([repository = '', tag]) =>
        repository.startsWith('127.0.0.1:5000/flotilla/') ||
        (repository.startsWith('flotilla/') && tag === TAG),
    )
    // Untagged: by digest, or by id when it has none (rm without --force keeps a shared one).
    .map(([repository, tag, digest, id = '']) =>
      tag !== '<none>'
        ? `${repository}:${tag}`
        : digest && digest !== '<none>'
          ? `${repository}@${digest}`
          : id,
    )
  for (const reference of new Set(references)) {
    await docker('image', 'rm', reference).catch((error: Error) => {
      console.log(`# kept ${reference}: ${error.message.split('\n')[1] ?? ''}`)
    })
  }
  if (twoNode) {
    const { secondNodeDown } = await import('./swarm/second-node.js')
    await secondNodeDown(root)
  }
  if (!swarmWasActive) await docker('swarm', 'leave', '--force')
  if (!registryWasUp) {
    // scripts/ci/registry.sh's pid file, in its data folder.
    const data = env.FLOTILLA_REGISTRY_DATA ?? '/var/lib/flotilla-registry'
    await run(['sh', '-c', 'kill "$(cat "$0/registry.pid")"', data], { env })
  }
}

const target: Target = {
  base,
  registry,
  missing: () => missing,
  hasApp,
  container: async (service) => {
    const ids = await docker(
      'ps',
      '-q',
      '--filter',
      `label=com.docker.swarm.service.name=${stackName}_${service}`,
    )
    const id = ids.trim().split('\n')[0]
    if (!id) throw new Error(`no running task of ${stackName}_${service} on this node`)
    return id
  },
}
body(target)

test('swarm: every service runs where its placement says, from the registry', async () => {
  const node = (await docker('info', '--format', '{{.Swarm.NodeID}}')).trim()
  const labels = await docker('node', 'inspect', '--format', '{{json .Spec.Labels}}', node)
  assert.equal((JSON.parse(labels) as Record<string, string>)['flotilla.stores'], 'true')
  for (const app of registry.apps) {
    assert.match(
      await serviceImage(app.name),
      new RegExp(`^127\\.0\\.0\\.1:5000/flotilla/${app.name}:${TAG}@sha256:[0-9a-f]{64}$`),
    )
  }
})

test('swarm: running the deploy again replaces no task', async () => {
  // A spec submitted again bumps each service's version; only a changed spec starts tasks.
  const tasks = async () =>
    (await docker('stack', 'ps', '-q', '--filter', 'desired-state=running', stackName))
      .trim()
      .split('\n')
      .sort()
  const before = await tasks()
  await timed('swarm-deploy again', deployStack)
  assert.deepEqual(await tasks(), before)
})

test('swarm: deploy <app> with the image it runs says nothing to do', {
  skip: !hasApp('kb'),
}, async () => {
  const result = JSON.parse(await deployApp('kb')) as { outcome: string }
  assert.equal(result.outcome, 'unchanged')
})

test('swarm: a rolling update of kb under load through nginx loses no request', {
  skip: !hasApp('kb'),
}, async () => {
  const previous = await serviceImage('kb')
  await rolloutImage('kb')
  let stdout = ''
  // nginx lets one client 50 r/s (burst 100) per app: 40 r/s stays under it.
  const load = await timed('rolling update of kb under load', () =>
    underLoad(base, ['/kb/documents/'], 40, async () => {
      stdout = await deployApp('kb')
    }),
  )
  console.log(
    `# rolling update under load: sent=${load.sent} ok=${load.ok} failed=${load.failed} in ${load.seconds}s ${JSON.stringify(load.failures)}`,
  )
  const result = JSON.parse(stdout) as { outcome: string; newImage: string }
  assert.equal(result.outcome, 'deployed')
  const now = await serviceImage('kb')
  assert.notEqual(now, previous)
  assert.equal(now, result.newImage)
  assert.ok(load.sent >= 200, `a load worth the name: ${load.sent} requests`)
  assert.equal(load.failed, 0, JSON.stringify(load.failures))
})

test('swarm: an image that never gets healthy is rolled back, and deploy exits 1 saying so', {
  skip: !hasApp('kb'),
}, async () => {
  const running = await serviceImage('kb')
  const good = (
    await docker('image', 'inspect', '--format', '{{.Id}}', `flotilla/kb:${TAG}`)
  ).trim()
  await rolloutImage('kb', 'ENTRYPOINT ["sh", "-c", "echo broken on purpose; exit 3"]\n')
  try {
    const failure = await deployApp('kb').then(
      () => assert.fail('deploy succeeded with a broken image'),
      (error: { code?: number; stderr?: string }) => error,
    )
    assert.equal(failure.code, 1)
    assert.match(failure.stderr ?? '', /rollback/)
    assert.equal(await serviceImage('kb'), running, 'the service runs the previous image again')
    assert.equal((await json('GET', '/kb/documents/')).status, 200)
  } finally {
    await docker('tag', good, `flotilla/kb:${TAG}`)
  }
})

// Suites in ./swarm-suites/ (the second node) run after the tests above, on the same stack.
if (twoNode) {
  const swarm: SwarmStack = {
    root,
    base,
    env,
    stackName,
    redeploy: async () => {
      await deployStack()
    },
    rolloutImage: (app) => rolloutImage(app),
    deployApp,
  }
  const suitesDir = join(import.meta.dirname, 'swarm-suites')
  for (const file of readdirSync(suitesDir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const suite = (await import(join(suitesDir, file))) as { default: (s: SwarmStack) => void }
    suite.default(swarm)
  }
}
