/**
 * What only the real all-MiniLM-L6-v2 passes, through the embedder app: its vectors equal
 * sentence-transformers' on the same weights, paraphrases score above unrelated sentences,
 * and a small knowledge base's answers rank first. Needs the model converted by
 * `bash scripts/ci/real-models.sh`; CI runs that first, so there a missing model fails.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  cosine,
  cosineRanker,
  MODEL_FILE,
  RANKING_DOCUMENTS,
  RANKING_QUERIES,
  rankingAccuracy,
  readModelLock,
} from '@flotilla/ml'
import { realModelDir } from '@flotilla/ml-service/testing'
import { type Harness, startEmbedder } from './harness.js'

const dir = await realModelDir('embedding')
const missing = 'the real all-MiniLM-L6-v2 is not installed: run bash scripts/ci/real-models.sh'
if (!dir && process.env.CI) throw new Error(missing)

const int8Missing = `no ${MODEL_FILE.int8} beside the real model: run bash scripts/ci/real-models.sh`
const hasInt8 = dir !== undefined && existsSync(join(dir, MODEL_FILE.int8))
if (dir && !hasInt8 && process.env.CI) throw new Error(int8Missing)

/** The embeddings the app answers on its OpenAI route. */
async function embedWith(harness: Harness, texts: string[]): Promise<number[][]> {
  const response = await harness.app.inject({
    method: 'POST',
    url: '/embedder/v1/embeddings',
    payload: { input: texts, model: 'all-MiniLM-L6-v2' },
  })
  assert.equal(response.statusCode, 200, response.body)
  return response.json().data.map((item: { embedding: number[] }) => item.embedding)
}

const fixture = async (name: string) =>
  JSON.parse(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'))

describe('the real all-MiniLM-L6-v2', { skip: dir ? false : missing }, () => {
  let harness: Harness
  before(async () => {
    harness = await startEmbedder({ MODEL_DIR: dir as string, INTRA_OP_THREADS: '2' })
  })
  after(() => harness.close())

  const embed = (texts: string[]) => embedWith(harness, texts)

  test("equals sentence-transformers' embeddings: cosine >= 0.9999 on 100 sentences", async () => {
    const reference = await fixture('minilm-reference.json')
    const lock = await readModelLock()
    const pinned = lock.models['all-MiniLM-L6-v2']?.files ?? {}
    for (const [file, sha256] of Object.entries(reference.model.sha256)) {
      assert.equal(sha256, pinned[file]?.sha256, `the reference was computed on another ${file}`)
    }
    const sentences: string[] = reference.sentences
    assert.equal(sentences.length, 100)
    const ours = await embed(sentences)
    const cosines = reference.embeddings.map((encoded: string, i: number) => {
      const bytes = Buffer.from(encoded, 'base64')
      const expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
      assert.equal(ours[i]?.length, expected.length)
      return cosine(ours[i] as number[], expected)
    })
    const min = Math.min(...cosines)
    const mean = cosines.reduce((a: number, b: number) => a + b, 0) / cosines.length
    console.log(
      `cosine with sentence-transformers: min ${min.toFixed(9)} (1 - ${(1 - min).toExponential(1)}), mean ${mean.toFixed(9)}`,
    )
    cosines.forEach((c: number, i: number) => {
      assert.ok(c >= 0.9999, `sentence ${i} (${JSON.stringify(sentences[i]?.slice(0, 60))}): ${c}`)
    })
  })

  test('scores each paraphrase above every unrelated pairing', async () => {
    const { pairs } = (await fixture('paraphrases.json')) as { pairs: [string, string][] }
    assert.ok(pairs.length >= 50)
    const first = await embed(pairs.map(([a]) => a))
    const second = await embed(pairs.map(([, b]) => b))
    const gaps: number[] = []
    let paraphraseSum = 0
    let unrelatedSum = 0
    let unrelatedMax = Number.NEGATIVE_INFINITY
    pairs.forEach(([a, b], i) => {
      const paraphrase = cosine(first[i] as number[], second[i] as number[])
      const unrelated = second
        .filter((_, j) => j !== i)
        .map((other) => cosine(first[i] as number[], other))
      const closest = Math.max(...unrelated)
      paraphraseSum += paraphrase
      unrelatedSum += unrelated.reduce((x, y) => x + y, 0) / unrelated.length
      unrelatedMax = Math.max(unrelatedMax, closest)
      gaps.push(paraphrase - closest)
      assert.ok(paraphrase > closest, `"${a}" / "${b}": ${paraphrase} <= unrelated ${closest}`)
    })
    const paraphraseMean = paraphraseSum / pairs.length
    const unrelatedMean = unrelatedSum / pairs.length
    console.log(
      `${pairs.length} pairs: paraphrase mean ${paraphraseMean.toFixed(3)}, unrelated mean ${unrelatedMean.toFixed(3)} (max ${unrelatedMax.toFixed(3)}); margin mean ${(paraphraseMean - unrelatedMean).toFixed(3)}, smallest per-sentence margin ${Math.min(...gaps).toFixed(3)}`,
    )
  })

  test('ranks the answering document first for >= 90% of the kb queries', async () => {
    const rank = await cosineRanker(embed)
    const result = await rankingAccuracy(rank)
    console.log(
      `ranking: ${result.queries - result.misses.length}/${result.queries} first among ${RANKING_DOCUMENTS.length} documents (${(result.accuracy * 100).toFixed(1)}%)${result.misses.map((m) => `\n  miss: "${m.query}" → ${m.first} (want ${m.answer})`).join('')}`,
    )
    assert.ok(result.queries >= 20)
    assert.ok(result.accuracy >= 0.9, JSON.stringify(result.misses))
  })
})

describe('the real all-MiniLM-L6-v2 at int8 (MODEL_PRECISION=int8)', {
  skip: hasInt8 ? false : int8Missing,
}, () => {
  let fp32: Harness
  let int8: Harness
  before(async () => {
    const env = { MODEL_DIR: dir as string, INTRA_OP_THREADS: '2' }
    ;[fp32, int8] = await Promise.all([
      startEmbedder(env),
      startEmbedder({ ...env, MODEL_PRECISION: 'int8' }),
    ])
  })
  after(() => Promise.all([fp32.close(), int8.close()]))

  test("agrees with fp32's embeddings and ranks the kb answers as well", async () => {
    const texts = [...RANKING_DOCUMENTS.map((d) => d.text), ...RANKING_QUERIES.map((q) => q.query)]
    const [full, quantized] = await Promise.all([embedWith(fp32, texts), embedWith(int8, texts)])
    const cosines = texts.map((_, i) => cosine(full[i] as number[], quantized[i] as number[]))
    const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length
    // Far from equal (fp32 agrees with sentence-transformers to 0.9999): a quantization bug
    // or the fp32 file served as int8 shows here.
    assert.ok(Math.min(...cosines) < 0.9999, 'the int8 model answers fp32 vectors')
    console.log(
      `int8 vs fp32: cosine mean ${mean.toFixed(4)}, min ${Math.min(...cosines).toFixed(4)}`,
    )
    assert.ok(mean >= 0.99, `mean cosine ${mean}`)
    assert.ok(Math.min(...cosines) >= 0.98, `min cosine ${Math.min(...cosines)}`)
    const accuracy = async (harness: Harness) =>
      (await rankingAccuracy(await cosineRanker((batch) => embedWith(harness, batch)))).accuracy
    const [fullAccuracy, int8Accuracy] = await Promise.all([accuracy(fp32), accuracy(int8)])
    // At most one query more missed (int8 kernels differ by CPU; measured: none here).
    const oneQuery = 1 / RANKING_QUERIES.length
    assert.ok(
      int8Accuracy >= fullAccuracy - oneQuery,
      `int8 ranks ${int8Accuracy}, fp32 ${fullAccuracy}`,
    )
  })
})
