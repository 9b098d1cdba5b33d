import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Embedder } from '../src/embedder.js'
import { InputTooLongError } from '../src/errors.js'
import { assertClose, modelDir, rawOutput } from './fixtures.js'

const texts = [
  'hello',
  'The quick brown fox jumps over the lazy dog.',
  'a somewhat longer sentence, with punctuation; and UNKNOWN zebrafication words!',
  'short one',
]

/** Independent of src/pooling.ts: mean over masked tokens, then divide by the L2 norm. */
function referenceEmbedding(hidden: Float32Array, mask: number[], width: number): number[] {
  const sum = new Array<number>(width).fill(0)
  const count = mask.filter((m) => m === 1).length
  mask.forEach((m, token) => {
    if (m === 1)
      for (let d = 0; d < width; d++)
        sum[d] = (sum[d] as number) + (hidden[token * width + d] as number)
  })
  const mean = sum.map((v) => v / count)
  const norm = Math.hypot(...mean)
  return mean.map((v) => v / norm)
}

describe('Embedder on tiny-encoder', () => {
  let dir: string
  let embedder: Embedder
  before(async () => {
    dir = await modelDir('tiny-encoder')
    embedder = await Embedder.create({ modelDir: dir, intraOpThreads: 1 })
  })
  after(() => embedder.close())

  it('equals mean pooling + L2 of the raw last_hidden_state, batched with padding', async () => {
    const result = await embedder.embed(texts)
    assert.equal(result.embeddings.length, texts.length)
    assert.equal(embedder.dimensions, 32)
    for (const [i, text] of texts.entries()) {
      const raw = await rawOutput(dir, text, embedder.maxTokens)
      assert.deepEqual(raw.dims, [1, raw.mask.length, 32])
      const expected = referenceEmbedding(raw.data, raw.mask, 32)
      assertClose(result.embeddings[i] as Float32Array, expected, 1e-5)
      assert.equal(result.tokenCounts[i], raw.mask.length)
    }
  })

  it('gives unit vectors, and different texts different vectors', async () => {
    const { embeddings } = await embedder.embed(['hello world', 'terrible awful movie'])
    const [a, b] = embeddings as [Float32Array, Float32Array]
    assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-5)
    const cosine = a.reduce((sum, v, d) => sum + v * (b[d] as number), 0)
    assert.ok(cosine < 0.999, `cosine ${cosine}`)
  })

  it('gives a sentence the same vector alone and next to a much longer one', async () => {
    const alone = await embedder.embed(['short one'])
    const padded = await embedder.embed([
      'short one',
      texts[2] as string,
      `${texts[2]} ${texts[1]}`,
    ])
    assertClose(padded.embeddings[0] as Float32Array, alone.embeddings[0] as Float32Array, 1e-5)
  })

  it('truncates long inputs by default and says so', async () => {
    const long = 'word '.repeat(500)
    const result = await embedder.embed([long, 'hello'])
    assert.deepEqual(result.truncated, [true, false])
    assert.equal(result.tokenCounts[0], embedder.maxTokens)
  })

  it('refuses long inputs with InputTooLongError (413) when truncation is off', async () => {
    await assert.rejects(
      embedder.embed(['fine', 'word '.repeat(500)], { truncate: false }),
      (error: unknown) =>
        error instanceof InputTooLongError && error.index === 1 && error.statusCode === 413,
    )
  })

  it('answers many concurrent callers, each with its own vectors', async () => {
    const calls = Array.from({ length: 40 }, (_, i) => embedder.embed([`${texts[i % 4]}`]))
    const results = await Promise.all(calls)
    const reference = await embedder.embed(texts)
    results.forEach((result, i) => {
      assertClose(
        result.embeddings[0] as Float32Array,
        reference.embeddings[i % 4] as Float32Array,
        1e-5,
      )
    })
  })
})
