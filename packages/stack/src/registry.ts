import type { App, Registry } from './app.js'
import { crossAppProblems } from './cross-checks.js'
import { type Problem, RegistryError } from './problems.js'
import { type AppSource, type CheckedApp, type Claims, readApp } from './read-app.js'
import { deriveRedisDbs } from './redis-db.js'

/**
 * Validates every app source and resolves Redis DB indexes. Throws one RegistryError
 * listing every problem, so nothing is generated from a half-valid registry.
 */
export function buildRegistry(root: string, sources: readonly AppSource[]): Registry {
  const problems: Problem[] = []
  const checked: CheckedApp[] = []
  const claims: Claims[] = []
  const byFolder = [...sources].sort((a, b) => compare(a.folder, b.folder))
  for (const source of byFolder) {
    const result = readApp(source)
    problems.push(...result.problems)
    if (result.app) checked.push(result.app)
    if (result.claims) claims.push(result.claims)
  }
  problems.push(...crossAppProblems(claims))

  const explicitDbs = new Set(checked.flatMap((app) => app.redisDb ?? []))
  const derivedDbs = deriveRedisDbs(
    checked.filter((app) => app.stores.redis && app.redisDb === undefined).map((app) => app.name),
    explicitDbs,
  )
  const apps: App[] = checked.map((app) => {
    const redisDb = app.stores.redis ? (app.redisDb ?? derivedDbs.get(app.name) ?? null) : null
    if (app.stores.redis && redisDb === null) {
      problems.push({
        file: app.manifestFile,
        field: 'flotilla.redisDb',
        message: 'no free Redis DB index left (0-15 are all taken); give fewer apps Redis',
      })
    }
    return { ...app, redisDb }
  })

  if (problems.length > 0) throw new RegistryError(problems)
  return { root, apps }
}

/** Code-unit order: the same on every machine and locale, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
