// Idle and peak resident memory of an ML app on its served model, for its compose memory limit
// (flotilla.resources.memory). A script, not a test. Usage (after `npx turbo build`):
//   npm run bench:memory -w @flotilla/embedder              the embedder on the real MiniLM
//   npm run bench:memory -w @flotilla/embedder -- classifier  the classifier on a model of
//     distilbert-sst2's size (generated weights; MODEL_DIR=<dir> for another)
// Peak: one worker under 32 concurrent clients sending inputs long enough to be truncated to
// the model's limit, so every batch is as large as MAX_BATCH_TOKENS lets it be.
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureModel } from '@flotilla/ml'
import { realModelDir } from '@flotilla/ml-service/testing'
import { startRedis } from '@flotilla/testkit'
import { runLoad } from './load.js'
import { startEmbedderProcess } from './server.js'

const app = process.argv[2] ?? 'embedder'
const apps = {
  embedder: {
    main: fileURLToPath(new URL('../dist/main.js', import.meta.url)),
    model: () => realModelDir('embedding'),
    path: '/embedder/v1/embeddings',
    body: (text: string, model: string) => ({ model, input: text, encoding_format: 'base64' }),
  },
  classifier: {
    main: fileURLToPath(new URL('../../classifier/dist/main.js', import.meta.url)),
    model: () => ensureModel('distilbert-classifier', join(tmpdir(), 'flotilla-ml-test-models')),
    path: '/classifier/predict',
    body: (text: string, _model: string) => ({ inputs: text }),
  },
} as const
if (!(app in apps)) throw new Error(`usage: memory.ts [${Object.keys(apps).join('|')}]`)
const target = apps[app as keyof typeof apps]
const modelDir = process.env.MODEL_DIR ?? (await target.model())
if (!modelDir)
  throw new Error('the real model is not installed: run bash scripts/ci/real-models.sh')

const words = 'memory under load of a small model serving many long requests at once'.split(' ')
let n = 0
// Distinct texts (the cache must miss) of ~600 words: beyond any model's token limit.
const longText = () =>
  `${n++} ${Array.from({ length: 600 }, (_, i) => words[(i * 7 + n) % words.length]).join(' ')}`

const redis = await startRedis()
const server = await startEmbedderProcess(
  { MODEL_DIR: modelDir, REDIS_URL: redis.url, POOL_SIZE: '1' },
  target.main,
)
try {
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const idle = await server.memory()
  const load = await runLoad({
    origin: server.origin,
    path: target.path,
    concurrency: 32,
    durationMs: 15_000,
    body: () => target.body(longText(), basename(modelDir)),
  })
  const after = await server.memory()
  if (load.requests === 0) throw new Error(`every request failed (${load.failures})`)
  console.log(`${app} on ${modelDir}`)
  console.log(`idle RSS ${idle.rssMb.toFixed(0)} MB`)
  console.log(
    `peak RSS ${after.peakRssMb.toFixed(0)} MB under 32 clients × truncated inputs (${load.requests} requests, ${load.failures} failed, ${load.perSecond.toFixed(1)}/s)`,
  )
  console.log(`RSS after the load ${after.rssMb.toFixed(0)} MB`)
} finally {
  await server.stop()
  await redis.stop()
}
