import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeployError, deploy } from '../src/deploy/deploy.js'
import type { Runner, RunResult } from '../src/run.js'

const COMPOSE = ['docker', 'compose', '-p', 'flotilla']
const TAG = 'flotilla/notes:local'
const UP = 'docker compose -p flotilla up -d --no-deps --no-build --force-recreate notes'

/**
 * A small docker standing in for the real one, with state: tags naming image ids, containers
 * running image ids, the service's current container. `build` moves the tag to what the
 * checkout builds; every command is recorded to assert what deploy touched.
 */
function fakeDocker(options: {
  tags: Record<string, string>
  /** The image id notes' container runs; null: no container. */
  running: string | null
  /** The image id a build of the checkout gives. */
  builds: string
  /** Health of each new container in turn ('starting' then 'healthy' by default). */
  health?: string[]
  /** Containers of other projects and the image ids they run. */
  others?: Record<string, string>
}) {
  const calls: string[] = []
  const tags = new Map(Object.entries(options.tags))
  const containers = new Map(Object.entries(options.others ?? {}))
  let current: string | null = null
  if (options.running) {
    current = 'c0'
    containers.set(current, options.running)
  }
  const health = [...(options.health ?? ['starting', 'healthy'])]
  let created = 0
  const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' })
  const fail = (stderr: string): RunResult => ({ code: 1, stdout: '', stderr })
  const runner: Runner = async (argv) => {
    const line = argv.join(' ')
    calls.push(line)
    const last = argv.at(-1) as string
    if (line === 'docker compose -p flotilla config')
      return ok(`name: flotilla\nservices:\n  notes:\n    image: ${TAG}\n`)
    if (line === 'docker compose -p flotilla ps -q notes') return ok(current ? `${current}\n` : '')
    if (line.startsWith('docker inspect --format {{.Image}}'))
      return ok(`${containers.get(last)}\n`)
    if (line.startsWith('docker image inspect --format {{.Id}}')) {
      const id = tags.get(last)
      return id ? ok(`${id}\n`) : fail(`No such image: ${last}`)
    }
    if (line === 'docker images --no-trunc --format {{.ID}} flotilla/*')
      return ok([...new Set(tags.values())].join('\n'))
    if (line === UP) {
      if (current) containers.delete(current)
      current = `c${++created}`
      containers.set(current, tags.get(TAG) as string)
      return ok()
    }
    if (line.startsWith('docker inspect --format {{json .State}}')) {
      const status = health.shift() ?? 'healthy'
      return ok(
        JSON.stringify({
          Status: 'running',
          ExitCode: 0,
          Health: { Status: status, Log: [{ Output: `check said ${status}` }] },
        }),
      )
    }
    if (line.startsWith('docker logs --tail 20')) return ok('listening\nboom: no such table\n')
    if (line.startsWith('docker tag ')) {
      tags.set(argv[3] as string, argv[2] as string)
      return ok()
    }
    if (line.startsWith('docker image inspect --format {{len .RepoTags}}'))
      return ok(`${[...tags.values()].filter((id) => id === last).length}\n`)
    if (line.startsWith('docker image rm ')) {
      if ([...containers.values()].includes(last))
        return fail(`conflict: unable to delete ${last} - image is being used by running container`)
      return ok()
    }
    return fail(`unexpected: ${line}`)
  }
  const build = async () => {
    calls.push('build')
    tags.set(TAG, options.builds)
  }
  return { runner, build, calls, tags, containers, current: () => current }
}

const quiet = { compose: COMPOSE, app: 'notes', pollMs: 0, sleep: async () => {} }

test('a code change: the running container is replaced, the old image id → the new one said and removed', async () => {
  const docker = fakeDocker({
    tags: { [TAG]: 'sha256:old' },
    running: 'sha256:old',
    builds: 'sha256:new',
  })
  const lines: string[] = []
  const result = await deploy({ ...quiet, ...docker, log: (line) => lines.push(line) })
  assert.deepEqual(result, {
    outcome: 'deployed',
    previousImage: 'sha256:old',
    newImage: 'sha256:new',
    removedImages: ['sha256:old'],
  })
  assert.equal(docker.containers.get(docker.current() as string), 'sha256:new')
  assert.ok(lines.includes('==> notes: replaced old → new; healthy'), lines.join('\n'))
  // Only the one service is recreated; the build happens before any replacement.
  assert.deepEqual(
    docker.calls.filter((c) => c === 'build' || c.includes(' up ')),
    ['build', UP],
  )
})

test('the tag already names the new image but the container runs the old one: replaced, not "unchanged"', async () => {
  // A full rebuild happened before deploy: comparing tags before and after the build sees no change.
  const docker = fakeDocker({
    tags: { [TAG]: 'sha256:new' },
    running: 'sha256:old',
    builds: 'sha256:new',
  })
  const result = await deploy({ ...quiet, ...docker })
  assert.equal(result.outcome, 'deployed')
  assert.equal(result.previousImage, 'sha256:old')
  assert.ok(docker.calls.includes(UP))
})

test('no change: nothing to do only when the running container already runs the image just built', async () => {
  const docker = fakeDocker({
    tags: { [TAG]: 'sha256:same' },
    running: 'sha256:same',
    builds: 'sha256:same',
  })
  const lines: string[] = []
  const result = await deploy({ ...quiet, ...docker, log: (line) => lines.push(line) })
  assert.deepEqual(result, {
    outcome: 'unchanged',
    previousImage: 'sha256:same',
    newImage: 'sha256:same',
    removedImages: [],
  })
  assert.ok(docker.calls.includes('build'), 'it still builds: the checkout decides')
  assert.ok(
    !docker.calls.some((c) => c.includes(' up ') || c.includes(' rm ')),
    docker.calls.join('\n'),
  )
  assert.equal(docker.current(), 'c0', 'the container is not recreated')
  assert.match(lines.at(-1) ?? '', /nothing to do — it already runs same, the image just built/)
})

test('no container yet: created from the new image', async () => {
  const docker = fakeDocker({ tags: {}, running: null, builds: 'sha256:new' })
  const result = await deploy({ ...quiet, ...docker })
  assert.equal(result.outcome, 'deployed')
  assert.equal(result.previousImage, null)
  assert.equal(docker.containers.get(docker.current() as string), 'sha256:new')
})

test('an image another container still runs is kept, the superseded tier images are removed', async () => {
  const docker = fakeDocker({
    tags: { [TAG]: 'sha256:old', 'flotilla/base:local': 'sha256:oldbase' },
    running: 'sha256:old',
    builds: 'sha256:new',
    others: { 'other-stack': 'sha256:old' },
  })
  // The tier build moves the base tag too.
  const build = async () => {
    await docker.build()
    docker.tags.set('flotilla/base:local', 'sha256:newbase')
  }
  const result = await deploy({ ...quiet, ...docker, build })
  assert.deepEqual(result.removedImages, ['sha256:oldbase'])
})

test('never healthy: the previous image is put back and deploy fails with the reason and the log lines', async () => {
  const docker = fakeDocker({
    tags: { [TAG]: 'sha256:old' },
    running: 'sha256:old',
    builds: 'sha256:new',
    health: ['starting', 'unhealthy', 'healthy'],
  })
  await assert.rejects(deploy({ ...quiet, ...docker }), (error: Error) => {
    assert.ok(error instanceof DeployError)
    assert.match(
      error.message,
      /notes: new is not healthy \(healthcheck unhealthy: check said unhealthy\)/,
    )
    assert.match(error.message, /boom: no such table/)
    assert.match(error.message, /rolled back to old: healthy/)
    return true
  })
  assert.equal(docker.tags.get(TAG), 'sha256:old')
  assert.equal(docker.containers.get(docker.current() as string), 'sha256:old')
  assert.equal(docker.calls.filter((c) => c === UP).length, 2)
  assert.ok(!docker.calls.some((c) => c.startsWith('docker image rm')), 'nothing removed')
})

test('out of time counts as not healthy, and says so', async () => {
  const docker = fakeDocker({
    tags: { [TAG]: 'sha256:old' },
    running: 'sha256:old',
    builds: 'sha256:new',
    health: Array(50).fill('starting'),
  })
  await assert.rejects(deploy({ ...quiet, ...docker, timeoutMs: 0 }), /still starting after 0 s/)
})
