import {
  ModelRuntime,
  type RunOptions,
  type RuntimeOptions,
  type TokenUsage,
} from './model-runtime.js'

export interface EmbedResult extends TokenUsage {
  /** One unit-length vector per input: mean of the token states under the mask, L2-normalised. */
  embeddings: Float32Array[]
}

/** A sentence-transformers export (input_ids, attention_mask, token_type_ids → last_hidden_state). */
export class Embedder {
  private constructor(private readonly runtime: ModelRuntime) {}

  static async create(options: RuntimeOptions): Promise<Embedder> {
    return new Embedder(await ModelRuntime.open(options, 'mean-pool-normalize'))
  }

  get dimensions(): number {
    return this.runtime.files.hiddenSize
  }

  get maxTokens(): number {
    return this.runtime.maxTokens
  }

  async embed(texts: string[], options: RunOptions = {}): Promise<EmbedResult> {
    const { rows, ...usage } = await this.runtime.run(texts, options)
    return { embeddings: rows, ...usage }
  }

  close(): Promise<void> {
    return this.runtime.close()
  }
}
