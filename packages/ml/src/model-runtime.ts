import { Batcher, type BatchingOptions } from './batcher.js'
import { cpuQuota } from './cpu-quota.js'
import { InputTooLongError } from './errors.js'
import { type ModelFiles, type Precision, readModelFiles } from './model-files.js'
import { type EncodedText, TextTokenizer } from './tokenizer.js'
import { WorkerPool } from './worker-pool.js'
import type { Postprocess } from './worker-protocol.js'

export interface RuntimeOptions extends BatchingOptions {
  /** A Hugging Face model directory: model.onnx, tokenizer.json, config.json. */
  modelDir: string
  /** fp32 runs model.onnx (default); int8 its dynamic int8 quantization, model.int8.onnx. */
  precision?: Precision
  /** Worker threads, each with its own session (and its own copy of the weights). Default 1. */
  poolSize?: number
  /** onnxruntime intra-op threads per worker. Default: the CPU quota split over the pool. */
  intraOpThreads?: number
  /** Cap on input tokens, at most the model's own limit. */
  maxTokens?: number
  /** A batch running longer fails and its worker is replaced. Default 30 s. */
  runTimeoutMs?: number
}

export interface RunOptions {
  /** Cut inputs longer than the model takes (default), or fail with InputTooLongError. */
  truncate?: boolean
}

/** What every model call reports next to its outputs. */
export interface TokenUsage {
  /** Tokens per input, after truncation, special tokens included. */
  tokenCounts: number[]
  truncated: boolean[]
}

/** Tokenizer, worker pool and batcher for one model directory. */
export class ModelRuntime {
  private constructor(
    readonly files: ModelFiles,
    private readonly tokenizer: TextTokenizer,
    private readonly pool: WorkerPool,
    private readonly batcher: Batcher,
  ) {}

  static async open(options: RuntimeOptions, postprocess: Postprocess): Promise<ModelRuntime> {
    const files = await readModelFiles(options.modelDir, options.precision)
    const maxTokens = Math.min(options.maxTokens ?? files.maxTokens, files.maxTokens)
    const tokenizer = TextTokenizer.fromFile(files.tokenizerPath, maxTokens)
    const poolSize = options.poolSize ?? 1
    const intraOpThreads = options.intraOpThreads ?? Math.max(1, Math.floor(cpuQuota() / poolSize))
    let batcher: Batcher | undefined
    const pool = await WorkerPool.start({
      modelPath: files.modelPath,
      size: poolSize,
      intraOpThreads,
      postprocess,
      runTimeoutMs: options.runTimeoutMs ?? 30_000,
      onAvailable: () => batcher?.schedule(),
    })
    batcher = new Batcher(pool, files.padTokenId, poolSize, options)
    return new ModelRuntime(files, tokenizer, pool, batcher)
  }

  get maxTokens(): number {
    return this.tokenizer.maxTokens
  }

  /** Tokenizes, batches and runs the inputs; one postprocessed output row per input. */
  async run(
    texts: string[],
    options: RunOptions = {},
  ): Promise<{ rows: Float32Array[] } & TokenUsage> {
    // Shed load before paying for tokenization.
    this.batcher.assertRoom(texts.length)
    const encoded = await Promise.all(texts.map((text) => this.tokenizer.encode(text)))
    if (options.truncate === false) {
      const index = encoded.findIndex((e) => e.truncated)
      if (index >= 0) throw new InputTooLongError(index, this.maxTokens)
    }
    const rows = await this.batcher.submit(encoded)
    return {
      rows,
      tokenCounts: encoded.map((e: EncodedText) => e.ids.length),
      truncated: encoded.map((e) => e.truncated),
    }
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}
