/**
 * A store's container stopped (not killed: `docker stop`, as in a host upgrade), so its name
 * vanishes from Docker's DNS. Through nginx: the apps that need it answer 503 in the one
 * error shape, the others keep answering, and all recover by themselves once it is started.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Stack } from '../stack-handle.js'
import { type Answer, caller } from './lib/http.js'

/** A stopped store's dependants notice within one pool timeout; restarts take seconds. */
const SETTLE_MS = 60_000

export default function (stack: Stack) {
  const compose = (...args: string[]) =>
    execFileSync(stack.compose()[0] as string, [...stack.compose().slice(1), ...args], {
      cwd: stack.root,
      env: stack.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })

  const call = caller(stack.base)

  /** A note written before the outage, to be read through it. */
  const noteBefore = async (title: string): Promise<number> => {
    const note = await call('POST', '/notes/', { title })
    assert.equal(note.status, 201, JSON.stringify(note.body))
    return (note.body as { id: number }).id
  }

  /** Polls until `done` holds; every answer on the way must be one a caller can act on. */
  const until = async (
    what: string,
    request: () => Promise<Answer>,
    done: (answer: Answer) => boolean,
  ): Promise<{ answer: Answer; seconds: number }> => {
    const started = Date.now()
    let answer: Answer | undefined
    while (Date.now() - started < SETTLE_MS) {
      answer = await request()
      assertNoBare5xx(what, answer)
      if (done(answer)) return { answer, seconds: (Date.now() - started) / 1000 }
      await sleep(500)
    }
    assert.fail(`${what}: not within ${SETTLE_MS / 1000} s; last answer ${JSON.stringify(answer)}`)
  }

  const assertNoBare5xx = (what: string, answer: Answer) => {
    assert.notEqual(answer.status, 0, `${what}: nginx did not answer (${answer.body})`)
    if (answer.status < 500) return
    assert.equal(answer.status, 503, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`)
    assertErrorShape(what, answer)
  }

  const assertErrorShape = (what: string, answer: Answer) => {
    assert.match(answer.contentType, /^application\/json/, `${what}: JSON`)
    const error = (answer.body as { error?: Record<string, unknown> }).error
    assert.ok(error, `${what}: ${JSON.stringify(answer.body)}`)
    assert.deepEqual(Object.keys(answer.body as object), ['error'])
    assert.deepEqual(Object.keys(error).sort(), ['code', 'message'])
    assert.equal(typeof error.message, 'string')
  }

  /** `docker stop`/`start` of the container itself: compose would also stop its dependants. */
  const container = (verb: 'stop' | 'start', service: string) =>
    execFileSync('docker', [verb, compose('ps', '-aq', service).trim()], { stdio: 'ignore' })

  const readiness = (
    service: string,
  ): { status: string; dependencies: Record<string, { status: string; error?: string }> } =>
    JSON.parse(
      compose(
        'exec',
        '-T',
        service,
        'node',
        '-e',
        "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>r.text()).then(t=>process.stdout.write(t))",
      ),
    )

  const stillAnswering = async (what: string) => {
    const status = await call('GET', '/api/status')
    assert.equal(status.status, 200, `${what}: the status app keeps answering`)
  }

  test('store-outage: behind nginx, an app sees the client’s address, never nginx’s or a forged one', {
    skip: !stack.hasApp('notes'),
  }, async () => {
    const forged = '203.0.113.77'
    const response = await fetch(`${stack.base}/notes/`, { headers: { 'x-forwarded-for': forged } })
    assert.equal(response.status, 200)
    const requestId = response.headers.get('x-request-id') ?? ''
    const nginxAddresses = execFileSync(
      'docker',
      [
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
        compose('ps', '-q', 'nginx').trim(),
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split(' ')
    const logged = compose('logs', '--no-color', '--no-log-prefix', 'notes')
      .split('\n')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as { reqId?: string; req?: { remoteAddress?: string } }]
        } catch {
          return []
        }
      })
      .find((entry) => entry.reqId === requestId && entry.req?.remoteAddress)
    const client = logged?.req?.remoteAddress
    assert.ok(client, `notes logged request ${requestId}`)
    assert.notEqual(client, forged, 'nginx replaced the forged X-Forwarded-For')
    assert.ok(
      !nginxAddresses.includes(client),
      `${client} is not nginx (${nginxAddresses.join(', ')})`,
    )
  })

  test('store-outage: postgres stopped → notes and kb answer 503 through nginx, then recover', {
    skip: !stack.hasApp('notes') || !stack.hasApp('kb'),
  }, async () => {
    const noteId = await noteBefore('before the outage')
    container('stop', 'postgres')
    try {
      for (const [what, path] of [
        ['notes', `/notes/${noteId}`],
        ['kb', '/kb/documents/'],
      ] as const) {
        const { answer, seconds } = await until(
          what,
          () => call('GET', path),
          (a) => a.status === 503,
        )
        assertErrorShape(what, answer)
        assert.equal(
          (answer.body as { error: { code: string } }).error.code,
          'DEPENDENCY_UNAVAILABLE',
        )
        console.log(`# store-outage: postgres stopped → ${what} 503 after ${seconds} s`)
      }
      const write = await call('POST', '/notes/', { title: 'while postgres is away' })
      assert.equal(write.status, 503, JSON.stringify(write.body))
      assertErrorShape('notes write', write)
      const kbWrite = await call('POST', '/kb/documents/', { title: 'while postgres is away' })
      assert.equal(kbWrite.status, 503, JSON.stringify(kbWrite.body))
      assertErrorShape('kb write', kbWrite)
      for (const app of ['notes', 'kb']) {
        // Once the container is gone, so is its name: the apps fail to resolve it.
        const { answer } = await until(
          `${app} /readyz`,
          async () => ({ status: 200, contentType: '', body: readiness(app) }),
          (a) => /ENOTFOUND|EAI_AGAIN/.test(JSON.stringify(a.body)),
        )
        const ready = answer.body as ReturnType<typeof readiness>
        assert.equal(ready.status, 'unavailable', `${app} /readyz: ${JSON.stringify(ready)}`)
        assert.equal(ready.dependencies.postgres?.status, 'down')
        console.log(
          `# store-outage: ${app} /readyz: postgres ${ready.dependencies.postgres?.error}`,
        )
        const answered = await call('GET', app === 'notes' ? `/notes/${noteId}` : '/kb/documents/')
        assert.equal(answered.status, 503, `${app} while postgres does not resolve`)
        assertErrorShape(app, answered)
      }
      await stillAnswering('postgres stopped')
    } finally {
      container('start', 'postgres')
    }
    for (const [what, path] of [
      ['notes', `/notes/${noteId}`],
      ['kb', '/kb/documents/'],
    ] as const) {
      const { seconds } = await until(
        `${what} recovery`,
        () => call('GET', path),
        (a) => a.status === 200,
      )
      console.log(`# store-outage: postgres started → ${what} serving again after ${seconds} s`)
    }
    const after = await call('POST', '/notes/', { title: 'after the outage' })
    assert.equal(after.status, 201, JSON.stringify(after.body))
    const kbAfter = await call('POST', '/kb/documents/', { title: 'after the outage' })
    assert.equal(kbAfter.status, 201, JSON.stringify(kbAfter.body))
  })

  test('store-outage: redis stopped → notes keeps serving from PostgreSQL, then recovers', {
    skip: !stack.hasApp('notes'),
  }, async () => {
    const noteId = await noteBefore('cached before the outage')
    container('stop', 'redis')
    try {
      const { answer } = await until(
        'notes sees redis gone',
        async () => ({ status: 200, contentType: '', body: readiness('notes') }),
        (a) => (a.body as ReturnType<typeof readiness>).dependencies.redis?.status === 'down',
      )
      const ready = answer.body as ReturnType<typeof readiness>
      assert.equal(ready.status, 'degraded', 'redis is optional for notes')
      console.log(`# store-outage: notes /readyz: redis ${ready.dependencies.redis?.error}`)
      // Redis is notes's cache and rate-limit counter: without it reads and writes still work.
      for (let i = 0; i < 5; i++) {
        const read = await call('GET', `/notes/${noteId}`)
        assert.equal(read.status, 200, JSON.stringify(read.body))
      }
      const write = await call('POST', '/notes/', { title: 'while redis is away' })
      assert.equal(write.status, 201, JSON.stringify(write.body))
      const kb = await call('GET', '/kb/documents/')
      assert.equal(kb.status, 200, 'kb does not use redis and keeps answering')
      await stillAnswering('redis stopped')
    } finally {
      container('start', 'redis')
    }
    const { seconds } = await until(
      'notes reconnects to redis',
      async () => ({ status: 200, contentType: '', body: readiness('notes') }),
      (a) => (a.body as { status: string }).status === 'ready',
    )
    console.log(`# store-outage: redis started → notes ready again after ${seconds} s`)
    assert.equal((await call('GET', `/notes/${noteId}`)).status, 200)
  })
}
