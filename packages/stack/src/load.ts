import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Registry } from './app.js'
import { RegistryError } from './problems.js'
import type { AppSource } from './read-app.js'
import { buildRegistry } from './registry.js'

/**
 * Loads and validates every apps/<folder>/package.json under `root`. Folders without a
 * package.json are not workspaces, so they are skipped, as npm does.
 */
export async function loadRegistry(root: string): Promise<Registry> {
  const absoluteRoot = resolve(root)
  const appsDir = join(absoluteRoot, 'apps')
  let folders: string[]
  try {
    folders = (await readdir(appsDir)).filter((folder) => !folder.startsWith('.'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new RegistryError([
      { file: 'apps/', field: '', message: `not found under ${absoluteRoot}` },
    ])
  }
  const sources: AppSource[] = []
  for (const folder of folders) {
    const text = await readIfExists(join(appsDir, folder, 'package.json'))
    if (text !== undefined) sources.push({ folder, text })
  }
  return buildRegistry(absoluteRoot, sources)
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}
