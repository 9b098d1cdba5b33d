import { Embedder, type RuntimeOptions } from '@flotilla/ml'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { checkInputs, type InputLimits } from '../../input-limits.js'
import { toAppError } from '../../ml-errors.js'
import { type ModelRows, RowCache } from '../../row-cache.js'

declare module 'fastify' {
  interface FastifyInstance {
    embeddings: Embeddings
  }
}

export interface EmbeddingsOptions {
  runtime: RuntimeOptions
  modelName: string
  aliases: string[]
  cacheTtlSeconds: number
  limits: InputLimits
}

export interface Embedded {
  /** Unit-length vectors, one per input. */
  vectors: Float32Array[]
  tokenCounts: number[]
}

/** The served model behind the Redis cache, with the names clients may call it by. */
export class Embeddings {
  constructor(
    private readonly model: Embedder,
    private readonly cache: RowCache,
    readonly modelName: string,
    readonly aliases: string[],
    private readonly limits: InputLimits,
  ) {}

  get dimensions(): number {
    return this.model.dimensions
  }

  get maxTokens(): number {
    return this.model.maxTokens
  }

  serves(name: string): boolean {
    return name === this.modelName || this.aliases.includes(name)
  }

  /** Checks the inputs against the limits, then embeds them; truncates by default. */
  async embed(texts: string[], { truncate = true } = {}): Promise<Embedded> {
    checkInputs(texts, this.limits)
    try {
      const { rows, tokenCounts } = await this.cache.through(
        texts,
        truncate,
        async (missing): Promise<ModelRows> => {
          const { embeddings, ...usage } = await this.model.embed(missing, { truncate })
          return { rows: embeddings, ...usage }
        },
      )
      return { vectors: rows, tokenCounts }
    } catch (error) {
      throw toAppError(error)
    }
  }
}

export default fp(
  async (app: FastifyInstance, options: EmbeddingsOptions) => {
    const model = await Embedder.create(options.runtime)
    let open = true
    app.addHook('onClose', async () => {
      open = false
      await model.close()
    })
    const cache = new RowCache(app.redis, options.modelName, options.cacheTtlSeconds, app.log)
    app.decorate(
      'embeddings',
      new Embeddings(model, cache, options.modelName, options.aliases, options.limits),
    )
    app.readiness.add({
      name: 'model',
      required: true,
      check: async () => {
        if (!open) throw new Error(`model ${options.modelName} is closed`)
      },
    })
  },
  { name: 'embeddings', dependencies: ['redis'] },
)
