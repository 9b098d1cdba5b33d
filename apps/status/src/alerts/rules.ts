import type { StatusReport } from '../report.js'
import type { BackupState } from './backups.js'
import { type AlertsConfig, ruleFor } from './config.js'
import { type Condition, duration } from './engine.js'

const HOUR_MS = 3600_000

/**
 * Every enabled rule on every target it applies to, from one round's report and the backups
 * (null when they are not watched). A target not yet probed gives no condition.
 */
export function conditions(
  config: AlertsConfig,
  report: StatusReport,
  backups: readonly BackupState[] | null,
  now: Date,
): Condition[] {
  const found: Condition[] = []
  const add = (condition: Condition, enabled: boolean) => {
    if (enabled) found.push(condition)
  }
  for (const app of report.apps) {
    if (app.status === 'unknown') continue
    const down = ruleFor(config, 'appDown', app.name)
    add(
      {
        rule: 'appDown',
        target: app.name,
        active: app.status === 'down',
        forMs: down.forSeconds * 1000,
        message: `${app.name} is down${app.detail ? `: ${app.detail}` : ''}`,
      },
      down.enabled,
    )
    const p95 = ruleFor(config, 'p95', app.name)
    add(
      {
        rule: 'p95',
        target: app.name,
        active: app.p95Ms !== null && app.p95Ms > p95.thresholdMs,
        forMs: p95.forSeconds * 1000,
        message: `${app.name} p95 latency ${Math.round(app.p95Ms ?? 0)} ms is over ${p95.thresholdMs} ms`,
      },
      p95.enabled,
    )
    const memory = ruleFor(config, 'memory', app.name)
    const used =
      app.memoryBytes !== null && app.memoryLimitBytes !== null
        ? app.memoryBytes / app.memoryLimitBytes
        : null
    add(
      {
        rule: 'memory',
        target: app.name,
        active: used !== null && used > memory.ratio,
        forMs: memory.forSeconds * 1000,
        message: `${app.name} uses ${Math.round((used ?? 0) * 100)}% of its memory limit (over ${Math.round(memory.ratio * 100)}%)`,
      },
      memory.enabled,
    )
  }
  for (const service of report.services) {
    if (service.status === 'unknown') continue
    const down = ruleFor(config, 'serviceDown', service.name)
    add(
      {
        rule: 'serviceDown',
        target: service.name,
        active: service.status === 'down',
        forMs: down.forSeconds * 1000,
        message: `${service.name} is unreachable${service.detail ? `: ${service.detail}` : ''}`,
      },
      down.enabled,
    )
  }
  for (const backup of backups ?? []) {
    const rule = ruleFor(config, 'backupAge', backup.app)
    const limitMs = rule.maxAgeHours * HOUR_MS
    // No backup yet: the time watched stands in for the age, so a new stack gets its schedule.
    const ageMs = now.getTime() - (backup.finishedAt ?? backup.watchedSince).getTime()
    const schedule = `schedule: ${duration(limitMs)}`
    add(
      {
        rule: 'backupAge',
        target: backup.app,
        active: ageMs > limitMs,
        forMs: 0,
        message: backup.unreadable
          ? `${backup.app}'s backup record cannot be read (${backup.unreadable})`
          : backup.finishedAt === null
            ? `${backup.app} has no backup yet, watched for ${duration(ageMs)} (${schedule})`
            : `${backup.app}'s newest backup is ${duration(ageMs)} old (${schedule})`,
      },
      rule.enabled,
    )
  }
  return found
}
