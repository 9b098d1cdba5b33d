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
  p95Ms: number | null
  memoryBytes: number | null
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
}
