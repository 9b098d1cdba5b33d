import type { ActiveAlert } from './alerts/engine.js'

/** `unknown` until the first probe of a target has finished. */
export type Health = 'up' | 'degraded' | 'down' | 'unknown'

export interface AppStatus {
  name: string
  tier: string
  route: string
  profile: string | null
  status: Health
  /** Why the app is not up: its failing dependencies or the probe's error. */
  detail: string | null
  version: string | null
  uptimeSeconds: number | null
  /** Over the metrics window; probes of /healthz, /readyz, /metrics and /docs/json excluded. */
  requestsPerSecond: number | null
  p50Ms: number | null
  p95Ms: number | null
  /** Share of the window's requests answered 5xx (0…1). */
  serverErrorRatio: number | null
  memoryBytes: number | null
  /** The container's limit from the registry. */
  memoryLimitBytes: number | null
  checkedAt: string | null
}

export interface ServiceStatus {
  name: string
  description: string
  probe: 'tcp' | 'http'
  status: Health
  detail: string | null
  latencyMs: number | null
  checkedAt: string | null
}

/** GET /api/status; also what the page renders. */
export interface StatusReport {
  generatedAt: string
  pollIntervalMs: number
  apps: AppStatus[]
  services: ServiceStatus[]
  /** The host's memory as this container sees /proc/meminfo (Docker does not virtualise it). */
  machine: { memoryTotalBytes: number; memoryAvailableBytes: number }
  /** False while the history database cannot be reached: charts pause, the rest is live. */
  historyAvailable: boolean
  /** Alerts firing now (the page is one of the places they are sent). */
  alerts: ActiveAlert[]
}
