import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deploy } from '../src/deploy/deploy.js'
import type { Runner, RunResult } from '../src/run.js'

const COMPOSE = ['docker', 'compose']

/**
 * A recorder standing in for docker: the image id changes at build, and the container
 * reports the given health sequence. Every call is kept to assert what deploy touched.
 */
function fakeDocker(healthSequence: string[]) {
  const calls: string[] = []
  let imageId = 'sha256:old'
  const tags = new Map<string, string>()
  const runner: Runner = async (argv) => {
    const line = argv.join(' ')
    calls.push(line)
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' })
    if (line.startsWith('docker image inspect'))
      return ok(`${tags.get(argv.at(-1) as string) ?? imageId}\n`)
    if (line === 'docker compose build notes') {
      imageId = 'sha256:new'
      return ok()
    }
    if (line.startsWith('docker tag ')) {
      tags.set(argv[3] as string, argv[2] as string)
      return ok()
    }
    if (line.startsWith('docker history')) return ok('4096\n1000\n')
    if (line === 'docker compose ps -q notes') return ok('c0ffee\n')
    if (line.startsWith('docker inspect --format'))
      return ok(`${healthSequence.shift() ?? 'running healthy'}\n`)
    if (line === 'docker compose up -d --no-deps notes') return ok()
    return { code: 1, stdout: '', stderr: `unexpected: ${line}` }
  }
  return { runner, calls }
}

const options = {
  compose: COMPOSE,
  app: 'notes',
  image: 'flotilla/notes:local',
  pollMs: 0,
  sleep: async () => {},
}

test('healthy after starting: deployed, only the one service touched', async () => {
  const { runner, calls } = fakeDocker(['running starting', 'running healthy'])
  const result = await deploy({ ...options, runner })
  assert.deepEqual(result, {
    outcome: 'deployed',
    previousImage: 'sha256:old',
    newImage: 'sha256:new',
    topLayerBytes: 4096,
  })
  const composeCalls = calls.filter((c) => c.startsWith('docker compose'))
  assert.deepEqual(composeCalls, [
    'docker compose build notes',
    'docker compose up -d --no-deps notes',
    'docker compose ps -q notes',
  ])
})

test('unhealthy: the previous image is tagged back and the service recreated', async () => {
  const { runner, calls } = fakeDocker(['running starting', 'running unhealthy', 'running healthy'])
  const result = await deploy({ ...options, runner })
  assert.equal(result.outcome, 'rolled-back')
  assert.ok(calls.includes('docker tag sha256:old flotilla/notes:local'), calls.join('\n'))
  assert.equal(calls.filter((c) => c === 'docker compose up -d --no-deps notes').length, 2)
  assert.ok(calls.every((c) => !c.includes(' up ') || c.endsWith('--no-deps notes')))
})

test('out of time counts as unhealthy', async () => {
  const { runner } = fakeDocker(Array(50).fill('running starting'))
  const result = await deploy({ ...options, runner, timeoutMs: 0 })
  assert.equal(result.outcome, 'rolled-back')
})
