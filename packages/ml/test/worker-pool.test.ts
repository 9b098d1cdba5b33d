import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Embedder } from '../src/embedder.js'
import { InferenceError, ModelLoadError } from '../src/errors.js'
import { WorkerPool } from '../src/worker-pool.js'
import { modelDir } from './fixtures.js'

describe('worker pool failures', () => {
  it('a corrupt model file fails start with ModelLoadError naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-bad-model-'))
    const modelPath = join(dir, 'model.onnx')
    await writeFile(modelPath, 'this is not an onnx model')
    await assert.rejects(
      WorkerPool.start({
        modelPath,
        size: 1,
        intraOpThreads: 1,
        postprocess: 'softmax',
        runTimeoutMs: 1000,
      }),
      (error: unknown) => error instanceof ModelLoadError && error.message.includes(modelPath),
    )
  })

  it('a session error fails that batch only; the worker keeps serving', async () => {
    const pool = await WorkerPool.start({
      modelPath: join(await modelDir('tiny-classifier'), 'model.onnx'),
      size: 1,
      intraOpThreads: 1,
      postprocess: 'softmax',
      runTimeoutMs: 5000,
    })
    try {
      const tensors = (ids: bigint[]) => ({
        batch: 1,
        seq: ids.length,
        inputIds: BigInt64Array.from(ids),
        attentionMask: BigInt64Array.from(ids, () => 1n),
        tokenTypeIds: new BigInt64Array(ids.length),
      })
      // Token id far outside the vocabulary: Gather fails inside onnxruntime.
      await assert.rejects(pool.run(tensors([2n, 999_999n, 3n])), InferenceError)
      const ok = await pool.run(tensors([2n, 5n, 3n]))
      assert.equal(ok.width, 2)
    } finally {
      await pool.close()
    }
  })

  it('a run past its timeout fails clearly, the worker is replaced, the next call works', async () => {
    const embedder = await Embedder.create({
      modelDir: await modelDir('minilm-encoder'),
      intraOpThreads: 1,
      runTimeoutMs: 150,
      // One batch of 32 inputs at the model's 256 tokens: seconds of work on any CPU.
      maxBatchTokens: 8192,
    })
    try {
      const heavy = Array.from({ length: 64 }, (_, i) => `${i} ${'many words here '.repeat(80)}`)
      await assert.rejects(embedder.embed(heavy), (error: unknown) => {
        return error instanceof InferenceError && /timed out after 150 ms/.test(error.message)
      })
      const { embeddings } = await embedder.embed(['a short text after the crash'])
      assert.equal(embeddings[0]?.length, 384)
    } finally {
      await embedder.close()
    }
  })
})
