import { probeApp, readVersion } from './app-probe.js'
import type { Fleet, FleetApp, FleetService } from './fleet.js'
import type { Round, TargetSample } from './history/store.js'
import { failureReason, probeService } from './probes.js'
import type { AppStatus, ServiceStatus } from './report.js'
import { type TimedSample, windowStats } from './window.js'

export interface MonitorOptions {
  fleet: Fleet
  intervalMs: number
  timeoutMs: number
  /** Rate and p95 are taken over about this much recent time. */
  windowMs: number
  onError?: (error: unknown) => void
  /** Receives every finished round (history, alerts); awaited before the next is scheduled. */
  onRound?: (round: Round) => Promise<void>
}

/** What a round knows of the fleet; the app adds history and alerts to make a StatusReport. */
export interface FleetSnapshot {
  generatedAt: string
  pollIntervalMs: number
  apps: AppStatus[]
  services: ServiceStatus[]
}

interface AppState {
  target: FleetApp
  status: AppStatus
  /** Scrapes of the current process, oldest first, spanning about one window. */
  samples: TimedSample[]
  /** The process start time last seen, kept while the app is down to count restarts. */
  startTime: number | null
  restartedThisRound: boolean
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
      startTime: null,
      restartedThisRound: false,
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

  report(): FleetSnapshot {
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
    const at = new Date()
    this.#generatedAt = at.toISOString()
    await this.#options.onRound?.({ at, samples: this.#roundSamples() })
  }

  #roundSamples(): TargetSample[] {
    const apps = this.#apps.map(({ status, restartedThisRound }) => ({
      target: status.name,
      status: status.status === 'unknown' ? ('down' as const) : status.status,
      detail: status.detail,
      requestsPerSecond: status.requestsPerSecond,
      p50Ms: status.p50Ms,
      p95Ms: status.p95Ms,
      serverErrorRatio: status.serverErrorRatio,
      memoryBytes: status.memoryBytes,
      memoryLimitBytes: status.memoryLimitBytes,
      restarts: restartedThisRound ? 1 : 0,
      latencyMs: null,
    }))
    const services = this.#services.map((status) => ({
      target: status.name,
      status: status.status === 'unknown' ? ('down' as const) : status.status,
      detail: status.detail,
      requestsPerSecond: null,
      p50Ms: null,
      p95Ms: null,
      serverErrorRatio: null,
      memoryBytes: null,
      memoryLimitBytes: null,
      restarts: 0,
      latencyMs: status.latencyMs,
    }))
    return [...apps, ...services]
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
    app.restartedThisRound = false
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
    const startTime = sample.sample.startTimeSeconds
    app.restartedThisRound =
      startTime !== null && app.startTime !== null && startTime !== app.startTime
    app.startTime = startTime ?? app.startTime
    const restarted = app.samples.at(-1)?.sample.startTimeSeconds !== sample.sample.startTimeSeconds
    app.samples = restarted ? [sample] : [...app.samples, sample]
    while (app.samples.length > 2 && (app.samples[1]?.at ?? now) <= now - windowMs) {
      app.samples.shift()
    }
    const oldest = app.samples[0] ?? sample
    const stats =
      oldest === sample
        ? { requestsPerSecond: null, p50Seconds: null, p95Seconds: null, serverErrorRatio: null }
        : windowStats(oldest, sample)
    const version =
      restarted || app.status.version === null
        ? await readVersion(app.target.url, timeoutMs)
        : app.status.version
    app.status = {
      ...initialAppStatus(app.target),
      status: probe.status,
      detail: probe.detail,
      version,
      uptimeSeconds: startTime === null ? null : Math.max(0, Math.round(now / 1000 - startTime)),
      requestsPerSecond: stats.requestsPerSecond,
      p50Ms: stats.p50Seconds === null ? null : stats.p50Seconds * 1000,
      p95Ms: stats.p95Seconds === null ? null : stats.p95Seconds * 1000,
      serverErrorRatio: stats.serverErrorRatio,
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
    p50Ms: null,
    p95Ms: null,
    serverErrorRatio: null,
    memoryBytes: null,
    memoryLimitBytes: target.memoryLimitBytes,
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
