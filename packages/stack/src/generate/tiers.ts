import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export const TIER_DIRS = ['images/base', 'images/ml']

/**
 * Tier images install their packages from their own lock, but apps are built against the
 * root one: a version that differs would run code nobody tested. Lists each mismatch.
 */
export async function tierVersionProblems(root: string): Promise<string[]> {
  const rootLock = await readJson(join(root, 'package-lock.json'))
  const locked = (rootLock.packages ?? {}) as Record<
    string,
    { version?: string; resolved?: string }
  >
  const problems: string[] = []
  // What a tier and the tiers below it install: a workspace package living in a tier resolves
  // its own imports there, never from the app layer above it.
  const installed = new Set<string>()
  for (const dir of TIER_DIRS) {
    const manifest = await readJson(join(root, dir, 'package.json'))
    const dependencies = (manifest.dependencies ?? {}) as Record<string, string>
    const workspacePackages = (manifest.workspacePackages ?? []) as string[]
    for (const name of [...Object.keys(dependencies), ...workspacePackages]) installed.add(name)
    for (const name of workspacePackages) {
      // A workspace package's folder (packages/, services/, …) as npm recorded its link.
      const folder = locked[`node_modules/${name}`]?.resolved
      if (folder === undefined) {
        problems.push(
          `${dir}/package.json: ${name} is not a workspace package of the root package-lock.json`,
        )
        continue
      }
      const own = await readJson(join(root, folder, 'package.json'))
      for (const needed of Object.keys((own.dependencies ?? {}) as Record<string, string>)) {
        if (!installed.has(needed)) {
          problems.push(
            `${dir}/package.json: ${name} (a workspacePackage of this tier) needs ${needed}, which neither this tier nor one below it installs`,
          )
        }
      }
    }
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
