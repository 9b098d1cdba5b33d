import '@flotilla/data/fastify'
import type { RuntimeOptions } from '@flotilla/ml'
import type { FastifyInstance } from 'fastify'
import {
  cachedModelName,
  inputLimits,
  type MlServiceConfig,
  modelName,
  runtimeOptions,
} from './config.js'
import { checkInputs, type InputLimits } from './input-limits.js'
import { toAppError } from './ml-errors.js'
import { type ModelRows, RowCache } from './row-cache.js'

/** A model of @flotilla/ml: Embedder or Classifier. */
export interface RuntimeModel {
  close(): Promise<void>
}

/** A model behind the request limits and the Redis row cache. */
export class ServedModel<M extends RuntimeModel> {
  constructor(
    readonly model: M,
    readonly name: string,
    private readonly cache: RowCache,
    private readonly limits: InputLimits,
  ) {}

  /**
   * Checks `texts` against the limits, then answers one row per text, computing only those
   * not cached; runtime errors come out as the service's errors (503, 413, 500).
   */
  async rows(
    texts: string[],
    truncate: boolean,
    compute: (texts: string[]) => Promise<ModelRows>,
  ): Promise<ModelRows> {
    checkInputs(texts, this.limits)
    try {
      return await this.cache.through(texts, truncate, compute)
    } catch (error) {
      throw toAppError(error)
    }
  }
}

/**
 * Opens the configured model for `app` (whose appData must have opened Redis, the cache),
 * closes it with the app, and adds it to /readyz as required.
 */
export async function openServedModel<M extends RuntimeModel>(
  app: FastifyInstance,
  open: (runtime: RuntimeOptions) => Promise<M>,
  config: MlServiceConfig,
): Promise<ServedModel<M>> {
  const name = modelName(config)
  const model = await open(runtimeOptions(config))
  let isOpen = true
  app.addHook('onClose', async () => {
    isOpen = false
    await model.close()
  })
  app.readiness.add({
    name: 'model',
    required: true,
    check: async () => {
      if (!isOpen) throw new Error(`model ${name} is closed`)
    },
  })
  const cache = new RowCache(
    app.data.client('redis'),
    cachedModelName(config),
    config.CACHE_TTL_SECONDS,
    app.log,
  )
  return new ServedModel(model, name, cache, inputLimits(config))
}
