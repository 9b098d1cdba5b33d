import { Classifier, type Prediction } from '@flotilla/ml'
import { type MlServiceConfig, openServedModel, type ServedModel } from '@flotilla/ml-service'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    classifications: Classifications
  }
}

export interface ClassifyOptions {
  topK?: number
  truncate?: boolean
}

/** The served classifier behind the Redis cache, which holds every label's score per text. */
export class Classifications {
  constructor(private readonly served: ServedModel<Classifier>) {}

  get modelName(): string {
    return this.served.name
  }

  get labels(): string[] {
    return this.served.model.labels
  }

  /** Labels per input, best first, `topK` of them (default all). */
  async classify(
    texts: string[],
    { topK, truncate = true }: ClassifyOptions = {},
  ): Promise<Prediction[][]> {
    const labels = this.labels
    const { rows } = await this.served.rows(texts, truncate, async (missing) => {
      // In label order, so any top-k can be served from the cached row.
      const { predictions, ...usage } = await this.served.model.classify(missing, { truncate })
      const rows = predictions.map((scores) => {
        const row = new Float32Array(labels.length)
        for (const { label, score } of scores) row[labels.indexOf(label)] = score
        return row
      })
      return { rows, ...usage }
    })
    return rows.map((row) =>
      Array.from(row, (score, i) => ({ label: labels[i] as string, score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK ?? labels.length),
    )
  }
}

export default fp(
  async (app: FastifyInstance, config: MlServiceConfig) => {
    const served = await openServedModel(app, (runtime) => Classifier.create(runtime), config)
    app.decorate('classifications', new Classifications(served))
  },
  { name: 'classifications', dependencies: ['app-data'] },
)
