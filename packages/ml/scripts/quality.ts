// The quality lost by int8 (MODEL_PRECISION=int8, packages/ml/scripts/quantize.sh) against the
// fp32 model, on the ranking set of src/quality. Usage:
//   npm run quality -w @flotilla/ml [-- [--json] [model dir]]
// Default: models/embedding (the real all-MiniLM-L6-v2 after bash scripts/ci/real-models.sh).
// An embedding model: ranking accuracy of each precision, how many queries rank the same
// document first, and the cosine between the two precisions' embeddings of every text. A
// classifier (config.json with id2label): how many texts get the same top label and the
// largest difference of a label's score. --json prints one JSON object instead.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Classifier } from '../src/classifier.js'
import { Embedder } from '../src/embedder.js'
import type { Precision } from '../src/model-files.js'
import { cosine, cosineRanker, rankingAccuracy } from '../src/quality/ranking.js'
import { RANKING_DOCUMENTS, RANKING_QUERIES } from '../src/quality/ranking-set.js'

const { values, positionals } = parseArgs({
  options: { json: { type: 'boolean', default: false } },
  allowPositionals: true,
})
const dir = positionals[0] ?? fileURLToPath(new URL('../models/embedding', import.meta.url))
const texts = [...RANKING_DOCUMENTS.map((doc) => doc.text), ...RANKING_QUERIES.map((q) => q.query)]
const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))
const precisions: Precision[] = ['fp32', 'int8']
const summary = (values: number[]) => ({
  min: Math.min(...values),
  mean: values.reduce((a, b) => a + b, 0) / values.length,
})

async function embedding() {
  const runs = await Promise.all(
    precisions.map(async (precision) => {
      const embedder = await Embedder.create({ modelDir: dir, precision })
      try {
        const embed = async (batch: string[]) => (await embedder.embed(batch)).embeddings
        const ranker = await cosineRanker(embed)
        const firsts = await Promise.all(
          RANKING_QUERIES.map(async ({ query }) => (await ranker(query))[0]),
        )
        const ranking = await rankingAccuracy(ranker)
        return { precision, accuracy: ranking.accuracy, firsts, vectors: await embed(texts) }
      } finally {
        await embedder.close()
      }
    }),
  )
  const [fp32, int8] = runs as [(typeof runs)[0], (typeof runs)[0]]
  const sameFirst = fp32.firsts.filter((id, i) => id === int8.firsts[i]).length
  const cosines = texts.map((_, i) =>
    cosine(fp32.vectors[i] as Float32Array, int8.vectors[i] as Float32Array),
  )
  return {
    model: dir,
    texts: texts.length,
    queries: RANKING_QUERIES.length,
    rankingAccuracy: { fp32: fp32.accuracy, int8: int8.accuracy },
    sameFirstDocument: sameFirst / RANKING_QUERIES.length,
    cosineInt8VsFp32: summary(cosines),
  }
}

async function classification() {
  const runs = await Promise.all(
    precisions.map(async (precision) => {
      const classifier = await Classifier.create({ modelDir: dir, precision })
      try {
        const { predictions } = await classifier.classify(texts)
        // In label order, so the two precisions' scores line up.
        return predictions.map((labels) =>
          classifier.labels.map((label) => labels.find((p) => p.label === label)?.score ?? 0),
        )
      } finally {
        await classifier.close()
      }
    }),
  )
  const [fp32, int8] = runs as [number[][], number[][]]
  const top = (scores: number[]) => scores.indexOf(Math.max(...scores))
  const sameTop = fp32.filter((scores, i) => top(scores) === top(int8[i] as number[])).length
  const diffs = fp32.flatMap((scores, i) => scores.map((s, j) => Math.abs(s - (int8[i]?.[j] ?? 0))))
  return {
    model: dir,
    texts: texts.length,
    sameTopLabel: sameTop / texts.length,
    maxScoreDifference: Math.max(...diffs),
  }
}

const result = config.id2label ? await classification() : await embedding()
if (values.json) {
  console.log(JSON.stringify(result))
} else if ('rankingAccuracy' in result) {
  const { rankingAccuracy: accuracy, cosineInt8VsFp32: cos } = result
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`
  console.log(`int8 vs fp32 on ${result.model} (${result.texts} texts, ${result.queries} queries)`)
  console.log(`ranking accuracy: fp32 ${percent(accuracy.fp32)}, int8 ${percent(accuracy.int8)}`)
  console.log(`same first document: ${percent(result.sameFirstDocument)} of queries`)
  console.log(`cosine(int8, fp32) per text: mean ${cos.mean.toFixed(4)}, min ${cos.min.toFixed(4)}`)
} else {
  console.log(`int8 vs fp32 on ${result.model} (${result.texts} texts)`)
  console.log(`same top label: ${(100 * result.sameTopLabel).toFixed(1)}% of texts`)
  console.log(`largest score difference: ${result.maxScoreDifference.toFixed(4)}`)
}
