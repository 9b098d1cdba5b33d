/** The part of `docker inspect` the health table reads. */
export interface ContainerInspect {
  Name: string
  State: {
    Status: string
    ExitCode: number
    StartedAt?: string
    Health?: {
      Status: string
      FailingStreak?: number
      Log?: { Output: string; ExitCode: number }[]
    }
  }
  Config: { Labels?: Record<string, string> | null; Healthcheck?: { Test?: string[] } }
  HostConfig: { RestartPolicy?: { Name: string } }
}

export interface ExpectedService {
  service: string
  /** False for services of a profile that is not active (e.g. the ML tier). */
  required: boolean
}

export interface HealthRow {
  service: string
  required: boolean
  state: string
  health: string
  ok: boolean
  detail: string
}

const SERVICE_LABEL = 'com.docker.compose.service'

/**
 * One row per expected service (plus any other container of the project): healthy when its
 * healthcheck says so, running when it has none, or — for a one-shot (restart "no", no
 * healthcheck) — exited with code 0.
 */
export function assess(containers: ContainerInspect[], expected: ExpectedService[]): HealthRow[] {
  const byService = new Map<string, ContainerInspect[]>()
  for (const container of containers) {
    const service = container.Config.Labels?.[SERVICE_LABEL] ?? container.Name.replace(/^\//, '')
    byService.set(service, [...(byService.get(service) ?? []), container])
  }
  const required = new Map(expected.map((e) => [e.service, e.required]))
  const names = [...new Set([...required.keys(), ...byService.keys()])].sort()
  return names.map((service) => {
    const isRequired = required.get(service) ?? true
    // A run container (`compose run`) may sit beside the service's own: judge the newest.
    const container = byService
      .get(service)
      ?.sort((a, b) => (b.State.StartedAt ?? '').localeCompare(a.State.StartedAt ?? ''))[0]
    return { service, required: isRequired, ...judge(container, isRequired) }
  })
}

function judge(container: ContainerInspect | undefined, required: boolean) {
  if (!container) {
    return {
      state: 'missing',
      health: '-',
      ok: !required,
      detail: required ? 'no container' : 'profile not active',
    }
  }
  const { Status: state, ExitCode: exitCode, Health: health } = container.State
  const hasCheck =
    Boolean(container.Config.Healthcheck?.Test?.length) &&
    container.Config.Healthcheck?.Test?.[0] !== 'NONE'
  const oneShot = !hasCheck && (container.HostConfig.RestartPolicy?.Name ?? 'no') === 'no'
  if (state === 'exited' && oneShot) {
    return {
      state,
      health: '-',
      ok: exitCode === 0,
      detail: exitCode === 0 ? 'one-shot completed' : `one-shot failed (exit ${exitCode})`,
    }
  }
  if (state !== 'running')
    return { state, health: health?.Status ?? '-', ok: false, detail: `exit ${exitCode}` }
  if (!health) return { state, health: '-', ok: true, detail: 'no healthcheck' }
  const last = health.Log?.at(-1)
  const detail =
    health.Status === 'healthy'
      ? ''
      : `${health.FailingStreak ?? 0} failing check(s)${last?.Output.trim() ? `: ${last.Output.trim().slice(0, 80)}` : ''}`
  return { state, health: health.Status, ok: health.Status === 'healthy', detail }
}

/** 0 when every required service is ok, 1 otherwise: cron mails on non-zero. */
export function exitCode(rows: HealthRow[]): number {
  return rows.some((row) => row.required && !row.ok) ? 1 : 0
}

export function formatTable(rows: HealthRow[]): string {
  const header = ['SERVICE', 'REQUIRED', 'STATE', 'HEALTH', 'OK', 'DETAIL']
  const lines = rows.map((r) => [
    r.service,
    r.required ? 'yes' : 'no',
    r.state,
    r.health,
    r.ok ? 'ok' : 'FAIL',
    r.detail,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const failing = rows.filter((r) => r.required && !r.ok).length
  return [
    format(header),
    ...lines.map(format),
    '',
    failing === 0 ? `all ${rows.length} services ok` : `${failing} required service(s) failing`,
  ].join('\n')
}
