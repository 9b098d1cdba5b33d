// Raw onnxruntime throughput on minilm-encoder (all-MiniLM-L6-v2 architecture): no HTTP,
// no queue, fixed batches. The embedder app's benchmark compares its service against this.
// Usage: npm run bench:raw -w @flotilla/ml [-- modelsRoot]
import { resolve } from 'node:path'
import { cpuQuota } from '../src/cpu-quota.js'
import { ensureModel } from '../src/generate/generate-model.js'
import { createRng } from '../src/generate/rng.js'
import { measureRawThroughput } from '../src/raw-throughput.js'

/** Deterministic sentences of 8 to 40 words, like short documents or queries. */
export function benchmarkSentences(count: number): string[] {
  const rng = createRng(7)
  const words =
    'the a fleet of small services runs on one machine with embeddings search and quick answers for every user request today'.split(
      ' ',
    )
  return Array.from({ length: count }, () => {
    const length = 8 + Math.floor(rng() * 33)
    return Array.from({ length }, () => words[Math.floor(rng() * words.length)]).join(' ')
  })
}

const modelDir = await ensureModel('minilm-encoder', resolve(process.argv[2] ?? 'models'))
const texts = benchmarkSentences(256)
const intraOpThreads = cpuQuota()
console.log(`minilm-encoder, ${texts.length} sentences, intra-op threads ${intraOpThreads}`)
for (const batchSize of [1, 8, 32]) {
  const { sentencesPerSecond } = await measureRawThroughput({
    modelDir,
    texts,
    batchSize,
    intraOpThreads,
    durationMs: 4000,
  })
  console.log(
    `batch ${String(batchSize).padStart(2)}: ${sentencesPerSecond.toFixed(1)} sentences/s`,
  )
}
