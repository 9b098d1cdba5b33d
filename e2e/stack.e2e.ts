/**
 * The stack end to end: `docker compose --profile ml up -d --build` — the README's one command,
 * which builds every image, tiers first — then drive the stack through nginx only. Run:
 * npm run test:stack (from the root). Under CI=true the flotilla/* images are removed first, so
 * the run proves that command builds from nothing (Docker's build cache is kept).
 * STACK_SKIP_BUILD=1 reuses the images; STACK_KEEP=1 leaves the stack up afterwards and
 * prints how to attach to it; STACK_ATTACH=<project>:<port>:<sink port> runs the tests against
 * that stack (no build, no up, no down). Suites in ./suites/ get a `Stack` and add their tests.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { loadRegistry } from '@flotilla/stack'
import { checkAlertCycle } from '../apps/status/test/stack-check.js'
import body from './body.js'
import { requester, until } from './body-http.js'
import {
  composeCommand,
  composeWithoutMissingImages,
  flotillaImages,
  freePort,
  modelsDir,
  removeImages,
  run,
  stepTimer,
} from './compose.js'
import type { Stack, Target } from './stack-handle.js'

const root = resolve(import.meta.dirname, '..')
const registry = await loadRegistry(root)
const hasApp = (name: string) => registry.apps.some((app) => app.name === name)
const attach = process.env.STACK_ATTACH?.split(':')
const project = attach?.[0] ?? `flotilla_e2e_${process.pid}`
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-stack-'))
const port = attach ? Number(attach[1]) : await freePort()
const sinkPort = attach ? Number(attach[2]) : await freePort()
const subnetOctet = Number(process.env.STACK_SUBNET_OCTET ?? 240)
const env = {
  ...process.env,
  // MODELS=dir:<folder> (CI: scripts/ci/real-models.sh): the ML tier's build reads that folder
  // as its `models` context, which compose takes from MODELS_DIR.
  MODELS_DIR: process.env.MODELS_DIR ?? modelsDir(process.env.MODELS),
  HTTP_BIND: '127.0.0.1',
  HTTP_PORT: String(port),
  // The status app's generic JSON webhook (manifest `env`, passed from .env): a receiver on the
  // stack's own network, added below, records what it is sent.
  STATUS_ALERT_WEBHOOK_URL: 'http://webhook-sink:9000/hook',
  // Fixed so a run's addresses are known; STACK_SUBNET_OCTET moves them (two runs side by side).
  FLOTILLA_SUBNET: `172.31.${subnetOctet}.0/24`,
  FLOTILLA_CHROMA_SUBNET: `172.31.${subnetOctet + 1}.0/28`,
  FLOTILLA_NEO4J_SUBNET: `172.31.${subnetOctet + 1}.16/28`,
}
const base = `http://127.0.0.1:${port}`
const json = requester(base)
let compose: string[] = []
/** Shared services left out because their image is not on this machine. */
let missing: string[] = []
let composeFile = ''
const { timings, timed } = stepTimer()
/** Image builds from scratch on a busy 2-core machine take well over the default 10 min. */
const BUILD_TIMEOUT_MS = 1_800_000

before(async () => {
  await timed('stand-in images', () =>
    run(
      ['bash', 'scripts/ci/docker-up.sh', 'node', 'postgres', 'redis', 'nginx', 'chroma', 'neo4j'],
      { cwd: root },
    ),
  )
  const build = !process.env.STACK_SKIP_BUILD && !attach
  if (build && process.env.CI === 'true') {
    await timed('remove flotilla images', async () => removeImages(await flotillaImages()))
  }
  const { file, removed } = composeWithoutMissingImages(
    root,
    join(workDir, 'compose.yml'),
    env,
    project,
  )
  missing = removed.map((r) => r.service)
  composeFile = file
  console.log(
    removed.length === 0
      ? '# the shipped docker-compose.yml runs as is: no service left out'
      : removed
          .map(
            (r) =>
              `# left out of the shipped docker-compose.yml: ${r.service} — ${r.reason}; its apps report it degraded`,
          )
          .join('\n'),
  )
  compose = [
    ...composeCommand(),
    '-p',
    project,
    '-f',
    file,
    '-f',
    webhookSink(),
    '--project-directory',
    root,
  ]
  if (attach) return
  await timed(build ? 'compose up --build' : 'compose up', async () => {
    try {
      await run([...compose, '--profile', 'ml', 'up', '-d', build ? '--build' : '--no-build'], {
        cwd: root,
        env,
        timeoutMs: BUILD_TIMEOUT_MS,
      })
    } catch (error) {
      // `up` says only that a dependency failed: which one, and the one-shot services' logs say why.
      const logs = execFileSync(
        'sh',
        [
          '-c',
          `${compose.join(' ')} ps -a --format '{{.Service}}: {{.Status}}' 2>&1; ${compose.join(' ')} logs --no-color secrets provision 2>&1 | tail -n 40`,
        ],
        { env, encoding: 'utf8' },
      )
      throw new Error(`${(error as Error).message.slice(-1500)}\n--- logs ---\n${logs}`)
    }
  })
  await timed('healthy', () => waitHealthy(240_000))
})

after(async () => {
  if (process.env.STACK_KEEP || attach) {
    console.log(`# left running: ${compose.join(' ')}`)
    console.log(`# attach: STACK_ATTACH=${project}:${port}:${sinkPort}`)
  } else if (compose.length > 0) {
    await timed('down -v', () =>
      run([...compose, '--profile', 'ml', 'down', '-v', '--remove-orphans'], { cwd: root, env }),
    )
  }
  rmSync(workDir, { recursive: true, force: true })
  console.log(`# timings (s): ${JSON.stringify(timings)}`)
})

// The checks every target passes (body.ts), then what only a Compose host has.
const target: Target = {
  base,
  registry,
  missing: () => missing,
  hasApp,
  container: async (service) => (await run([...compose, 'ps', '-q', service], { env })).trim(),
}
body(target)

test('status: a stopped app raises one alert and one recovery, at the page and the webhook, and its down period is on the chart', {
  skip: !hasApp('status') || !hasApp('notes'),
}, async () => {
  const cycle = await checkAlertCycle({
    baseUrl: base,
    app: 'notes',
    stop: () => run([...compose, 'stop', 'notes'], { cwd: root, env }),
    start: () => run([...compose, 'start', 'notes'], { cwd: root, env }),
  })
  await waitHealthy(120_000)
  const received = (await (await fetch(`http://127.0.0.1:${sinkPort}/received`)).json()) as {
    body: string
  }[]
  const notices = received
    .map(
      (request) =>
        JSON.parse(request.body) as { kind: string; rule: string; target: string; since: string },
    )
    .filter((n) => n.rule === 'appDown' && n.target === 'notes' && n.since === cycle.firing.since)
  assert.deepEqual(
    notices.map((n) => n.kind),
    ['firing', 'resolved'],
    `the webhook got exactly one alert and one recovery notice: ${JSON.stringify(received)}`,
  )
})

test('an app that is down answers JSON 503 alone; restarting one app leaves the others untouched', async () => {
  const target = hasApp('classifier') ? 'classifier' : 'notes'
  const others = registry.apps
    .map((app) => app.name)
    .filter((name) => name !== target && hasApp(name))
  const idsBefore = await containerIds()
  // From this test's start: earlier tests stop and start apps of their own on purpose.
  const startedBefore = await startTimes()

  await run([...compose, 'stop', target], { cwd: root, env })
  const down = await json('GET', registry.apps.find((app) => app.name === target)?.route ?? '/')
  assert.equal(down.status, 503)
  assert.equal((down.body as { error: { code: string } }).error.code, 'APP_UNAVAILABLE')
  await run([...compose, 'start', target], { cwd: root, env })
  await waitHealthy(120_000)

  // Requests keep flowing to the other apps while the target restarts.
  const failures: string[] = []
  let sent = 0
  let flowing = true
  const probes = others.flatMap((name) => {
    const app = registry.apps.find((candidate) => candidate.name === name)
    return app ? [probeFor(app.name, app.route)] : []
  })
  const load = (async () => {
    while (flowing) {
      for (const probe of probes) {
        sent++
        const status = await probe().catch((error: Error) => error.message)
        if (status !== 200) failures.push(`${probe.name}: ${status}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  await run([...compose, 'restart', target], { cwd: root, env })
  await waitHealthy(120_000)
  flowing = false
  await load

  assert.deepEqual(failures, [], `failed requests to untouched apps (${sent} sent)`)
  assert.ok(sent > others.length, `requests flowed during the restart (${sent})`)
  const idsAfter = await containerIds()
  for (const [service, id] of idsBefore) {
    assert.equal(idsAfter.get(service), id, `${service} container replaced`)
  }
  const startedAfter = await startTimes()
  for (const name of [...others, 'nginx', 'postgres', 'redis']) {
    if (startedBefore.has(name)) {
      assert.equal(startedAfter.get(name), startedBefore.get(name), `${name} was restarted`)
    }
  }
})

test('operator commands: healthcheck, backup → restore, deploy one app', {
  skip: !hasApp('notes'),
}, async () => {
  // The scripts find the stack as compose does: project name, file and profiles from the env.
  const opsEnv = {
    ...env,
    COMPOSE_PROJECT_NAME: project,
    COMPOSE_FILE: composeFile,
    COMPOSE_PROFILES: 'ml',
  }
  const table = await run(['scripts/healthcheck'], { cwd: root, env: opsEnv })
  for (const app of registry.apps) assert.match(table, new RegExp(`\\b${app.name}\\b`))

  const kept = await json('POST', '/notes/', { title: 'kept by the backup' })
  assert.equal(kept.status, 201)
  const { id } = kept.body as { id: number }
  const backups = join(workDir, 'backups')
  await run(['scripts/backup', 'notes', '--out', backups], { cwd: root, env: opsEnv })
  const [backup] = readdirSync(join(backups, 'notes'))
  assert.ok(backup, 'a backup directory was written')
  assert.equal((await json('DELETE', `/notes/${id}`)).status, 204)
  assert.equal((await json('GET', `/notes/${id}`)).status, 404)
  await run(['scripts/restore', 'notes', join(backups, 'notes', backup)], {
    cwd: root,
    env: opsEnv,
  })
  const restored = await json('GET', `/notes/${id}`)
  assert.equal(restored.status, 200, 'the deleted note is back')
  assert.equal((restored.body as { title: string }).title, 'kept by the backup')

  const idsBefore = await containerIds()
  await run(['scripts/deploy', 'notes'], { cwd: root, env: opsEnv, timeoutMs: 600_000 })
  const idsAfter = await containerIds()
  for (const [service, containerId] of idsBefore) {
    if (service !== 'notes')
      assert.equal(idsAfter.get(service), containerId, `${service} untouched`)
  }
  assert.equal((await json('GET', '/notes/')).status, 200)
})

test('new-app: a scaffolded app builds, passes its test and answers through nginx', async () => {
  const name = 'e2e_hello'
  const appDir = join(root, 'apps', name)
  assert.equal(existsSync(appDir), false, `${appDir} must not exist before the test`)
  // Only what new-app and this test write is put back: the app folder and generated files.
  const lock = readFileSync(join(root, 'package-lock.json'))
  let withApp: string[] = []
  try {
    await run(['scripts/new-app', name, '--tier', 'base', '--stores', 'postgres,redis'], {
      cwd: root,
      env,
    })
    await run(['npx', 'turbo', 'run', 'build', 'test', `--filter=@flotilla/${name}`], {
      cwd: root,
      env,
    })
    const { file } = composeWithoutMissingImages(root, join(workDir, 'with-app.yml'), env, project)
    withApp = [...composeCommand(), '-p', project, '-f', file, '--project-directory', root]
    // `up --build` of the one app: compose rebuilds the tiers it names from this checkout, then
    // the app; the provisioner runs again first and creates only its resources; nginx picks up
    // the regenerated routes by itself (nginx/reload-on-change.sh).
    await timed('up --build of the new app', () =>
      run([...withApp, 'up', '-d', '--build', name], {
        cwd: root,
        env,
        timeoutMs: BUILD_TIMEOUT_MS,
      }),
    )
    const deadline = Date.now() + 120_000
    let last: { status: number; body: unknown } = { status: 0, body: null }
    while (Date.now() < deadline) {
      last = await json('GET', `/${name}/`)
      if (last.status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    assert.equal(last.status, 200, JSON.stringify(last.body))
    assert.deepEqual(last.body, { app: name, stores: ['pg', 'redis'] })
  } finally {
    if (withApp.length > 0) await run([...withApp, 'rm', '-sf', name], { cwd: root, env })
    execFileSync('docker', [
      'image',
      'rm',
      '-f',
      `flotilla/${name}:${process.env.FLOTILLA_TAG ?? 'local'}`,
    ])
    rmSync(appDir, { recursive: true, force: true })
    writeFileSync(join(root, 'package-lock.json'), lock)
    await run(['npm', 'run', 'generate'], { cwd: root, env })
    // The regenerated routes make nginx reload (reload-on-change.sh polls every few seconds),
    // and a reload closes the old workers' idle keep-alive connections: a suite starting in
    // that moment would send its first request down a closing socket. Wait until nginx no
    // longer routes the app, then a moment for the old workers' connections to close.
    await until(async () => {
      const answer = await json('GET', `/${name}/`).catch(() => undefined)
      return answer?.status === 404
    }, 60_000)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
})

function probeFor(name: string, route: string): () => Promise<number | string> {
  const probe = async () => {
    if (name === 'notes') return (await json('GET', '/notes/')).status
    if (name === 'embedder') {
      return (await json('POST', '/embedder/v1/embeddings', { input: 'x', model: 'embedding' }))
        .status
    }
    if (name === 'classifier')
      return (await json('POST', '/classifier/predict', { inputs: 'x' })).status
    if (name === 'kb') return (await json('GET', '/kb/documents/')).status
    return (await fetch(`${base}${route}`)).status
  }
  Object.defineProperty(probe, 'name', { value: name })
  return probe
}

// Suites in ./suites/ (one concern each) run after the tests above, against the same stack.
const stack: Stack = { root, base, env, compose: () => compose, missing: () => missing, hasApp }
const suitesDir = join(import.meta.dirname, 'suites')
for (const file of readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts'))
  .sort()) {
  const suite = (await import(join(suitesDir, file))) as { default: (stack: Stack) => void }
  suite.default(stack)
}

/**
 * A compose file adding `webhook-sink` to the stack's network: it keeps every request it is
 * sent and lists them at GET /received, published on loopback for this test only.
 */
function webhookSink(): string {
  const script = join(workDir, 'sink.mjs')
  writeFileSync(
    script,
    `import { createServer } from 'node:http'
const received = []
createServer((request, response) => {
  if (request.method !== 'POST') return response.end(JSON.stringify(received))
  let body = ''
  request.on('data', (chunk) => { body += chunk })
  request.on('end', () => { received.push({ path: request.url, body }); response.end('ok') })
}).listen(9000)
`,
    { mode: 0o644 },
  )
  const file = join(workDir, 'webhook-sink.yml')
  writeFileSync(
    file,
    [
      'services:',
      '  webhook-sink:',
      '    image: node:24-bookworm-slim',
      '    command: [node, /sink.mjs]',
      `    volumes: ["${script}:/sink.mjs:ro"]`,
      `    ports: ["127.0.0.1:${sinkPort}:9000"]`,
      '    networks: [flotilla]',
      '',
    ].join('\n'),
  )
  return file
}

async function containerIds(): Promise<Map<string, string>> {
  const ids = new Map<string, string>()
  for (const service of (await run([...compose, '--profile', 'ml', 'ps', '--services'], { env }))
    .split('\n')
    .filter(Boolean)) {
    const id = (await run([...compose, 'ps', '-q', service], { env })).trim()
    if (id) ids.set(service, id)
  }
  return ids
}

async function startTimes(): Promise<Map<string, string>> {
  const times = new Map<string, string>()
  for (const [service, id] of await containerIds()) {
    times.set(
      service,
      execFileSync('docker', ['inspect', '-f', '{{.State.StartedAt}}', id], {
        encoding: 'utf8',
      }).trim(),
    )
  }
  return times
}

/** Until every long-running container is healthy and every one-shot exited 0. */
async function waitHealthy(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let states: string[] = []
  while (Date.now() < deadline) {
    const ids = await containerIds()
    states = []
    for (const [service, id] of ids) {
      const state = execFileSync(
        'docker',
        [
          'inspect',
          '-f',
          '{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
          id,
        ],
        { encoding: 'utf8' },
      ).trim()
      const [status, exitCode, health] = state.split(' ')
      if (status === 'exited' && exitCode !== '0') {
        const logs = await run([...compose, 'logs', '--tail', '40', service], { env }).catch(String)
        throw new Error(`${service} exited with ${exitCode}:\n${logs}`)
      }
      const done =
        status === 'exited'
          ? exitCode === '0'
          : status === 'running' && health !== 'starting' && health !== 'unhealthy'
      if (!done) states.push(`${service}: ${state}`)
    }
    if (states.length === 0 && ids.size > 0) return
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
  throw new Error(`not healthy after ${timeoutMs / 1000}s:\n  ${states.join('\n  ')}`)
}
