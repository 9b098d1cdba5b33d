import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Batcher, type BatchRunner } from '../src/batcher.js'
import { QueueFullError } from '../src/errors.js'
import type { EncodedText } from '../src/tokenizer.js'
import type { BatchResult, BatchTensors } from '../src/worker-protocol.js'

/** Runs batches one at a time after `delayMs`, echoing each row's first token id. */
class RecordingRunner implements BatchRunner {
  readonly batches: BatchTensors[] = []
  private busy = false
  onIdle: () => void = () => {}
  constructor(private readonly delayMs = 5) {}
  get hasCapacity() {
    return !this.busy
  }
  async run(tensors: BatchTensors): Promise<BatchResult> {
    this.busy = true
    this.batches.push(tensors)
    await new Promise((resolve) => setTimeout(resolve, this.delayMs))
    this.busy = false
    const data = new Float32Array(tensors.batch)
    for (let row = 0; row < tensors.batch; row++)
      data[row] = Number(tensors.inputIds[row * tensors.seq])
    return { width: 1, data }
  }
}

/** An input of `length` tokens whose first id is `tag`. */
function input(tag: number, length: number): EncodedText {
  const ids = [tag, ...new Array<number>(length - 1).fill(7)]
  return { ids, attentionMask: ids.map(() => 1), typeIds: ids.map(() => 0), truncated: false }
}

describe('Batcher', () => {
  it('pads each batch to its longest input and routes every row back to its caller', async () => {
    const runner = new RecordingRunner()
    const batcher = new Batcher(runner, 0, 1, { maxBatchSize: 8 })
    const rows = await batcher.submit([input(11, 3), input(12, 9), input(13, 5)])
    assert.deepEqual(
      rows.map((r) => r[0]),
      [11, 12, 13],
    )
    const [batch] = runner.batches
    assert.equal(batch?.seq, 9)
    assert.equal(batch?.batch, 3)
    // Padding: shorter rows end in pad id 0 with mask 0.
    assert.equal(batch?.inputIds[8], 0n)
    assert.equal(batch?.attentionMask[8], 0n)
  })

  it('runs a lone input at once on a free worker, without waiting for company', async () => {
    const runner = new RecordingRunner()
    const batcher = new Batcher(runner, 0, 1)
    const row = batcher.submit([input(1, 4)])
    // Handed to the runner inside submit(): no timer between an idle worker and the input.
    assert.equal(runner.batches.length, 1)
    assert.equal(batcher.queued, 0)
    assert.equal((await row)[0]?.[0], 1)
  })

  it('collects what arrives while the worker is busy into the next batch', async () => {
    const runner = new RecordingRunner(20)
    const batcher = new Batcher(runner, 0, 1)
    const first = batcher.submit([input(1, 4)])
    const later = [2, 3, 4].map((tag) => batcher.submit([input(tag, 4)]))
    assert.equal(runner.batches.length, 1)
    assert.equal(batcher.queued, 3)
    const rows = await Promise.all([first, ...later])
    assert.deepEqual(
      rows.map(([row]) => row?.[0]),
      [1, 2, 3, 4],
    )
    assert.deepEqual(
      runner.batches.map((b) => b.batch),
      [1, 3],
    )
  })

  it('groups inputs of similar length under the token budget', async () => {
    const runner = new RecordingRunner(20)
    const batcher = new Batcher(runner, 0, 1, { maxBatchSize: 4, maxBatchTokens: 150 })
    const first = batcher.submit([input(1, 4)])
    const rest = batcher.submit([
      input(2, 5),
      input(3, 48),
      input(4, 6),
      input(5, 50),
      input(6, 4),
      input(7, 49),
    ])
    await Promise.all([first, rest])
    // The first runs alone; then short ones together, long ones together: never a 4-token
    // input padded to 50.
    assert.deepEqual(
      runner.batches.map((b) => b.seq),
      [4, 6, 50],
    )
    assert.deepEqual(
      runner.batches.map((b) => b.batch),
      [1, 3, 3],
    )
  })

  it('sends one input per batch when batching is off', async () => {
    const runner = new RecordingRunner(1)
    const batcher = new Batcher(runner, 0, 1, { maxBatchSize: 1 })
    await batcher.submit([input(1, 4), input(2, 4), input(3, 4)])
    assert.deepEqual(
      runner.batches.map((b) => b.batch),
      [1, 1, 1],
    )
  })

  it('throws QueueFullError with a Retry-After when the queue is full', async () => {
    const runner = new RecordingRunner(20)
    const batcher = new Batcher(runner, 0, 1, { maxQueue: 3, maxBatchSize: 1 })
    const running = batcher.submit([input(1, 4)])
    const queued = batcher.submit([input(2, 4), input(3, 4), input(4, 4)])
    assert.throws(
      () => batcher.submit([input(5, 4)]),
      (error: unknown) =>
        error instanceof QueueFullError && error.retryAfterSeconds >= 1 && error.statusCode === 503,
    )
    await Promise.all([running, queued])
  })

  it('rejects invalid options by name', () => {
    assert.throws(
      () => new Batcher(new RecordingRunner(), 0, 1, { maxBatchSize: 0 }),
      /maxBatchSize/,
    )
  })
})
