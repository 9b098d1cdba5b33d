import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

const TOOLS_SCRIPT = fileURLToPath(new URL('../../../scripts/ci/fuzz-tools.sh', import.meta.url))
const HOOKS = fileURLToPath(new URL('../fuzz/hooks.py', import.meta.url))

/**
 * What every fuzz run checks. Each failure is also judged by our own one_error_shape
 * (fuzz/hooks.py). A status an operation can answer (503 when a store is down, 429) belongs
 * in its schema, so status_code_conformance stays on rather than being relaxed.
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'response_schema_conformance',
  'one_error_shape',
]

/** Fixed, so a run is reproducible; a found failure names its request, not the seed. */
const SEED = 20_260_101

let cli: Promise<string> | undefined

/** The schemathesis CLI, installed (once, cached) by scripts/ci/fuzz-tools.sh. */
export function schemathesisCli(): Promise<string> {
  cli ??= run('bash', [TOOLS_SCRIPT], { timeout: 300_000 }).then(
    ({ stdout }) => stdout.trim(),
    (error: { stderr?: string; message: string }) => {
      throw new Error(`scripts/ci/fuzz-tools.sh failed: ${error.stderr?.trim() || error.message}`)
    },
  )
  return cli
}

/**
 * Why the fuzz tests cannot run here (no Python venv, no package registry), or false. In CI
 * they must run: there the missing fuzzer is an error, not a skip.
 */
export async function fuzzUnavailable(): Promise<string | false> {
  try {
    await schemathesisCli()
    return false
  } catch (error) {
    if (process.env.CI === 'true') throw error
    return `schemathesis is unavailable: ${(error as Error).message.split('\n').at(-1)}`
  }
}

export interface FuzzOptions {
  /** The app's name, for the summary line. */
  name: string
  /** Where the app listens, e.g. http://127.0.0.1:3001. */
  url: string
  /** The app's OpenAPI document, relative to `url`; the service kit serves it here. */
  documentPath?: string
  /** Test cases per operation in each phase (schemathesis --max-examples). */
  maxExamples?: number
  /** Sent with every request, e.g. a caller token. */
  headers?: Record<string, string>
  /**
   * Values that lead somewhere, by parameter (`path.collection`): half of the cases draw one
   * of these instead of a generated value, so they get past a 404 to the operation's work.
   */
  values?: Record<string, string[]>
}

export interface FuzzReport {
  operations: number
  /** Operations that answered 2xx at least once: the run got past validation to their work. */
  succeeded: number
  examples: number
  /** One entry per failing operation and check, with its request as a curl line. */
  problems: string[]
  /** `fuzz <name>: operations=N examples=M failures=K (…)`, printed by each fuzz test. */
  summary: string
}

/**
 * Runs schemathesis over every operation of the app's OpenAPI document at `url` (examples,
 * coverage, fuzzing and stateful phases, a bounded number of cases, a fixed seed) and reads
 * its reports back. A run it could not complete is thrown, with schemathesis's own output.
 */
export async function fuzzOpenApi(options: FuzzOptions): Promise<FuzzReport> {
  const binary = await schemathesisCli()
  const dir = await mkdtemp(join(tmpdir(), `flotilla-fuzz-${options.name}-`))
  const json = join(dir, 'run.json')
  const ndjson = join(dir, 'events.ndjson')
  const config = join(dir, 'schemathesis.toml')
  await writeFile(config, settings(options.values ?? {}))
  const args = [
    `--config-file=${config}`,
    'run',
    `${options.url}${options.documentPath ?? '/docs/json'}`,
    `--url=${options.url}`,
    `--checks=${CHECKS.join(',')}`,
    `--max-examples=${options.maxExamples ?? 15}`,
    `--seed=${SEED}`,
    // No example database: a run depends on its seed alone, and writes nothing outside `dir`.
    '--generation-database=none',
    // Health checks judge how fast cases are generated; a busy CI machine is no finding.
    '--suppress-health-check=all',
    '--workers=1',
    '--request-timeout=30',
    '--report=json,ndjson',
    `--report-json-path=${json}`,
    `--report-ndjson-path=${ndjson}`,
    '--no-color',
    // The reproductions keep their headers: the tokens are the test's own.
    '--output-sanitize=false',
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `--header=${name}: ${value}`),
  ]
  let output = ''
  try {
    try {
      await run(binary, args, {
        cwd: dir,
        env: { ...process.env, SCHEMATHESIS_HOOKS: HOOKS },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 600_000,
      })
    } catch (error) {
      // Exit code 1 is a run that found failures; the reports say which.
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
      output = `${stdout}\n${stderr}`.trim()
    }
    const report = await readFile(json, 'utf8').then(
      (text) => JSON.parse(text) as RunReport,
      () => {
        throw new Error(`schemathesis wrote no report for ${options.name}:\n${output.slice(-4000)}`)
      },
    )
    const events = await readEvents(ndjson)
    const problems = [...runProblems(report), ...events.problems]
    const operations = report.operations.total
    const examples = report.test_cases.generated
    return {
      operations,
      succeeded: events.succeeded,
      examples,
      problems,
      summary: `fuzz ${options.name}: operations=${operations} examples=${examples} failures=${problems.length} (operations that answered 2xx: ${events.succeeded})`,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** An app started for a fuzz run: where it listens, how it stops, what the run should send. */
export interface FuzzTarget extends Omit<FuzzOptions, 'name' | 'url'> {
  url: string
  close(): Promise<void>
}

/**
 * Registers an app's fuzz test, `fuzz <name>: every operation of its OpenAPI document, <on>`:
 * starts the app, fuzzes it (fuzzOpenApi), prints the summary and fails on any problem, then
 * closes it. Skipped only where the fuzzer cannot be installed, never in CI (fuzzUnavailable).
 */
export function fuzzTest(name: string, on: string, start: () => Promise<FuzzTarget>): void {
  test(`fuzz ${name}: every operation of its OpenAPI document, ${on}`, async (t) => {
    const unavailable = await fuzzUnavailable()
    if (unavailable) {
      t.skip(unavailable)
      return
    }
    const { url, close, ...options } = await start()
    try {
      const report = await fuzzOpenApi({ ...options, name, url })
      console.log(report.summary)
      assert.equal(report.problems.length, 0, report.problems.join('\n\n'))
    } finally {
      await close()
    }
  })
}

/** schemathesis.toml: each parameter's values as a dictionary drawn from half of the time. */
function settings(values: Record<string, string[]>): string {
  // JSON strings are TOML basic strings.
  const toml = (text: string) => JSON.stringify(text)
  const entries = Object.entries(values)
  return [
    '[dictionaries]',
    ...entries.map(([, list], index) => `d${index} = { values = [${list.map(toml).join(', ')}] }`),
    '[parameters]',
    ...entries.map(
      ([name], index) => `${toml(name)} = { dictionary = "d${index}", probability = 0.5 }`,
    ),
    '',
  ].join('\n')
}

/** The parts of schemathesis's JSON run report read here. */
interface RunReport {
  complete: boolean
  stop_reason: string
  operations: { total: number; tested: number; skip_reasons: unknown[] }
  test_cases: { generated: number }
}

function runProblems(report: RunReport): string[] {
  const problems: string[] = []
  if (!report.complete) problems.push(`the run did not complete: ${report.stop_reason}`)
  if (report.operations.tested < report.operations.total) {
    problems.push(
      `${report.operations.tested} of ${report.operations.total} operations tested: ${JSON.stringify(report.operations.skip_reasons)}`,
    )
  }
  if (report.test_cases.generated === 0) problems.push('no test case was generated')
  return problems
}

interface Base64 {
  $base64: string
}

interface Interaction {
  request: { method: string; uri: string; headers: Record<string, string[]>; body?: Base64 }
  response: { status_code: number; content?: Base64 } | null
}

interface CheckResult {
  name: string
  status: string
  failure_info?: { failure: { operation: string; code: string; title: string; message: string } }
}

interface ScenarioFinished {
  recorder: {
    cases?: Record<string, { value: { method: string; path: string } }>
    checks?: Record<string, CheckResult[]>
    interactions?: Record<string, Interaction>
  }
}

interface RunError {
  label?: string
  value: { type: string; message: string }
}

type Event =
  | { ScenarioFinished: ScenarioFinished }
  | { NonFatalError: RunError }
  | { FatalError: RunError }

/**
 * From the NDJSON event stream: the errors (an operation schemathesis could not test, a run
 * it could not finish) and failed checks, one per operation and check (of the cases that
 * failed the same way, shrinking tries many, the one with the shortest request); and the
 * operations that answered 2xx at least once, which the run got past validation and lookups.
 */
async function readEvents(ndjson: string): Promise<{ problems: string[]; succeeded: number }> {
  const found = new Map<string, { size: number; text: string }>()
  const succeeded = new Set<string>()
  const lines = createInterface({ input: createReadStream(ndjson), crlfDelay: Infinity })
  for await (const line of lines) {
    if (!/^\{"(ScenarioFinished|NonFatalError|FatalError)"/.test(line)) continue
    const event = JSON.parse(line) as Event
    if (!('ScenarioFinished' in event)) {
      const { label = 'the run', value } =
        'FatalError' in event ? event.FatalError : event.NonFatalError
      const text = `${label}: error (${value.type})\n  ${value.message.replaceAll('\n', '\n  ')}`
      found.set(text, { size: 0, text })
      continue
    }
    const { recorder } = event.ScenarioFinished
    for (const [caseId, interaction] of Object.entries(recorder.interactions ?? {})) {
      const operation = recorder.cases?.[caseId]?.value
      const status = interaction.response?.status_code ?? 0
      if (operation && status >= 200 && status < 300) {
        succeeded.add(`${operation.method} ${operation.path}`)
      }
    }
    for (const [caseId, checks] of Object.entries(recorder.checks ?? {})) {
      const interaction = recorder.interactions?.[caseId]
      for (const check of checks) {
        const failure = check.failure_info?.failure
        if (check.status !== 'failure' || !failure) continue
        const key = `${failure.operation} ${check.name}`
        const request = interaction ? curl(interaction.request) : '(no request recorded)'
        const known = found.get(key)
        if (known && known.size <= request.length) continue
        found.set(key, {
          size: request.length,
          text: [
            `${failure.operation}: ${check.name} (${failure.code} ${failure.title})`,
            ...(failure.message ? [`  ${failure.message.replaceAll('\n', '\n  ')}`] : []),
            `  request: ${request}`,
            `  response: ${response(interaction)}`,
          ].join('\n'),
        })
      }
    }
  }
  return { problems: [...found.values()].map(({ text }) => text), succeeded: succeeded.size }
}

const decode = (data: Base64) => Buffer.from(data.$base64, 'base64').toString('utf8')
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`
const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text

function curl(request: Interaction['request']): string {
  const headers = Object.entries(request.headers).flatMap(([name, values]) =>
    values.map((value) => `-H ${quote(`${name}: ${value}`)}`),
  )
  const body = request.body ? [`--data-binary ${quote(clip(decode(request.body), 2000))}`] : []
  return ['curl', '-X', request.method, quote(request.uri), ...headers, ...body].join(' ')
}

function response(interaction: Interaction | undefined): string {
  const answer = interaction?.response
  if (!answer) return '(none: the request failed)'
  return `${answer.status_code} ${answer.content ? clip(decode(answer.content), 500) : ''}`.trim()
}
