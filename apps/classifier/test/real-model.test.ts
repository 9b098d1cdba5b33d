/**
 * What only the real distilbert-sst2, served with the tokenizer and config its lock entry
 * gives (all-MiniLM-L6-v2's pinned tokenizer, labels from the lock), passes: the scores
 * Hugging Face's pipeline publishes for this checkpoint. Its model.onnx comes only from the
 * hub (`npm run fetch-models -w @flotilla/ml -- real classification`, or dir: with the pinned
 * file), so CI, which has no hub, skips it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { realModelDir } from '@flotilla/ml-service/testing'
import { type Harness, startClassifier } from './harness.js'

const dir = await realModelDir('classification')
const skip = dir
  ? false
  : 'the real distilbert-sst2 is not installed in packages/ml/models (it needs the hub: npm run fetch-models -w @flotilla/ml -- real classification)'

describe('the real distilbert-sst2', { skip }, () => {
  let harness: Harness
  before(async () => {
    harness = await startClassifier({ MODEL_DIR: dir as string, INTRA_OP_THREADS: '2' })
  })
  after(() => harness.close())

  test("gives the pipeline's published scores (Hugging Face course, 'Behind the pipeline')", async () => {
    const published = [
      {
        text: "I've been waiting for a HuggingFace course my whole life.",
        label: 'POSITIVE',
        score: 0.9598,
      },
      { text: 'I hate this so much!', label: 'NEGATIVE', score: 0.9995 },
    ]
    for (const { text, label, score } of published) {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/classifier/predict',
        payload: { inputs: text },
      })
      assert.equal(response.statusCode, 200, response.body)
      const [best] = response.json()
      assert.equal(best.label, label, text)
      assert.ok(Math.abs(best.score - score) < 1e-3, `${text}: ${best.score}, published ${score}`)
    }
  })
})
