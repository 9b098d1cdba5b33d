import { probeApp, readVersion } from './app-probe.js'
import type { Fleet, FleetApp, FleetService } from './fleet.js'
import { failureReason, probeService } from './probes.js'
import type { AppStatus, ServiceStatus, StatusReport } from './report.js'
import { type TimedSample, windowStats } from './window.js'

export interface MonitorOptions {
  fleet: Fleet
  intervalMs: number
  timeoutMs: number
  /** Rate and p95 are taken over about this much recent time. */
  windowMs: number
  onError?: (error: unknown) => void
}

interface AppState {
  target: FleetApp
  status: AppStatus
  /** Scrapes of the current process, oldest first, spanning about one window. */
  samples: TimedSample[]
}

/**
 * Probes the fleet in the background, one round every interval, and keeps the latest result
 * so that page requests read it without waiting on any probe.
 */
export class FleetMonitor {
  readonly #options: MonitorOptions
  readonly #apps: AppState[]
  #services: ServiceStatus[]
  #generatedAt = new Date().toISOString()
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> | undefined
  #stopped = false

  constructor(options: MonitorOptions) {
    this.#options = options
    this.#apps = options.fleet.apps.map((target) => ({
      target,
      status: initialAppStatus(target),
      samples: [],
    }))
    this.#services = options.fleet.services.map(initialServiceStatus)
  }

  /** Starts the first round now; later rounds start an interval after the previous ends. */
  start(): void {
    this.#stopped = false
    this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#round
  }

  report(): StatusReport {
    return {
      generatedAt: this.#generatedAt,
      pollIntervalMs: this.#options.intervalMs,
      apps: this.#apps.map((app) => app.status),
      services: this.#services,
    }
  }

  /** One round over every target; resolves when all have answered or timed out. */
  async poll(): Promise<void> {
    const [, services] = await Promise.all([
      Promise.all(this.#apps.map((app) => this.#pollApp(app))),
      Promise.all(this.#options.fleet.services.map((service) => this.#pollService(service))),
    ])
    this.#services = services
    this.#generatedAt = new Date().toISOString()
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#round = this.poll()
        .catch((error) => this.#options.onError?.(error))
        .finally(() => {
          this.#round = undefined
          if (!this.#stopped) this.#schedule(this.#options.intervalMs)
        })
    }, delayMs)
  }

  async #pollApp(app: AppState): Promise<void> {
    const { timeoutMs, windowMs } = this.#options
    const probe = await probeApp(app.target.url, timeoutMs)
    const now = Date.now()
    const checkedAt = new Date(now).toISOString()
    if (probe.metrics === null) {
      app.samples = []
      app.status = {
        ...initialAppStatus(app.target),
        status: probe.status,
        detail: probe.detail,
        version: probe.status === 'down' ? null : app.status.version,
        checkedAt,
      }
      return
    }
    const sample = { at: now, sample: probe.metrics }
    const restarted = app.samples.at(-1)?.sample.startTimeSeconds !== sample.sample.startTimeSeconds
    app.samples = restarted ? [sample] : [...app.samples, sample]
    while (app.samples.length > 2 && (app.samples[1]?.at ?? now) <= now - windowMs) {
      app.samples.shift()
    }
    const oldest = app.samples[0] ?? sample
    const stats =
      oldest === sample
        ? { requestsPerSecond: null, p95Seconds: null }
        : windowStats(oldest, sample)
    const version =
      restarted || app.status.version === null
        ? await readVersion(app.target.url, timeoutMs)
        : app.status.version
    const startTime = sample.sample.startTimeSeconds
    app.status = {
      ...initialAppStatus(app.target),
      status: probe.status,
      detail: probe.detail,
      version,
      uptimeSeconds: startTime === null ? null : Math.max(0, Math.round(now / 1000 - startTime)),
      requestsPerSecond: stats.requestsPerSecond,
      p95Ms: stats.p95Seconds === null ? null : stats.p95Seconds * 1000,
      memoryBytes: sample.sample.residentMemoryBytes,
      checkedAt,
    }
  }

  async #pollService(service: FleetService): Promise<ServiceStatus> {
    const started = performance.now()
    const result = await probeService(service.probe, this.#options.timeoutMs).then(
      () => ({ status: 'up' as const, detail: null }),
      (error: unknown) => ({ status: 'down' as const, detail: failureReason(error) }),
    )
    return {
      ...initialServiceStatus(service),
      ...result,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      checkedAt: new Date().toISOString(),
    }
  }
}

function initialAppStatus(target: FleetApp): AppStatus {
  return {
    name: target.name,
    tier: target.tier,
    route: target.route,
    profile: target.profile,
    status: 'unknown',
    detail: null,
    version: null,
    uptimeSeconds: null,
    requestsPerSecond: null,
    p95Ms: null,
    memoryBytes: null,
    checkedAt: null,
  }
}

function initialServiceStatus(service: FleetService): ServiceStatus {
  return {
    name: service.name,
    description: service.description,
    probe: service.probe.startsWith('tcp:') ? 'tcp' : 'http',
    status: 'unknown',
    detail: null,
    latencyMs: null,
    checkedAt: null,
  }
}
