import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Registry } from '../app.js'
import { composeAppAnchor, composeAppServices } from './compose.js'
import { envExampleApps } from './env-example.js'
import { replaceBlock } from './markers.js'
import { nginxLimits, nginxRoutes, nginxUpstreams } from './nginx.js'
import { composeStoreServices, composeStoreVolumes, readStoreComposes } from './stores.js'
import { swarmStack } from './swarm.js'

export interface GeneratedFile {
  /** POSIX path relative to the registry root. */
  path: string
  content: string
}

/**
 * The full expected content of every generated file: whole files, or hand-written files
 * whose marked blocks are filled in from the registry and the stores' compose.yml files.
 */
export async function generatedFiles(registry: Registry): Promise<GeneratedFile[]> {
  const withBlocks = async (
    path: string,
    blocks: Record<string, string>,
  ): Promise<GeneratedFile> => {
    let content = await readFile(join(registry.root, path), 'utf8')
    for (const [block, body] of Object.entries(blocks)) {
      content = replaceBlock(path, content, block, body)
    }
    return { path, content }
  }
  const stores = await readStoreComposes(registry.root)
  const compose = await withBlocks('docker-compose.yml', {
    'x-app': composeAppAnchor(),
    stores: composeStoreServices(stores),
    apps: composeAppServices(registry),
    'store-volumes': composeStoreVolumes(stores),
  })
  return [
    compose,
    // docker-compose.yml as it is generated now, so both change in one run.
    {
      path: 'docker-stack.yml',
      content: await swarmStack(
        registry,
        compose.content,
        await readFile(join(registry.root, 'nginx/nginx.conf'), 'utf8'),
      ),
    },
    await withBlocks('.env.example', { apps: envExampleApps(registry) }),
    { path: 'nginx/generated/limits.conf', content: nginxLimits(registry) },
    { path: 'nginx/generated/upstreams.conf', content: nginxUpstreams(registry) },
    { path: 'nginx/generated/routes.conf', content: nginxRoutes(registry) },
  ]
}

/** Paths whose content on disk differs from what the registry generates. */
export async function staleFiles(registry: Registry): Promise<string[]> {
  const stale: string[] = []
  for (const file of await generatedFiles(registry)) {
    const current = await readFile(join(registry.root, file.path), 'utf8').catch(() => undefined)
    if (current !== file.content) stale.push(file.path)
  }
  return stale
}

/** Writes every generated file that changed; returns their paths. */
export async function writeGenerated(registry: Registry): Promise<string[]> {
  const stale = await staleFiles(registry)
  for (const file of await generatedFiles(registry)) {
    if (stale.includes(file.path)) await writeFile(join(registry.root, file.path), file.content)
  }
  return stale
}
