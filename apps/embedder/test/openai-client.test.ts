import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import OpenAI, { NotFoundError } from 'openai'
import { type Harness, norm, startEmbedder } from './harness.js'

let harness: Harness
let client: OpenAI
before(async () => {
  harness = await startEmbedder()
  const origin = await harness.app.listen({ host: '127.0.0.1', port: 0 })
  client = new OpenAI({ apiKey: 'not-checked', baseURL: `${origin}/embedder/v1`, maxRetries: 0 })
})
after(() => harness.close())

const texts = ['hello world', 'the quick brown fox', 'semantic search for small apps']

test('the official client with its defaults (base64 on the wire) gets the /embed floats', async () => {
  const response = await client.embeddings.create({ model: 'tiny-encoder', input: texts })
  const tei = (
    await harness.app.inject({ method: 'POST', url: '/embedder/embed', payload: { inputs: texts } })
  ).json() as number[][]
  assert.equal(response.data.length, texts.length)
  response.data.forEach(({ embedding, index }) => {
    assert.ok(Array.isArray(embedding))
    assert.ok(Math.abs(norm(embedding) - 1) < 1e-5)
    assert.deepEqual(embedding, tei[index])
  })
  assert.equal(response.model, 'tiny-encoder')
  assert.ok(response.usage.prompt_tokens > 0)
})

test('an unknown model surfaces as the client NotFoundError with our code', async () => {
  await assert.rejects(
    client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    (error: unknown) =>
      error instanceof NotFoundError &&
      error.status === 404 &&
      error.code === 'MODEL_NOT_FOUND' &&
      error.param === 'model' &&
      error.type === 'invalid_request_error',
  )
})
