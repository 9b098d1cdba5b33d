// The ML tier's benchmark (issue 14): flotilla's app beside a plain transformers.js server
// (transformers-server.mjs) on the same model files, in interleaved rounds of one run, with
// the load average before and after every measurement. Prints per side throughput, p50 and
// p99, and the ratios against the targets: at concurrency 1 throughput >= 1.0x and p50 no
// worse; at 32 throughput >= 1.5x and p99 <= 1/5; health probes p99 < 50 ms beside the
// concurrency-32 load; peak RSS of each side's process tree with one worker. A script, not a
// test: a missed target prints NOT met; only failed requests (non-2xx, errors) exit non-zero.
//
// Usage: npm run bench:ml (root: builds, then the embedder's and the classifier's run), or
//   npm run bench -w @flotilla/embedder | -w @flotilla/classifier
// BENCH_ROUNDS (3), BENCH_SECONDS (3 per side per round, after 1 s of warm-up).
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuQuota } from '@flotilla/ml'
import { startRedis } from '@flotilla/testkit'
import { ML_APPS, type MlAppName } from './apps.js'
import { type LoadResult, percentile, runLoad, startProbes } from './load.js'
import { type ServerProcess, startServerProcess } from './server.js'
import { longTexts, sentences } from './texts.js'

const appName = (process.argv[2] ?? 'embedder') as MlAppName
const app = ML_APPS[appName]
if (!app) throw new Error(`usage: ml.ts [${Object.keys(ML_APPS).join('|')}]`)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const WARMUP_SECONDS = 1
const PROBE_PATHS = ['/healthz', '/readyz']
const PROBE_INTERVAL_MS = 20
const TARGETS = { c1Throughput: 1, c1P50: 1, c32Throughput: 1.5, c32P99: 0.2, probeP99Ms: 50 }
const REFERENCE = 'transformers.js'
const REFERENCE_SERVER = fileURLToPath(new URL('transformers-server.mjs', import.meta.url))
const ML_SCRIPTS = fileURLToPath(new URL('../../../packages/ml/scripts/', import.meta.url))

interface Scenario {
  name: string
  connections: number
  inputs: number
  /** Probe the health routes while this load runs (the reference answers them at once). */
  probes?: boolean
}

const SCENARIOS: Scenario[] = [
  { name: 'c=1', connections: 1, inputs: 1 },
  { name: 'c=32', connections: 32, inputs: 1, probes: true },
  // Two clients keep the server busy (one request waits while the other runs), and a
  // distilbert-sized 64-input request still answers within seconds on a quiet machine.
  { name: '64 inputs c=2', connections: 2, inputs: 64 },
]

interface Side {
  name: string
  /** The model name requests carry (the embedder refuses another). */
  model: string
  start(): Promise<ServerProcess>
}

const load = () => loadavg()[0]?.toFixed(2) ?? '?'
const fmt = (value: number, digits = 1) => value.toFixed(digits)
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met')

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const { dir: modelDir, note } = await app.model()
const redis = await startRedis()
const flotilla = (precision: 'fp32' | 'int8'): Side => ({
  name: precision === 'fp32' ? 'flotilla' : 'flotilla-int8',
  model: basename(modelDir),
  start: () =>
    startServerProcess(`flotilla ${appName} ${precision}`, [app.main], {
      MODEL_DIR: modelDir,
      MODEL_PRECISION: precision,
      REDIS_URL: redis.url,
      POOL_SIZE: '1',
    }),
})
const sides: Side[] = [
  flotilla('fp32'),
  {
    name: REFERENCE,
    model: basename(modelDir),
    start: () =>
      startServerProcess(REFERENCE, [REFERENCE_SERVER], { MODEL_DIR: modelDir, TASK: app.task }),
  },
  flotilla('int8'),
]
const servers = new Map<Side, ServerProcess>()
let failures = 0

try {
  console.log(`# ${appName} on ${basename(modelDir)} (${note}): ${modelDir}`)
  console.log(
    `# flotilla: 1 worker, ${cpuQuota()} intra-op threads (CPU quota), as the ML image runs it; ${REFERENCE}: its defaults. ` +
      `${rounds} rounds of ${seconds} s per side and load after ${WARMUP_SECONDS} s of warm-up, ` +
      'each side first in turn; load average (1 min) before→after each measurement',
  )
  console.log(
    `# load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  // model.int8.onnx beside model.onnx, as the model pipeline makes it (kept when up to date).
  execFileSync('bash', [`${ML_SCRIPTS}quantize.sh`, modelDir], { stdio: 'inherit' })
  for (const side of sides) servers.set(side, await side.start())
  await checkAgreement()

  const results = new Map(
    SCENARIOS.map((s) => [s, new Map(sides.map((d) => [d, [] as LoadResult[]]))]),
  )
  const probes = new Map(
    sides.map((d) => [d, new Map(PROBE_PATHS.map((p) => [p, [] as number[]]))]),
  )
  for (let round = 0; round < rounds; round++) {
    // Each side goes first in turn, so none always follows another's cool-down.
    const order = sides.map((_, i) => sides[(i + round) % sides.length] as Side)
    for (const scenario of SCENARIOS) {
      for (const side of order) {
        const result = await measure(side, scenario, round, probes)
        results.get(scenario)?.get(side)?.push(result)
      }
    }
  }
  const peaks = await peakMemory()
  report(results, probes, peaks)
} finally {
  await Promise.all([...servers.values()].map((server) => server.stop()))
  await redis.stop()
}
printInt8Quality()
if (failures > 0) {
  console.log(
    `# ${failures} requests failed (non-2xx, errors or timeouts): the figures do not count`,
  )
  process.exitCode = 1
}

function serverOf(side: Side): ServerProcess {
  const server = servers.get(side)
  if (!server) throw new Error(`${side.name} is not running`)
  return server
}

async function post(side: Side, body: object): Promise<unknown> {
  const response = await fetch(`${serverOf(side).origin}${app.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`${side.name}: ${response.status} ${await response.text()}`)
  return response.json()
}

/** H1's quality script (npm run quality -w @flotilla/ml) on this model, after the load. */
function printInt8Quality(): void {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', `${ML_SCRIPTS}quality.ts`, '--json', modelDir],
    { encoding: 'utf8' },
  )
  const { model: _, ...figures } = JSON.parse(output) as Record<string, unknown>
  const show = (value: unknown): string =>
    typeof value === 'number'
      ? String(Number(value.toFixed(4)))
      : typeof value === 'object' && value !== null
        ? Object.entries(value)
            .map(([key, inner]) => `${key} ${show(inner)}`)
            .join(', ')
        : String(value)
  console.log(
    `# int8 quality against fp32 (npm run quality -w @flotilla/ml): ${Object.entries(figures)
      .map(([key, value]) => `${key}: ${show(value)}`)
      .join('; ')}`,
  )
}

/** Largest difference between two answers' numbers, text by text. */
function largestDifference(a: number[][], b: number[][]): number {
  return Math.max(
    ...a.flatMap((row, i) => row.map((value, j) => Math.abs(value - (b[i]?.[j] ?? Number.NaN)))),
  )
}

/**
 * flotilla and transformers.js answer the same texts with the same numbers: they run the same
 * model. flotilla-int8 answers differently: MODEL_PRECISION=int8 is in effect.
 */
async function checkAgreement(): Promise<void> {
  const texts = Array.from({ length: 8 }, sentences(3))
  const [fp32, reference, int8] = await Promise.all(
    sides.map(async (side) => app.rows(await post(side, app.body(texts, side.model)))),
  )
  const same = largestDifference(fp32 ?? [], reference ?? [])
  const quantized = largestDifference(fp32 ?? [], int8 ?? [])
  console.log(
    `# largest difference between outputs for ${texts.length} texts: flotilla vs ${REFERENCE} ${same.toExponential(1)}, flotilla-int8 vs flotilla ${quantized.toExponential(1)}`,
  )
  if (!(same < 1e-3)) throw new Error(`flotilla and ${REFERENCE} do not compute the same model`)
  if (!(quantized > 0)) throw new Error('flotilla-int8 answers exactly as fp32: int8 is not served')
}

async function measure(
  side: Side,
  scenario: Scenario,
  round: number,
  probes: Map<Side, Map<string, number[]>>,
): Promise<LoadResult> {
  const { origin } = serverOf(side)
  const text = sentences(1000 * round + scenario.connections + scenario.inputs)
  const body = () =>
    app.body(
      scenario.inputs === 1 ? text() : Array.from({ length: scenario.inputs }, text),
      side.model,
    )
  const options = { origin, path: app.path, connections: scenario.connections, body }
  await runLoad({ ...options, seconds: WARMUP_SECONDS })
  const before = load()
  const probing = scenario.probes ? startProbes(origin, PROBE_PATHS, PROBE_INTERVAL_MS) : undefined
  const result = await runLoad({ ...options, seconds })
  const probed = await probing?.stop()
  for (const [path, samples] of probed?.latencies ?? [])
    probes
      .get(side)
      ?.get(path)
      ?.push(...samples)
  failures += result.failures + (probed?.failures ?? 0)
  console.log(
    [
      `round ${round + 1}`,
      scenario.name.padEnd(13),
      side.name.padEnd(15),
      `${fmt(result.perSecond).padStart(7)} req/s`,
      `p50 ${fmt(result.p50Ms).padStart(7)} ms`,
      `p99 ${fmt(result.p99Ms).padStart(7)} ms`,
      `failed ${result.failures}`,
      `load ${before}→${load()}`,
      result.firstFailure ? `first failure: ${result.firstFailure}` : '',
    ]
      .filter(Boolean)
      .join('  '),
  )
  return result
}

/**
 * Each side under 32 clients sending texts truncated to the model's limit, so every batch is
 * as large as it gets; then the peak RSS of the whole run.
 */
async function peakMemory(): Promise<Map<Side, number>> {
  const peaks = new Map<Side, number>()
  for (const side of sides) {
    const server = serverOf(side)
    const text = longTexts()
    const before = load()
    const result = await runLoad({
      origin: server.origin,
      path: app.path,
      connections: 32,
      seconds,
      body: () => app.body(text(), side.model),
    })
    failures += result.failures
    peaks.set(side, await server.peakRssMb())
    console.log(
      `memory  c=32 truncated inputs  ${side.name.padEnd(15)}  ${fmt(result.perSecond)} req/s  failed ${result.failures}  load ${before}→${load()}  peak RSS ${fmt(peaks.get(side) ?? Number.NaN, 0)} MB${result.firstFailure ? `  first failure: ${result.firstFailure}` : ''}`,
    )
  }
  return peaks
}

function report(
  results: Map<Scenario, Map<Side, LoadResult[]>>,
  probes: Map<Side, Map<string, number[]>>,
  peaks: Map<Side, number>,
): void {
  const reference = sides.find((side) => side.name === REFERENCE) as Side
  const ours = sides.filter((side) => side !== reference)
  console.log(`\n# ${appName}: medians over ${rounds} rounds`)
  for (const [scenario, bySide] of results) {
    for (const [side, runs] of bySide) {
      const inputsPerSecond = median(runs.map((r) => r.perSecond)) * scenario.inputs
      console.log(
        [
          scenario.name.padEnd(13),
          side.name.padEnd(15),
          `${fmt(median(runs.map((r) => r.perSecond))).padStart(7)} req/s`,
          scenario.inputs > 1 ? `(${fmt(inputsPerSecond, 0)} inputs/s)` : '',
          `p50 ${fmt(median(runs.map((r) => r.p50Ms))).padStart(7)} ms`,
          `p99 ${fmt(median(runs.map((r) => r.p99Ms))).padStart(7)} ms`,
        ]
          .filter(Boolean)
          .join('  '),
      )
    }
  }
  /** The median over rounds of each round's ratio: a busy moment moves both runs of a round. */
  const ratio = (scenario: Scenario, side: Side, figure: 'perSecond' | 'p50Ms' | 'p99Ms') => {
    const theirs = results.get(scenario)?.get(reference) ?? []
    return median(
      (results.get(scenario)?.get(side) ?? []).map(
        (run, i) => run[figure] / ((theirs[i]?.[figure] ?? Number.NaN) as number),
      ),
    )
  }
  const [c1, c32, many] = SCENARIOS as [Scenario, Scenario, Scenario]
  console.log(`\n# ${appName}: ratios to ${REFERENCE} (median of the rounds' ratios)`)
  for (const side of ours) {
    const line = (label: string, value: number, target: string, ok?: boolean) =>
      console.log(
        `${side.name} ${label}: ${fmt(value, 2)}x ${REFERENCE}${ok === undefined ? ` (${target})` : ` (target ${target}: ${verdict(ok)})`}`,
      )
    const c1Throughput = ratio(c1, side, 'perSecond')
    const c1P50 = ratio(c1, side, 'p50Ms')
    const c32Throughput = ratio(c32, side, 'perSecond')
    const c32P99 = ratio(c32, side, 'p99Ms')
    line(
      'throughput at c=1',
      c1Throughput,
      `>= ${TARGETS.c1Throughput}x`,
      c1Throughput >= TARGETS.c1Throughput,
    )
    line('p50 at c=1', c1P50, `<= ${TARGETS.c1P50}x`, c1P50 <= TARGETS.c1P50)
    line(
      'throughput at c=32',
      c32Throughput,
      `>= ${TARGETS.c32Throughput}x`,
      c32Throughput >= TARGETS.c32Throughput,
    )
    line('p99 at c=32', c32P99, `<= ${TARGETS.c32P99}x`, c32P99 <= TARGETS.c32P99)
    line(`throughput, ${many.name}`, ratio(many, side, 'perSecond'), 'no target')
    line(`p99, ${many.name}`, ratio(many, side, 'p99Ms'), 'no target')
    for (const [path, samples] of probes.get(side) ?? []) {
      const p99 = percentile(samples, 99)
      const theirs = percentile(probes.get(reference)?.get(path) ?? [], 99)
      console.log(
        `${side.name} ${path} p99 beside the c=32 load: ${fmt(p99)} ms over ${samples.length} probes (target < ${TARGETS.probeP99Ms} ms: ${verdict(p99 < TARGETS.probeP99Ms)}); ${REFERENCE} ${fmt(theirs)} ms`,
      )
    }
    const peak = peaks.get(side) ?? Number.NaN
    console.log(
      `${side.name} peak RSS, 1 worker: ${fmt(peak, 0)} MB (target <= ${app.peakRssTargetMb} MB: ${verdict(peak <= app.peakRssTargetMb)}); ${REFERENCE} ${fmt(peaks.get(reference) ?? Number.NaN, 0)} MB`,
    )
  }
  console.log(
    `# load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
}
