import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { type Harness, norm, startEmbedder } from './harness.js'

let harness: Harness
before(async () => {
  harness = await startEmbedder({ MAX_INPUTS: '4', MAX_INPUT_CHARS: '2000', MAX_QUEUE: '4' })
})
after(() => harness.close())

const texts = ['hello world', 'the quick brown fox jumps over the lazy dog', 'terrible awful movie']

function post(url: string, payload: unknown) {
  return harness.app.inject({ method: 'POST', url, payload: payload as object })
}

function fromBase64(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64')
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4))
}

describe('POST /embedder/v1/embeddings (OpenAI shape)', () => {
  test('answers unit vectors in order, with usage', async () => {
    const response = await post('/embedder/v1/embeddings', { input: texts, model: 'tiny-encoder' })
    assert.equal(response.statusCode, 200, response.body)
    const body = response.json()
    assert.equal(body.object, 'list')
    assert.equal(body.model, 'tiny-encoder')
    assert.deepEqual(
      body.data.map((item: { object: string; index: number }) => [item.object, item.index]),
      [
        ['embedding', 0],
        ['embedding', 1],
        ['embedding', 2],
      ],
    )
    for (const { embedding } of body.data) {
      assert.equal(embedding.length, 32)
      assert.ok(Math.abs(norm(embedding) - 1) < 1e-5, `norm ${norm(embedding)}`)
    }
    assert.notDeepEqual(body.data[0].embedding, body.data[2].embedding)
    assert.ok(body.usage.prompt_tokens >= texts.length * 3, JSON.stringify(body.usage))
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens)
  })

  test('base64 is the little-endian float32 bytes of the float answer', async () => {
    const float = (
      await post('/embedder/v1/embeddings', { input: texts[1], model: 'tiny-encoder' })
    ).json()
    const base64 = (
      await post('/embedder/v1/embeddings', {
        input: texts[1],
        model: 'test-alias',
        encoding_format: 'base64',
      })
    ).json()
    assert.equal(typeof base64.data[0].embedding, 'string')
    assert.deepEqual(fromBase64(base64.data[0].embedding), float.data[0].embedding)
    assert.equal(base64.model, 'tiny-encoder')
  })

  test('agrees with /embed', async () => {
    const openai = (
      await post('/embedder/v1/embeddings', { input: texts, model: 'tiny-encoder' })
    ).json()
    const tei = (await post('/embedder/embed', { inputs: texts })).json()
    assert.deepEqual(
      openai.data.map((item: { embedding: number[] }) => item.embedding),
      tei,
    )
  })

  const refusals = [
    {
      name: 'an unknown model',
      payload: { input: 'x', model: 'text-embedding-3-small' },
      status: 404,
      code: 'MODEL_NOT_FOUND',
      param: 'model',
    },
    {
      name: 'dimensions',
      payload: { input: 'x', model: 'tiny-encoder', dimensions: 8 },
      status: 400,
      code: 'UNSUPPORTED_OPTION',
      param: 'dimensions',
    },
    {
      name: 'token arrays',
      payload: { input: [1, 2, 3], model: 'tiny-encoder' },
      status: 400,
      code: 'UNSUPPORTED_INPUT',
      param: 'input',
    },
    {
      name: 'an empty string',
      payload: { input: '', model: 'tiny-encoder' },
      status: 400,
      code: 'EMPTY_INPUT',
      param: 'input',
    },
    {
      name: 'too many inputs',
      payload: { input: ['a', 'b', 'c', 'd', 'e'], model: 'tiny-encoder' },
      status: 400,
      code: 'TOO_MANY_INPUTS',
      param: 'input',
    },
    {
      name: 'an input over the character limit',
      payload: { input: ['ok', 'x'.repeat(2001)], model: 'tiny-encoder' },
      status: 413,
      code: 'INPUT_TOO_LONG',
      param: 'input',
    },
    {
      name: 'a bad encoding_format',
      payload: { input: 'x', model: 'tiny-encoder', encoding_format: 'int8' },
      status: 400,
      code: 'VALIDATION_ERROR',
      param: 'encoding_format',
    },
  ]
  for (const { name, payload, status, code, param } of refusals) {
    test(`${name} → ${status} in OpenAI's error shape`, async () => {
      const response = await post('/embedder/v1/embeddings', payload)
      assert.equal(response.statusCode, status, response.body)
      const { error } = response.json()
      assert.equal(error.code, code)
      assert.equal(error.type, 'invalid_request_error')
      assert.equal(error.param, param)
      assert.ok(error.message.length > 10, error.message)
    })
  }

  test('the error on an unknown model names the served one', async () => {
    const response = await post('/embedder/v1/embeddings', { input: 'x', model: 'nope' })
    assert.match(response.json().error.message, /"nope" is not served here; use "tiny-encoder"/)
  })
})

describe('POST /embedder/embed (TEI style)', () => {
  test('a single string gives one vector', async () => {
    const response = await post('/embedder/embed', { inputs: 'hello' })
    assert.equal(response.statusCode, 200, response.body)
    const body = response.json()
    assert.equal(body.length, 1)
    assert.ok(Math.abs(norm(body[0]) - 1) < 1e-5)
  })

  test('too long with truncate off (the default, as in TEI) → 413; truncate on → 200', async () => {
    const long = 'word '.repeat(300)
    const refused = await post('/embedder/embed', { inputs: ['fine', long] })
    assert.equal(refused.statusCode, 413, refused.body)
    assert.equal(refused.json().error.code, 'INPUT_TOO_LONG')
    assert.match(refused.json().error.message, /input 1 is longer than the model's 128 tokens/)
    const truncated = await post('/embedder/embed', { inputs: ['fine', long], truncate: true })
    assert.equal(truncated.statusCode, 200, truncated.body)
  })

  test('normalize=false is refused clearly', async () => {
    const response = await post('/embedder/embed', { inputs: 'x', normalize: false })
    assert.equal(response.statusCode, 400)
    assert.match(response.json().error.message, /normalize=false is not supported/)
  })

  test('queue full → 503 with Retry-After', async () => {
    const response = await post('/embedder/embed', { inputs: ['q1', 'q2', 'q3', 'q4'] })
    assert.equal(response.statusCode, 200, response.body)
    // MAX_QUEUE 4: five inputs can never fit; ask with the limit raised so the check is the queue.
    const crowd = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        post('/embedder/embed', { inputs: ['a', 'b', 'c', 'd'].map((t) => `${t} ${i}`) }),
      ),
    )
    const shed = crowd.filter((r) => r.statusCode === 503)
    assert.ok(shed.length > 0, crowd.map((r) => r.statusCode).join(','))
    for (const r of shed) {
      assert.equal(r.json().error.code, 'QUEUE_FULL')
      assert.ok(Number(r.headers['retry-after']) >= 1, String(r.headers['retry-after']))
    }
    assert.ok(crowd.every((r) => r.statusCode === 200 || r.statusCode === 503))
  })
})

describe('GET /embedder/models', () => {
  test('lists the served model with its size and limits', async () => {
    const response = await harness.app.inject('/embedder/models')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json().data[0], {
      id: 'tiny-encoder',
      object: 'model',
      owned_by: 'flotilla',
      aliases: ['test-alias'],
      dimensions: 32,
      max_tokens: 128,
    })
  })
})

describe('Redis cache', () => {
  test('stores each embedding under model + sha256 and serves it back unchanged', async () => {
    const redis = new Redis(harness.redisUrl, { keyPrefix: harness.keyPrefix })
    try {
      const text = `cache me ${Date.now()}`
      const first = (await post('/embedder/embed', { inputs: text })).json()
      const { createHash } = await import('node:crypto')
      const key = `v1:tiny-encoder:${createHash('sha256').update(text).digest('hex')}`
      await waitFor(async () => (await redis.exists(key)) === 1)
      const cached = (await post('/embedder/embed', { inputs: text })).json()
      assert.deepEqual(cached, first)
    } finally {
      redis.disconnect()
    }
  })

  test('with Redis away, embeddings still work and /readyz says degraded', async () => {
    await harness.redis.cut()
    try {
      const response = await post('/embedder/embed', { inputs: `no cache ${Date.now()}` })
      assert.equal(response.statusCode, 200, response.body)
      const ready = await harness.app.inject('/readyz')
      assert.equal(ready.statusCode, 200, ready.body)
      assert.match(ready.body, /degraded/)
    } finally {
      await harness.redis.restore()
    }
  })
})

test('an oversized body → 413 in the error shape', async () => {
  const response = await post('/embedder/embed', { inputs: ['x'.repeat(2_000_000)] })
  assert.equal(response.statusCode, 413)
  assert.equal(response.json().error.code, 'PAYLOAD_TOO_LARGE')
})

async function waitFor(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
