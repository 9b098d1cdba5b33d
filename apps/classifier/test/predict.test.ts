import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ensureModel } from '@flotilla/ml'
import { Redis } from 'ioredis'
import { type Harness, MODELS_ROOT, startClassifier } from './harness.js'

let harness: Harness
before(async () => {
  harness = await startClassifier({ MAX_INPUTS: '4', MAX_INPUT_CHARS: '2000', MAX_QUEUE: '4' })
})
after(() => harness.close())

interface Prediction {
  label: string
  score: number
}

function predict(payload: object) {
  return harness.app.inject({ method: 'POST', url: '/classifier/predict', payload })
}

function assertDistribution(predictions: Prediction[]): void {
  assert.deepEqual(predictions.map((p) => p.label).sort(), ['NEGATIVE', 'POSITIVE'])
  const total = predictions.reduce((sum, p) => sum + p.score, 0)
  assert.ok(Math.abs(total - 1) < 1e-5, `scores sum to ${total}`)
  assert.ok((predictions[0] as Prediction).score >= (predictions[1] as Prediction).score)
}

describe('POST /classifier/predict', () => {
  test('a string gives its labels best first, scores summing to 1', async () => {
    const response = await predict({ inputs: 'what a wonderful film' })
    assert.equal(response.statusCode, 200, response.body)
    assertDistribution(response.json())
  })

  test('a list gives one list per input, each the same as alone', async () => {
    const texts = ['what a wonderful film', 'terrible awful movie', 'ok']
    const response = await predict({ inputs: texts })
    assert.equal(response.statusCode, 200, response.body)
    const batch = response.json() as Prediction[][]
    assert.equal(batch.length, 3)
    for (const [i, text] of texts.entries()) {
      assertDistribution(batch[i] as Prediction[])
      const alone = (await predict({ inputs: text })).json() as Prediction[]
      assert.equal(alone[0]?.label, batch[i]?.[0]?.label)
      assert.ok(Math.abs((alone[0]?.score ?? 0) - (batch[i]?.[0]?.score ?? 0)) < 1e-5)
    }
  })

  test('top_k keeps the best labels only', async () => {
    const all = (await predict({ inputs: 'fine day' })).json() as Prediction[]
    const top = (await predict({ inputs: 'fine day', top_k: 1 })).json() as Prediction[]
    assert.deepEqual(top, all.slice(0, 1))
  })

  const refusals = [
    { name: 'no inputs', payload: { inputs: [] }, status: 400, code: 'EMPTY_INPUT' },
    { name: 'top_k 0', payload: { inputs: 'x', top_k: 0 }, status: 400, code: 'VALIDATION_ERROR' },
    {
      name: 'too many inputs',
      payload: { inputs: ['a', 'b', 'c', 'd', 'e'] },
      status: 400,
      code: 'TOO_MANY_INPUTS',
    },
    {
      name: 'over the character limit',
      payload: { inputs: 'x'.repeat(2001) },
      status: 413,
      code: 'INPUT_TOO_LONG',
    },
    {
      name: 'over the token limit with truncate off',
      payload: { inputs: 'word '.repeat(300), truncate: false },
      status: 413,
      code: 'INPUT_TOO_LONG',
    },
    {
      name: 'an unknown field',
      payload: { inputs: 'x', k: 1 },
      status: 400,
      code: 'VALIDATION_ERROR',
    },
  ]
  for (const { name, payload, status, code } of refusals) {
    test(`${name} → ${status} ${code}`, async () => {
      const response = await predict(payload)
      assert.equal(response.statusCode, status, response.body)
      assert.equal(response.json().error.code, code)
    })
  }

  test('a long input is truncated by default', async () => {
    const response = await predict({ inputs: 'word '.repeat(300) })
    assert.equal(response.statusCode, 200, response.body)
    assertDistribution(response.json())
  })

  test('queue full → 503 with Retry-After', async () => {
    const crowd = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        predict({ inputs: ['a', 'b', 'c', 'd'].map((t) => `${t} crowd ${i}`) }),
      ),
    )
    const shed = crowd.filter((r) => r.statusCode === 503)
    assert.ok(shed.length > 0, crowd.map((r) => r.statusCode).join(','))
    for (const r of shed) {
      assert.equal(r.json().error.code, 'QUEUE_FULL')
      assert.ok(Number(r.headers['retry-after']) >= 1)
    }
  })
})

describe('Redis cache', () => {
  test('holds every label score under model + sha256; top_k is served from it', async () => {
    const redis = new Redis(harness.redisUrl, { keyPrefix: harness.keyPrefix })
    try {
      const text = `cache me ${Date.now()}`
      const first = (await predict({ inputs: text })).json()
      const key = `v1:tiny-classifier:${createHash('sha256').update(text).digest('hex')}`
      const deadline = Date.now() + 2000
      while ((await redis.exists(key)) === 0) {
        assert.ok(Date.now() < deadline, 'cache entry not written')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.deepEqual((await predict({ inputs: text })).json(), first)
      assert.deepEqual((await predict({ inputs: text, top_k: 1 })).json(), first.slice(0, 1))
    } finally {
      redis.disconnect()
    }
  })

  test('with Redis away, predictions still work and /readyz says degraded', async () => {
    await harness.redis.cut()
    try {
      const response = await predict({ inputs: `no cache ${Date.now()}` })
      assert.equal(response.statusCode, 200, response.body)
      const ready = await harness.app.inject('/readyz')
      assert.equal(ready.statusCode, 200)
      assert.match(ready.body, /degraded/)
    } finally {
      await harness.redis.restore()
    }
  })
})

test('a failing inference answers 500 at once, and the next request is served', async () => {
  // A tokenizer that yields an id the model has no embedding for: Gather fails in the worker.
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-mismatched-'))
  await cp(await ensureModel('tiny-classifier', MODELS_ROOT), dir, { recursive: true })
  const tokenizerPath = join(dir, 'tokenizer.json')
  const tokenizer = JSON.parse(await readFile(tokenizerPath, 'utf8'))
  tokenizer.model.vocab.poison = 999_999
  await writeFile(tokenizerPath, JSON.stringify(tokenizer))
  const broken = await startClassifier({ MODEL_DIR: dir, MODEL_NAME: 'mismatched' })
  try {
    const failed = await broken.app.inject({
      method: 'POST',
      url: '/classifier/predict',
      payload: { inputs: 'poison' },
    })
    assert.equal(failed.statusCode, 500, failed.body)
    assert.equal(failed.json().error.code, 'INFERENCE_FAILED')
    const next = await broken.app.inject({
      method: 'POST',
      url: '/classifier/predict',
      payload: { inputs: 'fine words' },
    })
    assert.equal(next.statusCode, 200, next.body)
  } finally {
    await broken.close()
  }
})
