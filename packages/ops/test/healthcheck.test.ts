import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { assess, type ContainerInspect, exitCode, formatTable } from '../src/healthcheck/assess.js'

// Recorded with `docker inspect` from real containers (redis:7 with a passing healthcheck,
// node with a failing one, two one-shots exiting 0 and 3, one without a healthcheck).
const recorded = JSON.parse(
  await readFile(new URL('fixtures/docker-inspect.json', import.meta.url), 'utf8'),
) as ContainerInspect[]
const without = (service: string) =>
  recorded.filter((c) => c.Config.Labels?.['com.docker.compose.service'] !== service)

test('each container is judged by its healthcheck, exit code or running state', () => {
  const rows = assess(recorded, [
    { service: 'redis', required: true },
    { service: 'embedder', required: false },
  ])
  const summary = Object.fromEntries(rows.map((r) => [r.service, [r.state, r.health, r.ok]]))
  assert.deepEqual(summary, {
    embedder: ['missing', '-', true],
    nginx: ['running', '-', true],
    notes: ['running', 'unhealthy', false],
    provision: ['exited', '-', false],
    redis: ['running', 'healthy', true],
    secrets: ['exited', '-', true],
  })
  assert.match(
    rows.find((r) => r.service === 'provision')?.detail ?? '',
    /one-shot failed \(exit 3\)/,
  )
  assert.equal(exitCode(rows), 1)
  const table = formatTable(rows)
  assert.match(table, /^SERVICE\s+REQUIRED\s+STATE\s+HEALTH\s+OK\s+DETAIL$/m)
  assert.match(table, /^notes\s+yes\s+running\s+unhealthy\s+FAIL/m)
  assert.match(table, /2 required service\(s\) failing$/)
})

test('exit 0 when only optional services are down', () => {
  const healthy = without('notes').filter(
    (c) => c.Config.Labels?.['com.docker.compose.service'] !== 'provision',
  )
  const rows = assess(healthy, [{ service: 'classifier', required: false }])
  assert.equal(exitCode(rows), 0)
  assert.match(formatTable(rows), /all 4 services ok$/)
})

test('a required service without a container fails', () => {
  const rows = assess(without('notes'), [{ service: 'notes', required: true }])
  const notes = rows.find((r) => r.service === 'notes')
  assert.deepEqual([notes?.state, notes?.ok, notes?.detail], ['missing', false, 'no container'])
  assert.equal(exitCode(rows), 1)
})
