/**
 * What nginx costs a cached read: `GET /notes/<id>` (a Redis cache hit) through nginx vs the
 * same request straight to the notes container, in interleaved rounds of one run, measured by
 * autocannon from this host against the containers' addresses on the stack's network (nothing
 * new is published). Prints req/s, p50 and p99 of each, their ratios against the targets
 * (throughput >= 0.8x, p99 within 1.5x) and the load average the run saw.
 *
 * It brings up its own stack of the shipped compose file — nginx, notes and what notes needs —
 * with one change: one load generator is one client address, so the per-address rate limits
 * (nginx's limit_req, notes' RATE_LIMIT_PER_MINUTE) are raised out of the way; every other
 * setting, the CPU and memory limits included, is as shipped. Needs the images
 * (docker compose --profile ml build). Run: npm run bench:http
 *
 * BENCH_ROUNDS (10), BENCH_SECONDS (5 per target per round), BENCH_CONNECTIONS (32),
 * STACK_SUBNET_OCTET (250); BENCH_KEEP=1 leaves the stack up and prints BENCH_ATTACH=<project>,
 * which a later run reuses.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { composeCommand, composeWithoutMissingImages, run } from '../compose.js'

const root = resolve(import.meta.dirname, '../..')
const rounds = Number(process.env.BENCH_ROUNDS ?? 10)
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const octet = Number(process.env.STACK_SUBNET_OCTET ?? 250)
const attached = process.env.BENCH_ATTACH
const project = attached ?? `flotilla_bench_${process.pid}`
const TARGETS = { throughput: 0.8, p99: 1.5 }

const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'))
const env = {
  ...process.env,
  HTTP_BIND: '127.0.0.1',
  HTTP_PORT: '0',
  FLOTILLA_SUBNET: `172.31.${octet}.0/24`,
  FLOTILLA_CHROMA_SUBNET: `172.31.${octet + 1}.0/28`,
}

interface Round {
  perSecond: number
  p50: number
  p99: number
  failed: number
}

async function main(): Promise<void> {
  const compose = [
    ...composeCommand(),
    '-p',
    project,
    ...composeFiles(),
    '--project-directory',
    root,
  ]
  if (!attached) {
    await run(['bash', 'scripts/ci/docker-up.sh', 'node', 'postgres', 'redis', 'nginx'], {
      cwd: root,
    })
    await run([...compose, 'up', '-d', '--no-build', 'nginx', 'notes'], { cwd: root, env })
  }
  try {
    const nginx = await addressOf(compose, 'nginx')
    const notes = await addressOf(compose, 'notes')
    const path = await cachedNote(`http://${nginx}`)
    const through = `http://${nginx}${path}`
    const direct = `http://${notes}:3001${path}`

    console.log(
      `# GET ${path} (cached), ${connections} connections, ${rounds} rounds of ${seconds} s per target, interleaved; warm-up round not counted`,
    )
    console.log(
      `# load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    await measure(through, 3)
    await measure(direct, 3)
    const results: Record<'nginx' | 'direct', Round[]> = { nginx: [], direct: [] }
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always follows the other's cool-down.
      const order =
        round % 2 === 0 ? (['nginx', 'direct'] as const) : (['direct', 'nginx'] as const)
      for (const target of order) {
        const result = await measure(target === 'nginx' ? through : direct, seconds)
        results[target].push(result)
        console.log(
          `round ${round + 1} ${target.padEnd(6)} ${result.perSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  failed ${result.failed}  load ${loadavg()[0]?.toFixed(2)}`,
        )
      }
    }
    report(results)
  } finally {
    if (process.env.BENCH_KEEP || attached) {
      console.log(`# left running; reuse with BENCH_ATTACH=${project}`)
    } else {
      await run([...compose, 'down', '-v', '--remove-orphans'], { cwd: root, env })
    }
    rmSync(workDir, { recursive: true, force: true })
  }
}

/** The shipped compose file plus the bench's one override: per-address rate limits raised. */
function composeFiles(): string[] {
  const { file } = composeWithoutMissingImages(root, join(workDir, 'compose.yml'), env, project)
  const limits = join(workDir, 'limits.conf')
  writeFileSync(
    limits,
    readFileSync(join(root, 'nginx/generated/limits.conf'), 'utf8').replace(
      /rate=\d+r\/s/g,
      'rate=1000000r/s',
    ),
  )
  const override = join(workDir, 'bench.yml')
  writeFileSync(
    override,
    [
      'services:',
      '  nginx:',
      `    volumes: ["${limits}:/etc/nginx/flotilla/generated/limits.conf:ro"]`,
      '  notes:',
      '    environment:',
      '      RATE_LIMIT_PER_MINUTE: "1000000000"',
      '',
    ].join('\n'),
  )
  return ['-f', file, '-f', override]
}

/** The service's address on the stack network, which this host routes to. */
async function addressOf(compose: string[], service: string): Promise<string> {
  const id = (await run([...compose, 'ps', '-q', service], { cwd: root, env })).trim()
  const network = `${project}_flotilla`
  const address = execFileSync(
    'docker',
    ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, id],
    { encoding: 'utf8' },
  ).trim()
  if (!address) throw new Error(`${service} has no address on ${network}`)
  return address
}

/** A note created through nginx once notes is up, read once so the next reads hit Redis. */
async function cachedNote(base: string): Promise<string> {
  const deadline = Date.now() + 240_000
  while (Date.now() < deadline) {
    const response = await fetch(`${base}/notes/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'bench', body: 'a cached read' }),
    }).catch(() => undefined)
    if (response?.status === 201) {
      const { id } = (await response.json()) as { id: number }
      const path = `/notes/${id}`
      const read = await fetch(`${base}${path}`)
      if (read.status !== 200) throw new Error(`GET ${path}: ${read.status}`)
      return path
    }
    await sleep(2_000)
  }
  throw new Error('notes did not accept a note through nginx within 240 s')
}

async function measure(url: string, duration: number): Promise<Round> {
  const result = await autocannon({ url, connections, duration })
  return {
    perSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

/**
 * Ratios per round, nginx against the direct run beside it, then their median: a busy
 * moment of the shared machine moves both runs of a round, and one odd round moves no median.
 */
function report(results: Record<'nginx' | 'direct', Round[]>): void {
  const pairs = results.nginx.map((nginx, i) => ({ nginx, direct: results.direct[i] as Round }))
  const throughput = median(pairs.map((p) => p.nginx.perSecond / p.direct.perSecond))
  const p99 = median(pairs.map((p) => p.nginx.p99 / p.direct.p99))
  console.log('# medians over the rounds')
  for (const target of ['nginx', 'direct'] as const) {
    const runs = results[target]
    console.log(
      `${target.padEnd(6)} ${median(runs.map((r) => r.perSecond))
        .toFixed(0)
        .padStart(
          6,
        )} req/s  p50 ${median(runs.map((r) => r.p50))} ms  p99 ${median(runs.map((r) => r.p99))} ms  failed ${runs.reduce((sum, r) => sum + r.failed, 0)}`,
    )
  }
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met')
  console.log(
    `throughput through nginx: ${throughput.toFixed(2)}x direct, median of the rounds' ratios (target >= ${TARGETS.throughput}x: ${verdict(throughput >= TARGETS.throughput)})`,
  )
  console.log(
    `p99 through nginx: ${p99.toFixed(2)}x direct, median of the rounds' ratios (target <= ${TARGETS.p99}x: ${verdict(p99 <= TARGETS.p99)})`,
  )
  console.log(
    `# load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  if (pairs.some((p) => p.nginx.failed + p.direct.failed > 0)) {
    console.log('# some requests failed (non-2xx, errors or timeouts): the figures do not count')
    process.exitCode = 1
  }
}

await main()
