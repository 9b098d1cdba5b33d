import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export const TIER_DIRS = ['images/base', 'images/ml']

/**
 * Tier images install their packages from their own lock, but apps are built against the
 * root one: a version that differs would run code nobody tested. Lists each mismatch.
 */
export async function tierVersionProblems(root: string): Promise<string[]> {
  const rootLock = await readJson(join(root, 'package-lock.json'))
  const locked = (rootLock.packages ?? {}) as Record<string, { version?: string }>
  const problems: string[] = []
  for (const dir of TIER_DIRS) {
    const manifest = await readJson(join(root, dir, 'package.json'))
    const dependencies = (manifest.dependencies ?? {}) as Record<string, string>
    for (const [name, version] of Object.entries(dependencies)) {
      const expected = locked[`node_modules/${name}`]?.version
      if (expected === undefined) {
        problems.push(`${dir}/package.json: ${name} is not in the root package-lock.json`)
      } else if (version !== expected) {
        problems.push(
          `${dir}/package.json: ${name} is ${version} but the root package-lock.json has ${expected} (set it, then: cd ${dir} && npm install --package-lock-only)`,
        )
      }
    }
  }
  return problems
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
}
