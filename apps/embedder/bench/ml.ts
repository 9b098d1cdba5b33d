// The ML tier's benchmark: raw onnxruntime vs the embedder over HTTP on the real
// all-MiniLM-L6-v2 (converted by scripts/ci/real-models.sh). A script, not a test.
// Usage: npm run bench:ml (root), which builds the embedder first.
import { loadavg } from 'node:os'
import { basename } from 'node:path'
import { cpuQuota, measureRawThroughput } from '@flotilla/ml'
import { realModelDir } from '@flotilla/ml-service/testing'
import { startRedis } from '@flotilla/testkit'
import { runLoad } from './load.js'
import { startEmbedderProcess } from './server.js'

const CONCURRENCY = [1, 8, 32] as const
const RAW_MS = 4000
const WARMUP_MS = 1000
const LOAD_MS = 5000
// prom-client samples the event loop every 10 ms and its delay figures include that interval.
const LAG_RESOLUTION_MS = 10

/** Deterministic sentences of 8 to 40 words; practically never the same twice, so the
 * service's Redis cache misses like it would on fresh text. */
function sentences(seed: number) {
  // mulberry32: small, fast and with a period far beyond what a run draws.
  let state = seed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const words =
    'the a fleet of small services runs on one machine with embeddings search and quick answers for every user request today'.split(
      ' ',
    )
  return () =>
    Array.from(
      { length: 8 + Math.floor(random() * 33) },
      () => words[Math.floor(random() * words.length)],
    ).join(' ')
}

const fmt = (value: number, digits = 1) => value.toFixed(digits).padStart(8)

const modelDir = await realModelDir('embedding')
if (!modelDir)
  throw new Error('the real model is not installed: run bash scripts/ci/real-models.sh')
const model = basename(modelDir)
const threads = cpuQuota()
// The machine may be shared: the load average says how much the figures can be trusted.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
console.log(`${model}, CPU quota ${threads}, pool 1 worker; load average ${load()}`)

const rawTextsOf = sentences(7)
const rawTexts = Array.from({ length: 256 }, rawTextsOf)
const raw = new Map<number, number>()
for (const batchSize of CONCURRENCY) {
  const { sentencesPerSecond } = await measureRawThroughput({
    modelDir,
    texts: rawTexts,
    batchSize,
    intraOpThreads: threads,
    durationMs: RAW_MS,
  })
  raw.set(batchSize, sentencesPerSecond)
}

const redis = await startRedis()
const env = { MODEL_DIR: modelDir, REDIS_URL: redis.url, POOL_SIZE: '1' }
const textOf = sentences(11)
const body = () => ({ model, input: textOf(), encoding_format: 'base64' })
const path = '/embedder/v1/embeddings'

async function measure(origin: string, concurrency: number) {
  await runLoad({ origin, path, concurrency, durationMs: WARMUP_MS, body })
  return runLoad({ origin, path, concurrency, durationMs: LOAD_MS, body })
}

const batched = await startEmbedderProcess(env)
console.log('\nthroughput, one sentence per request (sentences/s)')
console.log('concurrency      raw  service    ratio   p50 ms   p99 ms')
let lagP99Ms = Number.NaN
let peakRssMb = Number.NaN
let batchedAt32 = Number.NaN
try {
  for (const concurrency of CONCURRENCY) {
    if (concurrency === 32) await batched.metric('nodejs_eventloop_lag_p99_seconds')
    const result = await measure(batched.origin, concurrency)
    if (concurrency === 32) {
      lagP99Ms = (await batched.metric('nodejs_eventloop_lag_p99_seconds')) * 1000
      batchedAt32 = result.perSecond
    }
    const rawRate = raw.get(concurrency) as number
    console.log(
      `${String(concurrency).padStart(11)} ${fmt(rawRate)} ${fmt(result.perSecond)} ${fmt(result.perSecond / rawRate, 2)} ${fmt(result.p50Ms)} ${fmt(result.p99Ms)}${result.failures ? `  (${result.failures} failed)` : ''}`,
    )
  }
  peakRssMb = (await batched.memory()).peakRssMb
} finally {
  await batched.stop()
}

const unbatched = await startEmbedderProcess({ ...env, MAX_BATCH_SIZE: '1' })
let unbatchedAt32 = Number.NaN
try {
  unbatchedAt32 = (await measure(unbatched.origin, 32)).perSecond
} finally {
  await unbatched.stop()
  await redis.stop()
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')
const serviceRatio = batchedAt32 / (raw.get(32) as number)
const batchingRatio = batchedAt32 / unbatchedAt32
console.log(
  `\ndynamic batching at concurrency 32: on ${fmt(batchedAt32)}/s, off ${fmt(unbatchedAt32)}/s`,
)
console.log(`\nsummary (load average now ${load()})          value    target`)
console.log(
  `service/raw at 32                      ${fmt(serviceRatio, 2)}    >= 0.85  ${verdict(serviceRatio >= 0.85)}`,
)
console.log(
  `batching on/off at 32                  ${fmt(batchingRatio, 2)}    >= 2     ${verdict(batchingRatio >= 2)}`,
)
console.log(
  `event-loop lag p99 under load (ms)     ${fmt(lagP99Ms)}    < 20     ${verdict(lagP99Ms < 20)}  (prom-client figure; includes its ${LAG_RESOLUTION_MS} ms sampling interval: ${fmt(lagP99Ms - LAG_RESOLUTION_MS).trim()} ms beyond it)`,
)
console.log(
  `embedder peak RSS, 1 worker (MB)       ${fmt(peakRssMb)}    < 350    ${verdict(peakRssMb < 350)}`,
)
