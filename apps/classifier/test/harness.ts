import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureModel } from '@flotilla/ml'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { type OutageProxy, startOutageProxy, startRedis } from '@flotilla/testkit'
import { classifierApp } from '../src/app.js'
import { classifierConfigSchema } from '../src/config.js'

/** Generated once per machine, shared with @flotilla/ml's own tests. */
export const MODELS_ROOT = join(tmpdir(), 'flotilla-ml-test-models')

export interface Harness {
  app: Service
  redis: OutageProxy
  redisUrl: string
  keyPrefix: string
  close(): Promise<void>
}

/** The classifier app on the generated tiny-classifier and the real test Redis. */
export async function startClassifier(env: Record<string, string> = {}): Promise<Harness> {
  const [modelDir, redisServer] = await Promise.all([
    ensureModel('tiny-classifier', MODELS_ROOT),
    startRedis(),
  ])
  const redis = await startOutageProxy({ host: redisServer.host, port: redisServer.port })
  const keyPrefix = `classifier_${randomBytes(4).toString('hex')}:`
  const config = loadConfig(classifierConfigSchema, {
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1000',
    MODEL_DIR: modelDir,
    INTRA_OP_THREADS: '1',
    REDIS_URL: redis.wrap(redisServer.url),
    REDIS_KEY_PREFIX: keyPrefix,
    ...env,
  })
  const app = await createService({ name: 'classifier', version: 'test', config })
  await app.register(classifierApp, config)
  await app.ready()
  return {
    app,
    redis,
    redisUrl: redisServer.url,
    keyPrefix,
    async close() {
      await app.close()
      await Promise.all([redis.close(), redisServer.stop()])
    },
  }
}
