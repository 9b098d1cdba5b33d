import { QueueFullError } from './errors.js'
import type { EncodedText } from './tokenizer.js'
import type { BatchResult, BatchTensors } from './worker-protocol.js'

export interface BatchingOptions {
  /** Most inputs in one batch; 1 turns batching off. Default 32. */
  maxBatchSize?: number
  /** Most padded tokens (inputs × longest input) in one batch. Default 1024. */
  maxBatchTokens?: number
  /** Most inputs waiting; beyond it submit() throws QueueFullError. Default 1024. */
  maxQueue?: number
}

export interface BatchRunner {
  readonly hasCapacity: boolean
  run(tensors: BatchTensors): Promise<BatchResult>
}

interface QueuedInput {
  encoded: EncodedText
  resolve: (row: Float32Array) => void
  reject: (error: Error) => void
}

/**
 * Dynamic batching without waiting: whenever the runner has a free worker, a batch forms at
 * once around the oldest queued input from the inputs closest to it in length, padded only
 * to the longest of them. A lone input on an idle worker runs alone; inputs that arrive while
 * every worker is busy queue up, and the next free worker takes them together, so batches
 * grow with the load instead of with a timer.
 */
export class Batcher {
  readonly maxBatchSize: number
  readonly maxBatchTokens: number
  readonly maxQueue: number
  private queue: QueuedInput[] = []
  /** Smoothed seconds per batch, for the Retry-After estimate. */
  private secondsPerBatch = 0.05

  constructor(
    private readonly runner: BatchRunner,
    private readonly padTokenId: number,
    private readonly parallelism: number,
    options: BatchingOptions = {},
  ) {
    this.maxBatchSize = positiveInteger('maxBatchSize', options.maxBatchSize ?? 32)
    this.maxBatchTokens = positiveInteger('maxBatchTokens', options.maxBatchTokens ?? 1024)
    this.maxQueue = positiveInteger('maxQueue', options.maxQueue ?? 1024)
  }

  get queued(): number {
    return this.queue.length
  }

  /** Throws QueueFullError unless `count` more inputs fit in the queue. */
  assertRoom(count: number): void {
    if (this.queue.length + count > this.maxQueue) {
      const batchesAhead = Math.ceil(this.queue.length / this.maxBatchSize) / this.parallelism
      throw new QueueFullError(Math.max(1, Math.ceil(batchesAhead * this.secondsPerBatch)))
    }
  }

  /** Queues the inputs (all or none) and resolves with one output row per input. */
  submit(inputs: EncodedText[]): Promise<Float32Array[]> {
    this.assertRoom(inputs.length)
    const rows = inputs.map(
      (encoded) =>
        new Promise<Float32Array>((resolve, reject) => {
          this.queue.push({ encoded, resolve, reject })
        }),
    )
    this.schedule()
    return Promise.all(rows)
  }

  /** Hands batches to the runner while it has free workers. */
  schedule(): void {
    while (this.queue.length > 0 && this.runner.hasCapacity) this.runBatch(this.takeBatch())
  }

  private takeBatch(): QueuedInput[] {
    const byLength = [...this.queue].sort((a, b) => a.encoded.ids.length - b.encoded.ids.length)
    const oldest = this.queue[0] as QueuedInput
    let low = byLength.indexOf(oldest)
    let high = low
    const lengthAt = (i: number) => (byLength[i] as QueuedInput).encoded.ids.length
    const target = lengthAt(low)
    const fits = (count: number, longest: number) =>
      count <= this.maxBatchSize && count * longest <= this.maxBatchTokens
    // Grow a window over the length-sorted queue toward the closer neighbour.
    while (high - low + 1 < this.maxBatchSize) {
      const count = high - low + 2
      const canLower = low > 0 && fits(count, lengthAt(high))
      const canHigher = high < byLength.length - 1 && fits(count, lengthAt(high + 1))
      if (canLower && (!canHigher || target - lengthAt(low - 1) <= lengthAt(high + 1) - target)) {
        low--
      } else if (canHigher) {
        high++
      } else {
        break
      }
    }
    const batch = byLength.slice(low, high + 1)
    const taken = new Set(batch)
    this.queue = this.queue.filter((input) => !taken.has(input))
    return batch
  }

  private runBatch(batch: QueuedInput[]): void {
    const started = performance.now()
    this.runner.run(padBatch(batch, this.padTokenId)).then(
      (result) => {
        this.secondsPerBatch =
          0.8 * this.secondsPerBatch + 0.2 * ((performance.now() - started) / 1000)
        batch.forEach((input, i) => {
          input.resolve(result.data.slice(i * result.width, (i + 1) * result.width))
        })
        this.schedule()
      },
      (error: Error) => {
        for (const input of batch) input.reject(error)
        this.schedule()
      },
    )
  }
}

/** Pads every input to the batch's longest one (never to the model's maximum). */
function padBatch(batch: QueuedInput[], padTokenId: number): BatchTensors {
  const seq = Math.max(...batch.map((input) => input.encoded.ids.length))
  const size = batch.length * seq
  const inputIds = new BigInt64Array(size).fill(BigInt(padTokenId))
  const attentionMask = new BigInt64Array(size)
  const tokenTypeIds = new BigInt64Array(size)
  batch.forEach(({ encoded }, row) => {
    const offset = row * seq
    encoded.ids.forEach((id, i) => {
      inputIds[offset + i] = BigInt(id)
      attentionMask[offset + i] = BigInt(encoded.attentionMask[i] ?? 1)
      tokenTypeIds[offset + i] = BigInt(encoded.typeIds[i] ?? 0)
    })
  })
  return { batch: batch.length, seq, inputIds, attentionMask, tokenTypeIds }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`)
  }
  return value
}
