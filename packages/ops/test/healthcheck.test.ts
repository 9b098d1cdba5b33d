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
  const summary = Object.fromEntries(rows.map((r) => [r.service, [r.state, r.health, r.verdict]]))
  assert.deepEqual(summary, {
    embedder: ['missing', '-', 'ok'],
    nginx: ['running', '-', 'ok'],
    notes: ['running', 'unhealthy', 'failed'],
    provision: ['exited', '-', 'failed'],
    redis: ['running', 'healthy', 'ok'],
    secrets: ['exited', '-', 'ok'],
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
  assert.deepEqual(
    [notes?.state, notes?.verdict, notes?.detail],
    ['missing', 'failed', 'no container'],
  )
  assert.equal(exitCode(rows), 1)
})

/** The recorded healthy redis as Docker shows it while its first checks have not passed yet. */
const starting = (): ContainerInspect[] => {
  const copy = structuredClone(
    without('notes').filter((c) => c.Config.Labels?.['com.docker.compose.service'] !== 'provision'),
  )
  const redis = copy.find((c) => c.Config.Labels?.['com.docker.compose.service'] === 'redis')
  assert.ok(redis?.State.Health)
  redis.State.Health = {
    Status: 'starting',
    FailingStreak: 1,
    Log: [{ Output: 'Could not connect', ExitCode: 1 }],
  }
  return copy
}

test('a service still starting is reported as starting, not failed: exit 3 so a script can wait', () => {
  const rows = assess(starting(), [{ service: 'redis', required: true }])
  const redis = rows.find((r) => r.service === 'redis')
  assert.deepEqual(
    [redis?.state, redis?.health, redis?.verdict],
    ['running', 'starting', 'starting'],
  )
  assert.equal(exitCode(rows), 3)
  const table = formatTable(rows)
  assert.match(
    table,
    /^redis\s+yes\s+running\s+starting\s+starting\s+not healthy yet, 1 failed check\(s\) so far$/m,
  )
  assert.match(table, /1 required service\(s\) still starting$/)
})

test('a failure outranks a service still starting: exit 1', () => {
  const rows = assess(
    [
      ...starting(),
      ...recorded.filter((c) => c.Config.Labels?.['com.docker.compose.service'] === 'notes'),
    ],
    [{ service: 'redis', required: true }],
  )
  assert.equal(exitCode(rows), 1)
  assert.match(formatTable(rows), /1 required service\(s\) failing$/)
})

test('an optional service still starting does not hold the exit code', () => {
  const rows = assess(starting(), [{ service: 'redis', required: false }])
  assert.equal(exitCode(rows), 0)
})
