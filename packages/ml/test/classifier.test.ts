import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Classifier } from '../src/classifier.js'
import { assertClose, modelDir, rawOutput } from './fixtures.js'

const texts = ['what a wonderful movie', 'terrible, boring and slow!', 'ok']

describe('Classifier on tiny-classifier', () => {
  let dir: string
  let classifier: Classifier
  before(async () => {
    dir = await modelDir('tiny-classifier')
    classifier = await Classifier.create({ modelDir: dir, intraOpThreads: 1 })
  })
  after(() => classifier.close())

  it('takes its labels from config.json id2label', () => {
    assert.deepEqual(classifier.labels, ['NEGATIVE', 'POSITIVE'])
  })

  it('scores are the softmax of the raw logits, best label first', async () => {
    const { predictions } = await classifier.classify(texts)
    for (const [i, text] of texts.entries()) {
      const raw = await rawOutput(dir, text, classifier.maxTokens)
      assert.deepEqual(raw.dims, [1, 2])
      const [negative, positive] = Array.from(raw.data)
      const exps = [Math.exp(negative as number), Math.exp(positive as number)]
      const total = (exps[0] as number) + (exps[1] as number)
      const expected = {
        NEGATIVE: (exps[0] as number) / total,
        POSITIVE: (exps[1] as number) / total,
      }
      const got = predictions[i] ?? []
      assert.equal(got.length, 2)
      assert.ok((got[0]?.score ?? 0) >= (got[1]?.score ?? 0))
      for (const { label, score } of got) {
        assertClose([score], [expected[label as keyof typeof expected]], 1e-5)
      }
    }
  })

  it('returns only the top k labels when asked', async () => {
    const { predictions } = await classifier.classify(texts, { topK: 1 })
    assert.ok(predictions.every((p) => p.length === 1))
    await assert.rejects(classifier.classify(texts, { topK: 0 }), /topK must be a positive integer/)
  })
})
