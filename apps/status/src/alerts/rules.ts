import type { StatusReport } from '../report.js'
import { type AlertsConfig, ruleFor } from './config.js'
import type { Condition } from './engine.js'

const HOUR_MS = 3600_000

/**
 * Every enabled rule on every target it applies to, from one round's report and the backup
 * times (null when no backup folder is watched). A target not yet probed gives no condition.
 */
export function conditions(
  config: AlertsConfig,
  report: StatusReport,
  backups: Map<string, Date | null> | null,
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
  for (const [app, newest] of backups ?? []) {
    const rule = ruleFor(config, 'backupAge', app)
    const ageHours = newest === null ? null : (now.getTime() - newest.getTime()) / HOUR_MS
    add(
      {
        rule: 'backupAge',
        target: app,
        active: ageHours === null || ageHours > rule.maxAgeHours,
        forMs: 0,
        message:
          ageHours === null
            ? `${app} has no complete backup`
            : `${app}'s newest backup is ${Math.floor(ageHours)} h old (over ${rule.maxAgeHours} h)`,
      },
      rule.enabled,
    )
  }
  return found
}
