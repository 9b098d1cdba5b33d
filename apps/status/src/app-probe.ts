import { METRICS_JSON_PATH } from '@flotilla/service'
import { type MetricsSample, readMetrics } from './metrics.js'
import { failureReason, fetchText } from './probes.js'

export interface AppProbe {
  status: 'up' | 'degraded' | 'down'
  detail: string | null
  /** Null when the metrics did not answer or are not the kit's JSON metrics. */
  metrics: MetricsSample | null
}

interface ReadyzBody {
  status?: string
  dependencies?: Record<string, { status?: string; error?: string }>
}

/** Reads a flotilla service's /readyz and its JSON metrics side by side, each within the timeout. */
export async function probeApp(baseUrl: string, timeoutMs: number): Promise<AppProbe> {
  const [readiness, metrics] = await Promise.all([
    readReadiness(baseUrl, timeoutMs),
    probeMetrics(baseUrl, timeoutMs),
  ])
  return { ...readiness, metrics }
}

/** The OpenAPI document's info.version, which createService sets from the app's package. */
export async function readVersion(baseUrl: string, timeoutMs: number): Promise<string | null> {
  try {
    const { status, text } = await fetchText(new URL('/docs/json', baseUrl).href, timeoutMs)
    if (status !== 200) return null
    const version = (JSON.parse(text) as { info?: { version?: unknown } }).info?.version
    return typeof version === 'string' ? version : null
  } catch {
    return null
  }
}

async function readReadiness(
  baseUrl: string,
  timeoutMs: number,
): Promise<Omit<AppProbe, 'metrics'>> {
  let answer: { status: number; text: string }
  try {
    answer = await fetchText(new URL('/readyz', baseUrl).href, timeoutMs)
  } catch (error) {
    return { status: 'down', detail: `unreachable: ${failureReason(error)}` }
  }
  let body: ReadyzBody = {}
  try {
    body = JSON.parse(answer.text) as ReadyzBody
  } catch {
    // A non-JSON answer still tells up from down by its status code.
  }
  const failing = downDependencies(body)
  if (answer.status === 503) return { status: 'down', detail: failing ?? 'not ready (HTTP 503)' }
  if (answer.status !== 200)
    return { status: 'down', detail: `/readyz answered HTTP ${answer.status}` }
  if (body.status === 'degraded') return { status: 'degraded', detail: failing }
  return { status: 'up', detail: null }
}

function downDependencies(body: ReadyzBody): string | null {
  const down = Object.entries(body.dependencies ?? {})
    .filter(([, dependency]) => dependency.status === 'down')
    .map(([name, dependency]) => (dependency.error ? `${name}: ${dependency.error}` : name))
  return down.length > 0 ? `down: ${down.join('; ')}` : null
}

async function probeMetrics(baseUrl: string, timeoutMs: number): Promise<MetricsSample | null> {
  try {
    const { status, text } = await fetchText(new URL(METRICS_JSON_PATH, baseUrl).href, timeoutMs)
    return status === 200 ? readMetrics(JSON.parse(text)) : null
  } catch {
    return null
  }
}
