import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { __NAME__App } from '../src/app.js'
import { __NAME__ConfigSchema } from '../src/config.js'

let app: Service
before(async () => {
  const config = loadConfig(__NAME__ConfigSchema, { LOG_LEVEL: 'silent' })
  app = await createService({ name: '__NAME__', version: 'test', config })
  await app.register(__NAME__App, { env: {} })
  await app.ready()
})
after(() => app.close())

test('answers under its route', async () => {
  const response = await app.inject('__ROUTE__')
  assert.equal(response.statusCode, 200, response.body)
  assert.deepEqual(response.json(), { app: '__NAME__', stores: [] })
})

test('is ready without stores', async () => {
  const response = await app.inject('/readyz')
  assert.equal(response.statusCode, 200, response.body)
})
