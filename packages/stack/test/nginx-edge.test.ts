/**
 * The shipped nginx configuration (nginx/, generated from the repository's registry) in the
 * nginx image docker-compose.yml runs, on a network of its own, in front of a stand-in app: a
 * small echo server named and numbered like the notes app. Needs Docker and the stand-in
 * images (scripts/ci/docker-up.sh nginx node).
 */
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { bodyLimitBytes } from '../src/generate/index.js'
import { loadRegistry } from '../src/index.js'

const exec = promisify(execFile)
const repoRoot = resolve(import.meta.dirname, '../../..')
const registry = await loadRegistry(repoRoot)
const notes = registry.apps.find((app) => app.name === 'notes')
const NGINX_IMAGE = (
  parse(readFileSync(resolve(repoRoot, 'docker-compose.yml'), 'utf8')) as {
    services: { nginx: { image: string } }
  }
).services.nginx.image
const ECHO_IMAGE = 'node:24-bookworm-slim'

/** Answers every request with what reached it: headers, body size, connections so far. */
const ECHO_SERVER = `
const http = require('node:http')
let connections = 0
const server = http.createServer((req, res) => {
  let bytes = 0
  req.on('data', (chunk) => { bytes += chunk.length })
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ headers: req.headers, bytes, connections }))
  })
})
server.on('connection', () => { connections++ })
server.listen(Number(process.argv[1]))
`

const unavailable = missingPrerequisite()
const id = `flotilla-nginx-test-${randomBytes(4).toString('hex')}`
let nginxUrl = ''

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args)
  return stdout.trim()
}

async function startEcho(): Promise<void> {
  if (!notes) return
  await docker(
    'run',
    ...['-d', '--rm', '--name', `${id}-notes`, '--network', id, '--network-alias', notes.name],
    ...[ECHO_IMAGE, 'node', '-e', ECHO_SERVER, String(notes.port)],
  )
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

interface Echo {
  headers: Record<string, string>
  bytes: number
  connections: number
}

async function echoed(init?: RequestInit): Promise<Echo> {
  const response = await fetch(`${nginxUrl}${notes?.route}echo`, init)
  assert.equal(response.status, 200, await response.clone().text())
  return (await response.json()) as Echo
}

before(async () => {
  if (unavailable) return
  await docker('network', 'create', id)
  await docker(
    'run',
    ...['-d', '--rm', '--name', `${id}-nginx`, '--network', id],
    ...['-v', `${repoRoot}/nginx/nginx.conf:/etc/nginx/nginx.conf:ro`],
    ...['-v', `${repoRoot}/nginx:/etc/nginx/flotilla:ro`],
    NGINX_IMAGE,
  )
  const address = await docker(
    'inspect',
    '-f',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    `${id}-nginx`,
  )
  nginxUrl = `http://${address}`
  await until('nginx to answer', async () => (await fetch(`${nginxUrl}/healthz`)).status)
})

after(async () => {
  if (unavailable) return
  for (const name of [`${id}-notes`, `${id}-nginx`]) {
    await docker('rm', '-f', name).catch(() => undefined)
  }
  await docker('network', 'rm', id).catch(() => undefined)
})

test('nginx: the shipped configuration passes nginx -t in the image compose runs', {
  skip: unavailable,
}, async () => {
  const log = await exec('docker', [
    ...['run', '--rm', '--network', 'none', '--entrypoint', 'nginx'],
    ...['-v', `${repoRoot}/nginx/nginx.conf:/etc/nginx/nginx.conf:ro`],
    ...['-v', `${repoRoot}/nginx:/etc/nginx/flotilla:ro`],
    ...[NGINX_IMAGE, '-t'],
  ])
  assert.match(log.stderr, /test is successful/)
})

test('nginx: starts with every app absent; an absent app answers the JSON 503 alone', {
  skip: unavailable,
}, async () => {
  for (const app of registry.apps) {
    const response = await fetch(`${nginxUrl}${app.route}`)
    assert.equal(response.status, 503, app.name)
    assert.deepEqual(await response.json(), {
      error: { code: 'APP_UNAVAILABLE', message: `${app.name} is not available` },
    })
  }
})

test('nginx: an app that starts later is routed without a reload; the others stay 503', {
  skip: unavailable,
}, async () => {
  await startEcho()
  const echo = await until('the app to be routed', () => echoed().catch(() => undefined))
  assert.equal(echo.bytes, 0)
  const other = registry.apps.find((app) => app.name !== notes?.name && app.route !== '/')
  assert.ok(other, 'a second app in the registry')
  assert.equal((await fetch(`${nginxUrl}${other.route}`)).status, 503)
})

test('nginx: identity and forwarding headers from outside never reach an app', {
  skip: unavailable,
}, async () => {
  const { headers } = await echoed({
    headers: {
      'X-Flotilla-App': 'kb',
      'X-Forwarded-For': '203.0.113.9',
      'X-Real-IP': '203.0.113.9',
      'X-Request-Id': 'chosen-by-the-client',
    },
  })
  assert.equal(headers['x-flotilla-app'], undefined)
  assert.doesNotMatch(headers['x-forwarded-for'] ?? '', /203\.0\.113\.9/)
  assert.doesNotMatch(headers['x-real-ip'] ?? '', /203\.0\.113\.9/)
  assert.notEqual(headers['x-request-id'], 'chosen-by-the-client')
})

test("nginx: a body at the app's limit reaches it; one byte more is nginx's JSON 413, every time", {
  skip: unavailable,
}, async () => {
  assert.ok(notes)
  const limit = bodyLimitBytes(notes)
  const atLimit = await echoed({ method: 'POST', body: Buffer.alloc(limit, 'a') })
  assert.equal(atLimit.bytes, limit)
  const statuses: number[] = []
  for (let i = 0; i < 50; i++) {
    const response = await fetch(`${nginxUrl}${notes.route}echo`, {
      method: 'POST',
      body: Buffer.alloc(limit + 1, 'a'),
    })
    const { error } = (await response.json()) as { error: { code: string } }
    assert.equal(error.code, 'PAYLOAD_TOO_LARGE')
    statuses.push(response.status)
  }
  assert.deepEqual(new Set(statuses), new Set([413]))
})

test('nginx: requests to an app reuse pooled connections', { skip: unavailable }, async () => {
  const before = (await echoed()).connections
  const batches = 8
  for (let i = 0; i < batches; i++) {
    await Promise.all(Array.from({ length: 10 }, () => echoed()))
    // Within the app's request rate at nginx (limits.conf).
    await new Promise((done) => setTimeout(done, 250))
  }
  const opened = (await echoed()).connections - before
  // Without keepalive every request opens its own connection.
  assert.ok(opened <= 20, `${opened} connections opened for ${batches * 10 + 1} requests`)
})

function missingPrerequisite(): string | false {
  if (!notes) return 'no notes app in the registry'
  try {
    for (const image of [NGINX_IMAGE, ECHO_IMAGE]) {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' })
    }
    return false
  } catch {
    return `needs Docker with ${NGINX_IMAGE} and ${ECHO_IMAGE} (scripts/ci/docker-up.sh nginx node)`
  }
}
