import type { Problem } from './problems.js'
import type { Claims } from './read-app.js'

/** Problems between apps: shared routes, ports and Redis DB indexes, in the given order. */
export function crossAppProblems(apps: readonly Claims[]): Problem[] {
  return [
    ...duplicates(apps, 'flotilla.route', (app) => app.route),
    ...nestedRoutes(apps),
    ...duplicates(apps, 'flotilla.port', (app) => app.port),
    ...duplicates(apps, 'flotilla.redisDb', (app) => app.redisDb),
  ]
}

function duplicates<T>(
  apps: readonly Claims[],
  field: string,
  claimOf: (app: Claims) => T | undefined,
): Problem[] {
  const firstOwner = new Map<T, Claims>()
  const problems: Problem[] = []
  for (const app of apps) {
    const value = claimOf(app)
    if (value === undefined) continue
    const owner = firstOwner.get(value)
    if (owner) {
      problems.push({
        file: app.file,
        field,
        message: `${JSON.stringify(value)} is already used by ${describe(owner)}`,
      })
    } else {
      firstOwner.set(value, app)
    }
  }
  return problems
}

/** "/" may sit above everything (the status page); any other overlap splits one path space. */
function nestedRoutes(apps: readonly Claims[]): Problem[] {
  const problems: Problem[] = []
  for (const { route, file } of apps) {
    for (const outer of apps) {
      if (!route || !outer.route || outer.route === '/' || outer.route === route) continue
      if (route.startsWith(outer.route)) {
        problems.push({
          file,
          field: 'flotilla.route',
          message: `"${route}" lies inside "${outer.route}" of ${describe(outer)}`,
        })
      }
    }
  }
  return problems
}

function describe(app: Claims): string {
  return `${app.owner} (${app.file})`
}
