import { Embedder } from '@flotilla/ml'
import { type MlServiceConfig, openServedModel, type ServedModel } from '@flotilla/ml-service'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    embeddings: Embeddings
  }
}

export interface EmbeddingsOptions {
  config: MlServiceConfig
  aliases: string[]
}

export interface Embedded {
  /** Unit-length vectors, one per input. */
  vectors: Float32Array[]
  tokenCounts: number[]
}

/** The served model behind the Redis cache, with the names clients may call it by. */
export class Embeddings {
  constructor(
    private readonly served: ServedModel<Embedder>,
    readonly aliases: string[],
  ) {}

  get modelName(): string {
    return this.served.name
  }

  get dimensions(): number {
    return this.served.model.dimensions
  }

  get maxTokens(): number {
    return this.served.model.maxTokens
  }

  serves(name: string): boolean {
    return name === this.modelName || this.aliases.includes(name)
  }

  /** Checks the inputs against the limits, then embeds them; truncates by default. */
  async embed(texts: string[], { truncate = true } = {}): Promise<Embedded> {
    const { rows, tokenCounts } = await this.served.rows(texts, truncate, async (missing) => {
      const { embeddings, ...usage } = await this.served.model.embed(missing, { truncate })
      return { rows: embeddings, ...usage }
    })
    return { vectors: rows, tokenCounts }
  }
}

export default fp(
  async (app: FastifyInstance, { config, aliases }: EmbeddingsOptions) => {
    const served = await openServedModel(app, (runtime) => Embedder.create(runtime), config)
    app.decorate('embeddings', new Embeddings(served, aliases))
  },
  { name: 'embeddings', dependencies: ['app-data'] },
)
