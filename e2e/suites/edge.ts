/**
 * The edge: nginx refuses every oversized body itself, drops identity headers that come from
 * outside, and keeps its connections to the apps. A stand-in replica (an echo server joining
 * an app's name on the stack's network) shows what nginx sends an app; nginx finds it by
 * re-resolving the name, with no reload.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { bodyLimitBytes, loadRegistry } from '@flotilla/stack'
import { run } from '../compose.js'
import type { Stack } from '../stack-handle.js'

const ECHO_IMAGE = 'node:24-bookworm-slim'
const MARK = 'flotilla-edge-echo'

/** Counts connections and requests; answers a request with its headers. */
const ECHO_SERVER = `
const http = require('node:http')
let connections = 0
let requests = 0
const server = http.createServer((req, res) => {
  requests++
  req.resume()
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ mark: '${MARK}', headers: req.headers, connections, requests }))
  })
})
server.on('connection', () => { connections++ })
server.listen(Number(process.argv[1]))
`

interface Echo {
  mark: string
  headers: Record<string, string>
  connections: number
  requests: number
}

export default function edge(stack: Stack): void {
  const registryReady = loadRegistry(stack.root)

  test('edge: 50 bodies one byte over an app’s limit all get nginx’s JSON 413', async () => {
    for (const app of (await registryReady).apps.filter((a) => stack.hasApp(a.name))) {
      const body = Buffer.alloc(bodyLimitBytes(app) + 1, 'a')
      const answers = new Map<string, number>()
      for (let i = 0; i < 50; i++) {
        const response = await fetch(`${stack.base}${app.route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        const { error } = (await response.json()) as { error: { code: string; message: string } }
        // nginx's message, not the app's (its own 413 says "Request body is too large").
        const key = `${response.status} ${error.code} ${/^request body too large for/.test(error.message)}`
        answers.set(key, (answers.get(key) ?? 0) + 1)
      }
      assert.deepEqual(Object.fromEntries(answers), { '413 PAYLOAD_TOO_LARGE true': 50 }, app.name)
    }
  })

  test('edge: a body under the ML limit but over the apps’ old 1 MiB default reaches the app', {
    skip: !stack.hasApp('embedder'),
  }, async () => {
    const app = (await registryReady).apps.find((a) => a.name === 'embedder')
    assert.ok(app)
    // 2 MiB of inputs each within MAX_INPUT_CHARS: the embedder itself reads and judges it.
    const input = Array.from({ length: 200 }, () => 'word '.repeat(2_000))
    const body = JSON.stringify({ input, model: 'any' })
    assert.ok(body.length > 1024 ** 2 && body.length < bodyLimitBytes(app))
    const response = await fetch(`${stack.base}/embedder/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const text = await response.text()
    assert.ok(response.status < 500, `${response.status} ${text.slice(0, 300)}`)
    assert.doesNotMatch(text, /PAYLOAD_TOO_LARGE/, 'the app took the body within its own limit')
  })

  test('edge: X-Flotilla-* from outside never reaches an app; nginx reuses its connections', async () => {
    const notes = (await registryReady).apps.find((a) => a.name === 'notes')
    assert.ok(notes && stack.hasApp('notes'), 'the notes app')
    const compose = stack.compose()
    const nginxId = (await run([...compose, 'ps', '-q', 'nginx'], { env: stack.env })).trim()
    const network = (
      await run([
        'docker',
        'inspect',
        '-f',
        '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}',
        nginxId,
      ])
    )
      .trim()
      .split(' ')
      .find((name) => name.endsWith('_flotilla'))
    assert.ok(network, 'the stack network')
    const echo = `flotilla-edge-${randomBytes(4).toString('hex')}`
    await run([
      ...['docker', 'run', '-d', '--rm', '--name', echo, '--network', network],
      ...['--network-alias', notes.name, ECHO_IMAGE, 'node', '-e', ECHO_SERVER, String(notes.port)],
    ])
    try {
      // nginx re-resolves the name every few seconds; the echo then takes its share.
      const send = async (): Promise<Echo | undefined> => {
        const response = await fetch(`${stack.base}${notes.route}edge-probe`, {
          headers: { 'X-Flotilla-App': 'kb' },
        })
        const body = (await response.json().catch(() => null)) as Echo | null
        return body?.mark === MARK ? body : undefined
      }
      let first: Echo | undefined
      const deadline = Date.now() + 60_000
      while (!first && Date.now() < deadline) {
        first = await send()
        if (!first) await sleep(200)
      }
      assert.ok(first, 'the echo replica was routed to within 60 s')
      assert.equal(first.headers['x-flotilla-app'], undefined, 'X-Flotilla-App dropped')

      // Sequential requests: the echo gets about half; each could reuse one connection.
      let last = first
      for (let i = 0; i < 60; i++) {
        last = (await send()) ?? last
        await sleep(40) // within notes' request rate at nginx
      }
      const requests = last.requests - first.requests
      const connections = last.connections - first.connections
      assert.ok(requests >= 10, `${requests} requests reached the echo`)
      assert.ok(
        connections <= 2,
        `${connections} new connections for ${requests} requests: nginx does not reuse them`,
      )
    } finally {
      await run(['docker', 'rm', '-f', echo]).catch(() => undefined)
      // Until nginx re-resolves the name (resolver valid=5s), it may still try the echo's address.
      await sleep(6_000)
    }
  })
}
