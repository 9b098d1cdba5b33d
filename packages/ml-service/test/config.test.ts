import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig, serviceConfig } from '@flotilla/service'
import {
  cachedModelName,
  inputLimits,
  mlServiceProperties,
  modelName,
  runtimeOptions,
} from '../src/config.js'

const schema = serviceConfig(mlServiceProperties())

test('defaults: the model named after its directory', () => {
  const config = loadConfig(schema, { MODEL_DIR: '/opt/models/tiny' })
  assert.equal(modelName(config), 'tiny')
  assert.deepEqual(inputLimits(config), { maxInputs: 512, maxInputChars: 20_000 })
  assert.equal(runtimeOptions(config).modelDir, '/opt/models/tiny')
  assert.equal(runtimeOptions(config).maxQueue, 1024)
  assert.equal(runtimeOptions(config).precision, 'fp32')
  assert.equal(cachedModelName(config), 'tiny')
})

test('an int8 model runs model.int8.onnx and caches its rows apart from fp32 ones', () => {
  const env = { MODEL_DIR: '/opt/models/tiny' }
  const int8 = loadConfig(schema, { ...env, MODEL_PRECISION: 'int8' })
  assert.equal(runtimeOptions(int8).precision, 'int8')
  assert.equal(modelName(int8), 'tiny')
  assert.notEqual(cachedModelName(int8), cachedModelName(loadConfig(schema, env)))
  assert.throws(() => loadConfig(schema, { ...env, MODEL_PRECISION: 'int4' }), /MODEL_PRECISION/)
})

test('the runtime options carry every runtime setting', () => {
  const config = loadConfig(schema, {
    MODEL_DIR: '/m',
    MODEL_NAME: 'served',
    MODEL_PRECISION: 'int8',
    POOL_SIZE: '2',
    INTRA_OP_THREADS: '3',
    MAX_TOKENS: '64',
    MAX_BATCH_SIZE: '8',
    MAX_BATCH_TOKENS: '512',
    MAX_QUEUE: '16',
    RUN_TIMEOUT_MS: '1000',
  })
  assert.equal(modelName(config), 'served')
  assert.deepEqual(runtimeOptions(config), {
    modelDir: '/m',
    precision: 'int8',
    poolSize: 2,
    intraOpThreads: 3,
    maxTokens: 64,
    maxBatchSize: 8,
    maxBatchTokens: 512,
    maxQueue: 16,
    runTimeoutMs: 1000,
  })
})

test('no store name has a default here: Redis and its key prefix come from appData alone', () => {
  const config = loadConfig(schema, { MODEL_DIR: '/m', REDIS_KEY_PREFIX: 'classifier:' })
  const keys = Object.keys(config)
  assert.deepEqual(
    keys.filter((key) => key.startsWith('REDIS_')),
    [],
    'the ML config reads no Redis setting',
  )
  assert.ok(keys.includes('CACHE_TTL_SECONDS'))
})
