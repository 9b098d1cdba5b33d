import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type Harness, startEmbedder } from './harness.js'

// minilm-encoder on one thread runs 32 inputs of 256 tokens for far longer than 150 ms.
let harness: Harness
before(async () => {
  harness = await startEmbedder({ RUN_TIMEOUT_MS: '150', INTRA_OP_THREADS: '1' }, 'minilm-encoder')
})
after(() => harness.close())

test('a run past its timeout answers 500 promptly, and the replaced worker serves next', async () => {
  const heavy = Array.from({ length: 32 }, (_, i) => `${i} ${'many words here '.repeat(100)}`)
  const started = performance.now()
  const failed = await harness.app.inject({
    method: 'POST',
    url: '/embedder/embed',
    payload: { inputs: heavy, truncate: true },
  })
  assert.equal(failed.statusCode, 500, failed.body)
  assert.equal(failed.json().error.code, 'INFERENCE_FAILED')
  assert.match(failed.json().error.message, /timed out after 150 ms/)
  assert.ok(performance.now() - started < 5000)

  const next = await harness.app.inject({
    method: 'POST',
    url: '/embedder/embed',
    payload: { inputs: 'short' },
  })
  assert.equal(next.statusCode, 200, next.body)
  assert.equal(next.json()[0].length, 384)
})
