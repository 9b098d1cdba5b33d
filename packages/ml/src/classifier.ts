import {
  ModelRuntime,
  type RunOptions,
  type RuntimeOptions,
  type TokenUsage,
} from './model-runtime.js'

export interface Prediction {
  label: string
  score: number
}

export interface ClassifyOptions extends RunOptions {
  /** How many labels per input, best first. Default: all of them. */
  topK?: number
}

export interface ClassifyResult extends TokenUsage {
  predictions: Prediction[][]
}

/** A sequence-classification export (input_ids, attention_mask → logits) with id2label. */
export class Classifier {
  private constructor(private readonly runtime: ModelRuntime) {}

  static async create(options: RuntimeOptions): Promise<Classifier> {
    const runtime = await ModelRuntime.open(options, 'softmax')
    if (runtime.files.labels.length === 0) {
      await runtime.close()
      throw new Error(`${options.modelDir}/config.json has no id2label: not a classifier`)
    }
    return new Classifier(runtime)
  }

  get labels(): string[] {
    return this.runtime.files.labels
  }

  get maxTokens(): number {
    return this.runtime.maxTokens
  }

  async classify(texts: string[], options: ClassifyOptions = {}): Promise<ClassifyResult> {
    const topK = options.topK ?? this.labels.length
    if (!Number.isInteger(topK) || topK < 1) {
      throw new RangeError(`topK must be a positive integer, got ${topK}`)
    }
    const { rows, ...usage } = await this.runtime.run(texts, options)
    const predictions = rows.map((probabilities) => {
      if (probabilities.length !== this.labels.length) {
        throw new Error(
          `model gives ${probabilities.length} scores for ${this.labels.length} labels`,
        )
      }
      return Array.from(probabilities, (score, i) => ({ label: this.labels[i] as string, score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK)
    })
    return { predictions, ...usage }
  }

  close(): Promise<void> {
    return this.runtime.close()
  }
}
