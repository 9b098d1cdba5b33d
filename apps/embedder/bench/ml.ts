// The ML tier's benchmark (issue 14): flotilla's app beside a plain transformers.js server
// (transformers-server.mjs) on the same model files, in interleaved rounds of one run, with
// the load average before and after every measurement. Prints per side throughput, p50 and
// p99, and the ratios against the targets: at concurrency 1 throughput >= 1.0x and p50 no
// worse; at 32 throughput >= 1.5x and p99 <= 1/5; health probes p99 < 50 ms beside the
// concurrency-32 load; peak RSS of each side's process tree with one worker. A missed target
// prints NOT met with the measured reason: the CPU time each side's processes spend per request
// (from /proc), which bounds what the same cores can do; Little's law for the p99 under 32
// clients; and the memory floor, a bare onnxruntime session on the same file (floor.mjs).
// A script, not a test: only failed requests (non-2xx, errors) exit non-zero.
//
// Usage: npm run bench:ml (root: builds, then the embedder's and the classifier's run), or
//   npm run bench -w @flotilla/embedder | -w @flotilla/classifier
// BENCH_ROUNDS (3), BENCH_SECONDS (3 per side per round, after 1 s of warm-up).
import { execFile, execFileSync } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startRedis } from '@flotilla/data/redis/test-server'
import { cpuQuota, type Precision, readModelFiles, sessionOptions } from '@flotilla/ml'
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
const FLOOR_SCRIPT = fileURLToPath(new URL('floor.mjs', import.meta.url))
// The apps' defaults, passed explicitly so that the floor runs the batch the app forms.
const MAX_BATCH_SIZE = 32
const MAX_BATCH_TOKENS = 1024
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
  /** flotilla's precision; the reference runs fp32. */
  precision?: Precision
  /** The model name requests carry (the embedder refuses another). */
  model: string
  start(): Promise<ServerProcess>
}

/**
 * One measurement, with the CPU time the server's process tree spent on it and the times its
 * threads went to sleep.
 */
interface Measured extends LoadResult {
  cpuSeconds: number
  contextSwitches: number
}

const cpuMsPerRequest = (m: Measured) => (1000 * m.cpuSeconds) / m.requests
const cores = (m: Measured) => m.cpuSeconds / m.seconds
const switchesPerRequest = (m: Measured) => m.contextSwitches / m.requests

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
  precision,
  model: basename(modelDir),
  start: () =>
    startServerProcess(`flotilla ${appName} ${precision}`, [app.main], {
      MODEL_DIR: modelDir,
      MODEL_PRECISION: precision,
      REDIS_URL: redis.url,
      // What the provisioner writes beside REDIS_URL (the app's ACL key pattern).
      REDIS_KEY_PREFIX: `${appName}:`,
      POOL_SIZE: '1',
      MAX_BATCH_SIZE: String(MAX_BATCH_SIZE),
      MAX_BATCH_TOKENS: String(MAX_BATCH_TOKENS),
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
    `# flotilla: 1 worker, ${cpuQuota()} intra-op threads (its CPU quota: 1 in the stack's 1-CPU ML containers), its threads sleep between operators; ${REFERENCE}: onnxruntime's defaults (a thread per core, spinning). ` +
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
    SCENARIOS.map((s) => [s, new Map(sides.map((d) => [d, [] as Measured[]]))]),
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
  const floors = new Map<Side, Floor>()
  for (const side of sides) {
    if (side.precision) floors.set(side, await memoryFloor(side.precision))
  }
  report(results, probes, peaks, floors)
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
): Promise<Measured> {
  const server = serverOf(side)
  const { origin } = server
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
  const [cpuBefore, switchesBefore] = [await server.cpuSeconds(), await server.contextSwitches()]
  const loaded = await runLoad({ ...options, seconds })
  const result = {
    ...loaded,
    cpuSeconds: (await server.cpuSeconds()) - cpuBefore,
    contextSwitches: (await server.contextSwitches()) - switchesBefore,
  }
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
      `CPU ${fmt(cpuMsPerRequest(result)).padStart(6)} ms/req on ${fmt(cores(result), 2)} cores`,
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

interface Floor {
  modelPath: string
  batch: number
  seq: number
  loadedMb: number
  peakMb: number
}

/**
 * bench/floor.mjs on this precision's model file, with the session options flotilla's worker
 * gets here, running the largest batch flotilla's batcher forms from inputs cut to the
 * model's limit (as peakMemory sends): what any server of this model pays.
 */
async function memoryFloor(precision: Precision): Promise<Floor> {
  const files = await readModelFiles(modelDir, precision)
  const seq = files.maxTokens
  const batch = Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(MAX_BATCH_TOKENS / seq)))
  const { stdout } = await promisify(execFile)(process.execPath, [FLOOR_SCRIPT], {
    env: {
      ...process.env,
      MODEL_PATH: files.modelPath,
      SESSION_OPTIONS: JSON.stringify(sessionOptions(cpuQuota())),
      BATCH: String(batch),
      SEQ: String(seq),
    },
  })
  const { loadedMb, peakMb } = JSON.parse(stdout) as { loadedMb: number; peakMb: number }
  return { modelPath: files.modelPath, batch, seq, loadedMb, peakMb }
}

function report(
  results: Map<Scenario, Map<Side, Measured[]>>,
  probes: Map<Side, Map<string, number[]>>,
  peaks: Map<Side, number>,
  floors: Map<Side, Floor>,
): void {
  const reference = sides.find((side) => side.name === REFERENCE) as Side
  const ours = sides.filter((side) => side !== reference)
  const runsOf = (scenario: Scenario, side: Side) => results.get(scenario)?.get(side) ?? []
  const medianOf = (scenario: Scenario, side: Side, figure: (m: Measured) => number) =>
    median(runsOf(scenario, side).map(figure))
  /** A figure's median for one of ours and for the reference. */
  const both = (
    scenario: Scenario,
    side: Side,
    reference: Side,
    figure: (m: Measured) => number,
  ): [number, number] => [medianOf(scenario, side, figure), medianOf(scenario, reference, figure)]
  console.log(`\n# ${appName}: medians over ${rounds} rounds`)
  for (const [scenario, bySide] of results) {
    for (const side of bySide.keys()) {
      const perSecond = medianOf(scenario, side, (r) => r.perSecond)
      console.log(
        [
          scenario.name.padEnd(13),
          side.name.padEnd(15),
          `${fmt(perSecond).padStart(7)} req/s`,
          scenario.inputs > 1 ? `(${fmt(perSecond * scenario.inputs, 0)} inputs/s)` : '',
          `p50 ${fmt(medianOf(scenario, side, (r) => r.p50Ms)).padStart(7)} ms`,
          `p99 ${fmt(medianOf(scenario, side, (r) => r.p99Ms)).padStart(7)} ms`,
          `CPU ${fmt(medianOf(scenario, side, cpuMsPerRequest)).padStart(6)} ms/req on ${fmt(medianOf(scenario, side, cores), 2)} cores`,
          `${fmt(medianOf(scenario, side, switchesPerRequest), 0)} thread sleeps/req`,
        ]
          .filter(Boolean)
          .join('  '),
      )
    }
  }
  /** The median over rounds of each round's ratio: a busy moment moves both runs of a round. */
  const ratio = (scenario: Scenario, side: Side, figure: (m: Measured) => number) => {
    const theirs = runsOf(scenario, reference)
    return median(
      runsOf(scenario, side).map((run, i) => {
        const their = theirs[i]
        return their ? figure(run) / figure(their) : Number.NaN
      }),
    )
  }
  const [c1, c32, many] = SCENARIOS as [Scenario, Scenario, Scenario]
  console.log(`\n# ${appName}: ratios to ${REFERENCE} (median of the rounds' ratios)`)
  for (const side of ours) {
    const line = (label: string, value: number, target: string, ok?: boolean, why = '') =>
      console.log(
        `${side.name} ${label}: ${fmt(value, 2)}x ${REFERENCE}${ok === undefined ? ` (${target})` : ` (target ${target}: ${verdict(ok)})`}${ok === false && why ? `\n  why: ${why}` : ''}`,
      )
    const c1Throughput = ratio(c1, side, (r) => r.perSecond)
    const c1P50 = ratio(c1, side, (r) => r.p50Ms)
    line(
      'throughput at c=1',
      c1Throughput,
      `>= ${TARGETS.c1Throughput}x`,
      c1Throughput >= TARGETS.c1Throughput,
      serviceTime(side, reference),
    )
    line(
      'p50 at c=1',
      c1P50,
      `<= ${TARGETS.c1P50}x`,
      c1P50 <= TARGETS.c1P50,
      serviceTime(side, reference),
    )
    const c32Throughput = ratio(c32, side, (r) => r.perSecond)
    line(
      'throughput at c=32',
      c32Throughput,
      `>= ${TARGETS.c32Throughput}x`,
      c32Throughput >= TARGETS.c32Throughput,
      cpuBound(side, reference),
    )
    const c32P99 = ratio(c32, side, (r) => r.p99Ms)
    line(
      'p99 at c=32',
      c32P99,
      `<= ${TARGETS.c32P99}x`,
      c32P99 <= TARGETS.c32P99,
      queueBound(side, reference),
    )
    line(
      `throughput, ${many.name}`,
      ratio(many, side, (r) => r.perSecond),
      'no target',
    )
    line(
      `p99, ${many.name}`,
      ratio(many, side, (r) => r.p99Ms),
      'no target',
    )
    for (const [path, samples] of probes.get(side) ?? []) {
      const p99 = percentile(samples, 99)
      const theirs = percentile(probes.get(reference)?.get(path) ?? [], 99)
      console.log(
        `${side.name} ${path} p99 beside the c=32 load: ${fmt(p99)} ms over ${samples.length} probes (target < ${TARGETS.probeP99Ms} ms: ${verdict(p99 < TARGETS.probeP99Ms)}); ${REFERENCE} ${fmt(theirs)} ms`,
      )
    }
    const peak = peaks.get(side) ?? Number.NaN
    const floor = floors.get(side)
    const met = peak <= app.peakRssTargetMb
    console.log(
      `${side.name} peak RSS, 1 worker: ${fmt(peak, 0)} MB (target <= ${app.peakRssTargetMb} MB: ${verdict(met)}); ${REFERENCE} ${fmt(peaks.get(reference) ?? Number.NaN, 0)} MB`,
    )
    if (floor) {
      console.log(
        `  floor: a bare node + onnxruntime session on ${basename(floor.modelPath)} (bench/floor.mjs): ${fmt(floor.loadedMb, 0)} MB loaded, ${fmt(floor.peakMb, 0)} MB peak running the largest batch (${floor.batch} x ${floor.seq} tokens)` +
          `; above it, the app: ${fmt(peak - floor.peakMb, 0)} MB` +
          (floor.peakMb > app.peakRssTargetMb ? ' — the target is below the floor' : ''),
      )
    }
  }
  console.log(
    `# load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )

  /**
   * At c=1 a request's latency is its service time: the CPU each side spends on one, and how
   * often its threads sleep and must be woken on the way (onnxruntime's threads between
   * operators, unless they spin).
   */
  function serviceTime(side: Side, reference: Side): string {
    const [ourCpu, theirCpu] = both(c1, side, reference, cpuMsPerRequest)
    const [ourP50, theirP50] = both(c1, side, reference, (r) => r.p50Ms)
    const [ourSleeps, theirSleeps] = both(c1, side, reference, switchesPerRequest)
    return `at c=1 one request costs ${side.name} ${fmt(ourCpu)} ms of CPU and ${fmt(ourSleeps, 0)} thread sleeps (p50 ${fmt(ourP50)} ms), ${REFERENCE} ${fmt(theirCpu)} ms and ${fmt(theirSleeps, 0)} (p50 ${fmt(theirP50)} ms)`
  }

  /**
   * Saturated, a side's throughput is the cores it uses over the CPU one request costs it:
   * on the same cores, the ratio of the CPU costs bounds the throughput ratio.
   */
  function cpuBound(side: Side, reference: Side): string {
    const [ourCpu, theirCpu] = both(c32, side, reference, cpuMsPerRequest)
    const [ourCores, theirCores] = both(c32, side, reference, cores)
    return (
      `throughput is cores used / CPU per request. At c=32 ${side.name} uses ${fmt(ourCores, 2)} cores at ${fmt(ourCpu)} ms per request, ${REFERENCE} ${fmt(theirCores, 2)} at ${fmt(theirCpu)} ms, of the machine's ${availableParallelism()}: ` +
      `on equal cores ${side.name} can do at most ${fmt(theirCpu / ourCpu, 2)}x ${REFERENCE}, and ${TARGETS.c32Throughput}x would need ${fmt(theirCpu / TARGETS.c32Throughput)} ms of CPU per request, with the same onnxruntime doing the same matrix work`
    )
  }

  /**
   * Little's law: 32 closed-loop clients wait 32 / throughput on average, and the p99 is at
   * least the mean, so the p99 target asks for a throughput the CPU bound already caps.
   */
  function queueBound(side: Side, reference: Side): string {
    const ourRate = medianOf(c32, side, (r) => r.perSecond)
    const theirRate = medianOf(c32, reference, (r) => r.perSecond)
    const allowedMs = TARGETS.c32P99 * medianOf(c32, reference, (r) => r.p99Ms)
    const neededRate = (1000 * c32.connections) / allowedMs
    const waits = `${c32.connections} clients at ${fmt(ourRate)} req/s wait ${fmt((1000 * c32.connections) / ourRate, 0)} ms on average (Little's law)`
    const allowed = `${TARGETS.c32P99} of ${REFERENCE}'s p99 is ${fmt(allowedMs, 0)} ms`
    return ourRate < neededRate
      ? `${waits} and the p99 is at least that; ${allowed}, which needs ${fmt(neededRate, 0)} req/s: ${fmt(neededRate / theirRate, 2)}x ${REFERENCE}'s throughput`
      : `${waits}, within the ${fmt(allowedMs, 0)} ms (${allowed}): the miss is the spread of the waits around that mean`
  }
}
