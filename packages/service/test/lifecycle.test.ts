import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runFixture, waitForPort } from './helpers.js'

test('a missing env var stops start-up with a message naming it and no stack trace', async () => {
  const child = runFixture({ PORT: 'not-a-port' })
  const code = await child.exited
  assert.equal(code, 1)
  assert.match(child.stderr(), /SLOW_MS is required but not set/)
  assert.match(child.stderr(), /PORT must be integer/)
  assert.doesNotMatch(child.stderr(), /\n\s+at /, 'no stack trace for a config error')
})

test('SIGTERM lets the in-flight request finish, closes pools and exits 0', async () => {
  const child = runFixture({ SLOW_MS: '700' })
  const port = await waitForPort(child)
  const inFlight = fetch(`http://127.0.0.1:${port}/slow`)
  await new Promise((resolve) => setTimeout(resolve, 150))
  child.process.kill('SIGTERM')

  const response = await inFlight
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), { finished: true })
  assert.equal(await child.exited, 0)
  assert.match(child.stdout(), /pools closed/)
  await assert.rejects(fetch(`http://127.0.0.1:${port}/slow`), 'no longer accepting')
})

test('shutdown is bounded: a request that never ends does not keep the process alive', async () => {
  const child = runFixture({ SLOW_MS: '60000', SHUTDOWN_TIMEOUT_MS: '300' })
  const port = await waitForPort(child)
  fetch(`http://127.0.0.1:${port}/slow`).catch(() => {})
  await new Promise((resolve) => setTimeout(resolve, 150))
  const started = Date.now()
  child.process.kill('SIGTERM')
  const code = await child.exited
  assert.notEqual(code, 0, 'a forced exit is not a clean one')
  assert.ok(Date.now() - started < 5_000, 'exited within the bound')
})

test('SHUTDOWN_DRAIN_MS: after SIGTERM it still serves new requests, /readyz says draining, then it exits 0', async () => {
  const child = runFixture({ SLOW_MS: '10', SHUTDOWN_DRAIN_MS: '1500' })
  const port = await waitForPort(child)
  const base = `http://127.0.0.1:${port}`
  assert.equal((await fetch(`${base}/readyz`)).status, 200)
  child.process.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 300))

  const late = await fetch(`${base}/slow`)
  assert.equal(late.status, 200, 'a request that arrives while draining is served')
  const ready = await fetch(`${base}/readyz`)
  assert.equal(ready.status, 503)
  assert.equal(((await ready.json()) as { status: string }).status, 'draining')
  assert.equal(await child.exited, 0)
  await assert.rejects(fetch(`${base}/slow`), 'no longer accepting once drained')
})
