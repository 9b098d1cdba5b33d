import { Classifier, type Prediction, type RuntimeOptions } from '@flotilla/ml'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { checkInputs, type InputLimits } from '../../input-limits.js'
import { toAppError } from '../../ml-errors.js'
import { RowCache } from '../../row-cache.js'

declare module 'fastify' {
  interface FastifyInstance {
    classifications: Classifications
  }
}

export interface ClassificationsOptions {
  runtime: RuntimeOptions
  modelName: string
  cacheTtlSeconds: number
  limits: InputLimits
}

export interface ClassifyOptions {
  topK?: number
  truncate?: boolean
}

/** The served classifier behind the Redis cache, which holds every label's score per text. */
export class Classifications {
  constructor(
    private readonly model: Classifier,
    private readonly cache: RowCache,
    readonly modelName: string,
    private readonly limits: InputLimits,
  ) {}

  get labels(): string[] {
    return this.model.labels
  }

  /** Labels per input, best first, `topK` of them (default all). */
  async classify(
    texts: string[],
    { topK, truncate = true }: ClassifyOptions = {},
  ): Promise<Prediction[][]> {
    checkInputs(texts, this.limits)
    const labels = this.model.labels
    try {
      const { rows } = await this.cache.through(texts, truncate, async (missing) => {
        // In label order, so any top-k can be served from the cached row.
        const { predictions, ...usage } = await this.model.classify(missing, { truncate })
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
    } catch (error) {
      throw toAppError(error)
    }
  }
}

export default fp(
  async (app: FastifyInstance, options: ClassificationsOptions) => {
    const model = await Classifier.create(options.runtime)
    let open = true
    app.addHook('onClose', async () => {
      open = false
      await model.close()
    })
    const cache = new RowCache(app.redis, options.modelName, options.cacheTtlSeconds, app.log)
    app.decorate(
      'classifications',
      new Classifications(model, cache, options.modelName, options.limits),
    )
    app.readiness.add({
      name: 'model',
      required: true,
      check: async () => {
        if (!open) throw new Error(`model ${options.modelName} is closed`)
      },
    })
  },
  { name: 'classifications', dependencies: ['redis'] },
)
