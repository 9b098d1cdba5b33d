/**
 * For ML apps' tests only (`@flotilla/ml-service/testing`): needs @flotilla/testkit, which
 * apps have as a dev dependency and images never get.
 */
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedis } from '@flotilla/data/redis/test-server'
import {
  ensureModel,
  isInstalled,
  type ModelName,
  type ModelRole,
  readModelLock,
} from '@flotilla/ml'
import {
  type baseConfigProperties,
  createService,
  loadConfig,
  type Service,
} from '@flotilla/service'
import { type OutageProxy, startOutageProxy } from '@flotilla/testkit'
import type { FastifyInstance } from 'fastify'
import type { Static, TObject } from 'typebox'

/** Generated once per machine, shared with @flotilla/ml's own tests. */
export const MODELS_ROOT = join(tmpdir(), 'flotilla-ml-test-models')

/** Where scripts/ci/real-models.sh converts the real models: packages/ml/models. */
const REAL_MODELS_ROOT = fileURLToPath(new URL('../../ml/models', import.meta.url))

/**
 * The directory of the real model pinned for `role`, if it is installed from exactly the
 * pinned files (`bash scripts/ci/real-models.sh` installs the embedding model).
 */
export async function realModelDir(role: ModelRole): Promise<string | undefined> {
  const lock = await readModelLock()
  const entry = Object.entries(lock.models).find(([, model]) => model.role === role)
  if (!entry) return undefined
  const dir = join(REAL_MODELS_ROOT, entry[0])
  return (await isInstalled(dir, entry[0], entry[1])) ? dir : undefined
}

export interface MlHarness {
  app: Service
  redis: OutageProxy
  redisUrl: string
  keyPrefix: string
  close(): Promise<void>
}

/** Any schema made by serviceConfig, so its configs carry the service's own settings. */
type ServiceSchema = TObject<typeof baseConfigProperties>

/** An ML app's plugin: its config, and the credentials appData reads (the test's, here). */
export type MlAppPlugin<S extends ServiceSchema> = (
  app: FastifyInstance,
  options: { config: Static<S>; env?: Record<string, string | undefined> },
) => Promise<void>

export interface MlAppUnderTest<S extends ServiceSchema> {
  name: string
  schema: S
  plugin: MlAppPlugin<S>
  model: ModelName
  env: Record<string, string>
}

/** An ML app on a generated model and the real test Redis (behind an outage proxy). */
export async function startMlApp<S extends ServiceSchema>({
  name,
  schema,
  plugin,
  model,
  env,
}: MlAppUnderTest<S>): Promise<MlHarness> {
  const [modelDir, redisServer] = await Promise.all([ensureModel(model, MODELS_ROOT), startRedis()])
  const redis = await startOutageProxy({ host: redisServer.host, port: redisServer.port })
  const keyPrefix = `${name}_${randomBytes(4).toString('hex')}:`
  const settings = {
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1000',
    MODEL_DIR: modelDir,
    INTRA_OP_THREADS: '1',
    // What the provisioner's credential file holds.
    REDIS_URL: redis.wrap(redisServer.url),
    REDIS_KEY_PREFIX: keyPrefix,
    ...env,
  }
  const config = loadConfig(schema, settings)
  const app = await createService({ name, version: 'test', config })
  await app.register((scope) => plugin(scope, { config, env: settings }))
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
