import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { __NAME__App } from '../src/app.js'
import { __NAME__ConfigSchema } from '../src/config.js'

// The sources run through tsx, which @fastify/autoload cannot see when loaded with --import.
process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

let app: Service
before(async () => {
  const config = loadConfig(__NAME__ConfigSchema, { LOG_LEVEL: 'silent' })
  app = await createService({ name: '__NAME__', version: 'test', config })
  // No credentials: every store is then reported as not configured.
  await app.register(__NAME__App, { config, env: {} })
  await app.ready()
})
after(() => app.close())

test('answers under its route', async () => {
  const response = await app.inject('__ROUTE__')
  assert.equal(response.statusCode, 200, response.body)
  assert.deepEqual(response.json(), { app: '__NAME__', stores: [] })
})

test('serves without stores, /readyz saying which are missing', async () => {
  const response = await app.inject('/readyz')
  assert.equal(response.statusCode, 200, response.body)
})
