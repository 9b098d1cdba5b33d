import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { formatProblem, loadRegistry, type Problem, RegistryError } from '../src/index.js'

export function manifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tier: 'base',
    route: '/notes/',
    port: 3000,
    stores: { postgres: true },
    resources: { memory: '192M', cpus: '0.50' },
    profile: null,
    ...overrides,
  }
}

/** A package.json for folder `name` whose manifest is `manifest(overrides)`. */
export function appPackage(name: string, overrides: Record<string, unknown> = {}) {
  return { name: `@flotilla/${name}`, version: '0.1.0', flotilla: manifest(overrides) }
}

/**
 * A throwaway repository root with apps/<folder>/package.json for each entry; a string
 * entry is written verbatim (for broken JSON), `null` makes a folder without package.json.
 */
export async function fakeRoot(
  t: TestContext,
  apps: Record<string, object | string | null>,
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'flotilla-stack-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'apps'))
  for (const [folder, pkg] of Object.entries(apps)) {
    await mkdir(join(root, 'apps', folder), { recursive: true })
    if (pkg === null) continue
    const text = typeof pkg === 'string' ? pkg : JSON.stringify(pkg, null, 2)
    await writeFile(join(root, 'apps', folder, 'package.json'), text)
  }
  return root
}

/** Loads `root`, expects a RegistryError, and returns its problems. */
export async function problemsOf(root: string): Promise<readonly Problem[]> {
  const error = await loadRegistry(root).then(
    () => assert.fail('expected the registry to be refused'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof RegistryError, `expected RegistryError, got ${error}`)
  return error.problems
}

/**
 * Asserts that loading `root` fails with a problem in `file` at `field` whose message
 * matches `message`, and that the thrown message names both file and field.
 */
export async function assertProblem(
  root: string,
  file: string,
  field: string,
  message: RegExp,
): Promise<void> {
  const error = await loadRegistry(root).catch((e: unknown) => e)
  assert.ok(error instanceof RegistryError, `expected RegistryError, got ${String(error)}`)
  const hit = error.problems.find(
    (p) => p.file === file && p.field === field && message.test(p.message),
  )
  assert.ok(hit, `no problem ${file} ${field} ~ ${message} in:\n${error.message}`)
  assert.ok(error.message.includes(formatProblem(hit)), 'thrown message lists the problem')
}
