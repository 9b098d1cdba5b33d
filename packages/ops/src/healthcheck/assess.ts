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

/** `starting`: running, its healthcheck has not passed yet and has not given up either. */
export type Verdict = 'ok' | 'starting' | 'failed'

export interface HealthRow {
  service: string
  required: boolean
  state: string
  health: string
  verdict: Verdict
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

function judge(
  container: ContainerInspect | undefined,
  required: boolean,
): Omit<HealthRow, 'service' | 'required'> {
  if (!container) {
    return {
      state: 'missing',
      health: '-',
      verdict: required ? 'failed' : 'ok',
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
      verdict: exitCode === 0 ? 'ok' : 'failed',
      detail: exitCode === 0 ? 'one-shot completed' : `one-shot failed (exit ${exitCode})`,
    }
  }
  if (state !== 'running')
    return { state, health: health?.Status ?? '-', verdict: 'failed', detail: `exit ${exitCode}` }
  if (!health) return { state, health: '-', verdict: 'ok', detail: 'no healthcheck' }
  const last = health.Log?.at(-1)?.Output.trim()
  const verdict =
    health.Status === 'healthy' ? 'ok' : health.Status === 'starting' ? 'starting' : 'failed'
  const detail =
    verdict === 'ok'
      ? ''
      : verdict === 'starting'
        ? `not healthy yet, ${health.FailingStreak ?? 0} failed check(s) so far`
        : `${health.FailingStreak ?? 0} failing check(s)${last ? `: ${last.slice(0, 80)}` : ''}`
  return { state, health: health.Status, verdict, detail }
}

/** What the exit code says; see EXIT_CODES. */
export function overall(rows: HealthRow[]): Verdict {
  const required = rows.filter((row) => row.required)
  if (required.some((row) => row.verdict === 'failed')) return 'failed'
  return required.some((row) => row.verdict === 'starting') ? 'starting' : 'ok'
}

/**
 * 0 every required service ok; 1 one failed (cron mails on non-zero); 3 none failed but one
 * is still starting, so a script can wait: `until scripts/healthcheck; do [ $? = 3 ] || exit 1; sleep 5; done`.
 * (2 is the CLI's: bad usage, or docker cannot be asked.)
 */
export const EXIT_CODES: Record<Verdict, number> = { ok: 0, failed: 1, starting: 3 }

export const exitCode = (rows: HealthRow[]) => EXIT_CODES[overall(rows)]

export function formatTable(rows: HealthRow[]): string {
  const header = ['SERVICE', 'REQUIRED', 'STATE', 'HEALTH', 'OK', 'DETAIL']
  const lines = rows.map((r) => [
    r.service,
    r.required ? 'yes' : 'no',
    r.state,
    r.health,
    r.verdict === 'failed' ? 'FAIL' : r.verdict,
    r.detail,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const count = (verdict: Verdict) => rows.filter((r) => r.required && r.verdict === verdict).length
  const summary = {
    ok: `all ${rows.length} services ok`,
    failed: `${count('failed')} required service(s) failing`,
    starting: `${count('starting')} required service(s) still starting`,
  }
  return [format(header), ...lines.map(format), '', summary[overall(rows)]].join('\n')
}
