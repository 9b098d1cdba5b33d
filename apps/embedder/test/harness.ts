import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureModel, type ModelName } from '@flotilla/ml'
import { createService, loadConfig, type Service } from '@flotilla/service'
import { type OutageProxy, startOutageProxy, startRedis } from '@flotilla/testkit'
import { embedderApp } from '../src/app.js'
import { embedderConfigSchema } from '../src/config.js'

/** Generated once per machine, shared with @flotilla/ml's own tests. */
export const MODELS_ROOT = join(tmpdir(), 'flotilla-ml-test-models')

export interface Harness {
  app: Service
  redis: OutageProxy
  redisUrl: string
  keyPrefix: string
  close(): Promise<void>
}

/** The embedder app on a generated model and the real test Redis (behind an outage proxy). */
export async function startEmbedder(
  env: Record<string, string> = {},
  model: ModelName = 'tiny-encoder',
): Promise<Harness> {
  const [modelDir, redisServer] = await Promise.all([ensureModel(model, MODELS_ROOT), startRedis()])
  const redis = await startOutageProxy({ host: redisServer.host, port: redisServer.port })
  const keyPrefix = `embedder_${randomBytes(4).toString('hex')}:`
  const config = loadConfig(embedderConfigSchema, {
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1000',
    MODEL_DIR: modelDir,
    MODEL_ALIASES: 'test-alias',
    INTRA_OP_THREADS: '1',
    REDIS_URL: redis.wrap(redisServer.url),
    REDIS_KEY_PREFIX: keyPrefix,
    ...env,
  })
  const app = await createService({ name: 'embedder', version: 'test', config })
  await app.register(embedderApp, config)
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

export function norm(vector: ArrayLike<number>): number {
  return Math.hypot(...Array.from(vector))
}
