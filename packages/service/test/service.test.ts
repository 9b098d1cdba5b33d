import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import { Type } from 'typebox'
import Value from 'typebox/value'
import {
  AppError,
  ConfigError,
  createService,
  loadConfig,
  METRICS_JSON_PATH,
  MetricsJson,
  type Service,
  serviceConfig,
} from '../src/index.js'

const config = loadConfig(serviceConfig({}), {
  LOG_LEVEL: 'silent',
  BODY_LIMIT_BYTES: '1024',
  READINESS_TIMEOUT_MS: '100',
})

async function build(): Promise<Service> {
  const app = await createService({ name: 'test', version: '1.2.3', config })
  app.post(
    '/items',
    {
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 1 }) }),
        response: { 201: Type.Object({ name: Type.String() }) },
      },
    },
    async (request, reply) => reply.status(201).send({ name: request.body.name }),
  )
  app.get('/boom', async () => {
    throw new Error('secret detail from the database driver')
  })
  app.get('/busy', async () => {
    throw new AppError(503, 'BUSY', 'try later', { 'retry-after': '2' })
  })
  return app
}

describe('service kit', () => {
  let app: Service
  before(async () => {
    app = await build()
  })
  after(() => app.close())

  test('/healthz answers without touching dependencies', async () => {
    const response = await app.inject('/healthz')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { status: 'ok' })
  })

  test('a valid request passes the TypeBox schema', async () => {
    const response = await app.inject({ method: 'POST', url: '/items', payload: { name: 'a' } })
    assert.equal(response.statusCode, 201)
    assert.deepEqual(response.json(), { name: 'a' })
    assert.ok(response.headers['x-request-id'], 'every response carries its request id')
  })

  test('an incoming x-request-id is kept', async () => {
    const response = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
    assert.equal(response.headers['x-request-id'], 'abc-123')
  })

  test('a malformed JSON body gets 400 in the error shape', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error.code, 'BAD_REQUEST')
    assert.equal(typeof response.json().error.message, 'string')
  })

  test('a body failing validation gets 400 VALIDATION_ERROR naming the field', async () => {
    const response = await app.inject({ method: 'POST', url: '/items', payload: { name: '' } })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error.code, 'VALIDATION_ERROR')
    assert.match(response.json().error.message, /name/)
  })

  test('an oversized body gets 413 in the error shape', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'x'.repeat(2048) },
    })
    assert.equal(response.statusCode, 413)
    assert.equal(response.json().error.code, 'PAYLOAD_TOO_LARGE')
  })

  test('an unknown route gets 404 in the error shape', async () => {
    const response = await app.inject('/nope')
    assert.equal(response.statusCode, 404)
    assert.equal(response.json().error.code, 'NOT_FOUND')
  })

  test('an unexpected error is a 500 that does not leak its detail', async () => {
    const response = await app.inject('/boom')
    assert.equal(response.statusCode, 500)
    assert.deepEqual(response.json(), {
      error: { code: 'INTERNAL_ERROR', message: 'internal server error' },
    })
  })

  test('an AppError keeps its status, code and headers', async () => {
    const response = await app.inject('/busy')
    assert.equal(response.statusCode, 503)
    assert.equal(response.headers['retry-after'], '2')
    assert.deepEqual(response.json(), { error: { code: 'BUSY', message: 'try later' } })
  })

  test('/metrics exposes the request histogram by route and event-loop lag', async () => {
    await app.inject({ method: 'POST', url: '/items', payload: { name: 'a' } })
    const text = (await app.inject('/metrics')).body
    assert.match(text, /http_request_duration_seconds_count\{[^}]*route="\/items"[^}]*\} [1-9]/)
    assert.match(text, /nodejs_eventloop_lag_p99_seconds/)
    assert.match(text, /process_resident_memory_bytes/)
  })

  test('/metrics?format=json is the same registry as JSON, in the shape the kit exports', async () => {
    await app.inject({ method: 'POST', url: '/items', payload: { name: 'a' } })
    const response = await app.inject(METRICS_JSON_PATH)
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^application\/json/)
    const metrics = response.json()
    assert.ok(
      Value.Check(MetricsJson, metrics),
      [...Value.Errors(MetricsJson, metrics)][0]?.message,
    )
    const duration = (metrics as MetricsJson).find(
      (m) => m.name === 'http_request_duration_seconds',
    )
    assert.equal(duration?.type, 'histogram')
    const items = duration?.values.find(
      (v) => v.metricName === 'http_request_duration_seconds_count' && v.labels.route === '/items',
    )
    assert.ok(items?.value && items.value >= 1, JSON.stringify(items))
    assert.equal(items.labels.service, 'test', 'default labels are in the JSON too')
    assert.ok(metrics.some((m: { name: string }) => m.name === 'process_resident_memory_bytes'))
  })

  test('/metrics refuses a format it does not serve', async () => {
    const response = await app.inject('/metrics?format=xml')
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error.code, 'VALIDATION_ERROR')
  })

  test('/docs/json is the OpenAPI document of the app routes', async () => {
    const doc = (await app.inject('/docs/json')).json()
    assert.equal(doc.info.version, '1.2.3')
    assert.ok(doc.paths['/items']?.post, 'app routes are documented')
    assert.equal(doc.paths['/metrics'], undefined, 'operational routes are hidden')
  })
})

describe('/readyz', () => {
  test('a hanging required dependency times out and turns /readyz 503', async () => {
    const app = await createService({ name: 'test', version: '0', config })
    app.readiness.add({ name: 'db', required: true, check: () => new Promise(() => {}) })
    app.readiness.add({ name: 'cache', required: false, check: async () => 'PONG' })
    const started = Date.now()
    const response = await app.inject('/readyz')
    assert.ok(Date.now() - started < 2_000)
    assert.equal(response.statusCode, 503)
    const body = response.json()
    assert.equal(body.status, 'unavailable')
    assert.equal(body.dependencies.db.status, 'down')
    assert.match(body.dependencies.db.error, /timed out after 100 ms/)
    assert.equal(body.dependencies.cache.status, 'up')
    await app.close()
  })

  test('an optional dependency down makes it degraded but still 200', async () => {
    const app = await createService({ name: 'test', version: '0', config })
    app.readiness.add({ name: 'db', required: true, check: async () => 1 })
    app.readiness.add({
      name: 'cache',
      required: false,
      check: async () => {
        throw new Error('ECONNREFUSED')
      },
    })
    const response = await app.inject('/readyz')
    assert.equal(response.statusCode, 200)
    assert.equal(response.json().status, 'degraded')
    assert.equal(response.json().dependencies.cache.error, 'ECONNREFUSED')
    await app.close()
  })
})

describe('config', () => {
  test('every problem is listed at once', () => {
    const schema = serviceConfig({ DATABASE_URL: Type.String(), REDIS_URL: Type.String() })
    assert.throws(
      () => loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'postgres://x' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.deepEqual(error.problems.sort(), [
          'PORT must be integer (got "eighty")',
          'REDIS_URL is required but not set',
        ])
        return true
      },
    )
  })

  test('defaults apply and strings convert to the declared types', () => {
    const loaded = loadConfig(serviceConfig({}), { PORT: '8080' })
    assert.equal(loaded.PORT, 8080)
    assert.equal(loaded.HOST, '0.0.0.0')
    assert.equal(loaded.SHUTDOWN_TIMEOUT_MS, 10_000)
  })
})

describe('failures of a dependency', () => {
  let app: Service
  before(async () => {
    app = await createService({ name: 'test', version: '0', config })
    // Real failures from Node's own clients, not hand-made errors.
    app.get('/unresolvable', async () => fetch('http://store.invalid/'))
    app.get('/refused', async () => {
      const closed = net.createServer()
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
      const { port } = closed.address() as net.AddressInfo
      await new Promise((resolve) => closed.close(resolve))
      return fetch(`http://127.0.0.1:${port}/`)
    })
  })
  after(() => app.close())

  for (const route of ['/unresolvable', '/refused']) {
    test(`${route}: a dependency that is away is a 503 in the error shape, with retry-after`, async () => {
      const response = await app.inject(route)
      assert.equal(response.statusCode, 503)
      assert.equal(response.json().error.code, 'DEPENDENCY_UNAVAILABLE')
      assert.deepEqual(Object.keys(response.json().error).sort(), ['code', 'message'])
      assert.equal(response.headers['retry-after'], '5')
    })
  }
})

describe('trusted proxy', () => {
  async function echoIp(trustedProxy: string): Promise<Service> {
    const app = await createService({
      name: 'test',
      version: '0',
      config: { ...config, TRUSTED_PROXY: trustedProxy },
    })
    app.get('/ip', async (request) => ({ ip: request.ip }))
    return app
  }
  const ipOf = async (app: Service, remoteAddress: string, forwardedFor?: string) =>
    (
      await app.inject({
        url: '/ip',
        remoteAddress,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      })
    ).json().ip

  test('behind the trusted peer, request.ip is the forwarded client address', async () => {
    const app = await echoIp('127.0.0.1')
    assert.equal(await ipOf(app, '127.0.0.1', '198.51.100.7'), '198.51.100.7')
    assert.equal(await ipOf(app, '127.0.0.1', '203.0.113.9'), '203.0.113.9')
    // A client-supplied chain: only the entry the proxy itself added counts.
    assert.equal(await ipOf(app, '127.0.0.1', '10.0.0.1, 198.51.100.7'), '198.51.100.7')
    assert.equal(await ipOf(app, '::ffff:127.0.0.1', '198.51.100.7'), '198.51.100.7')
    await app.close()
  })

  test('from any other peer, a forged X-Forwarded-For is ignored', async () => {
    const app = await echoIp('127.0.0.1')
    assert.equal(await ipOf(app, '10.1.2.3', '198.51.100.7'), '10.1.2.3')
    assert.equal(await ipOf(app, '10.1.2.3', '127.0.0.1'), '10.1.2.3')
    await app.close()
  })

  test('the proxy named by host name is trusted at the address the name resolves to', async () => {
    const app = await echoIp('localhost')
    assert.equal(await ipOf(app, '127.0.0.1', '198.51.100.7'), '198.51.100.7')
    assert.equal(await ipOf(app, '10.1.2.3', '198.51.100.7'), '10.1.2.3')
    await app.close()
  })

  test('a proxy name that does not resolve trusts no one', async () => {
    const app = await echoIp('nginx.invalid')
    assert.equal(await ipOf(app, '127.0.0.1', '198.51.100.7'), '127.0.0.1')
    await app.close()
  })
})
