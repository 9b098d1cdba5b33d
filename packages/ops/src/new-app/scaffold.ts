import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadRegistry, RegistryError, writeGenerated } from '@flotilla/stack'
import { NewAppError, type NewAppPlan, type NewAppRequest, planNewApp } from './request.js'

export const TEMPLATES_DIR = resolve(import.meta.dirname, '../../templates')

export interface NewAppResult {
  plan: NewAppPlan
  files: string[]
  generated: string[]
}

/**
 * Scaffolds apps/<name> and regenerates compose, nginx and .env.example. Every check (name,
 * collisions, the whole registry with the new manifest in it) runs before the first write.
 */
export async function newApp(
  root: string,
  request: NewAppRequest,
  log: (line: string) => void = () => {},
): Promise<NewAppResult> {
  const plan = planNewApp(await loadRegistry(root), request)
  const packageJson = packageJsonFor(plan)
  await assertRegistryAccepts(root, plan.name, packageJson)
  log(
    `==> ${plan.dir}: ${plan.tier} tier, route ${plan.manifest.route}, port ${plan.manifest.port}`,
  )

  const target = join(root, plan.dir)
  const files = await copyTemplate(plan, target)
  await writeFile(join(target, 'package.json'), packageJson)
  files.push(`${plan.dir}/package.json`)
  for (const file of files) log(`    wrote ${file}`)

  const generated = await writeGenerated(await loadRegistry(root))
  log(`==> generated: ${generated.length > 0 ? generated.join(', ') : 'nothing changed'}`)
  return { plan, files, generated }
}

function packageJsonFor(plan: NewAppPlan): string {
  const manifest = {
    name: `@flotilla/${plan.name}`,
    version: '0.1.0',
    private: true,
    type: 'module',
    main: 'dist/main.js',
    files: ['dist'],
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      start: 'node dist/main.js',
      dev: 'FASTIFY_AUTOLOAD_TYPESCRIPT=1 node --watch --import tsx src/main.ts',
      typecheck: 'tsc --noEmit',
      lint: 'biome check .',
      test: 'FASTIFY_AUTOLOAD_TYPESCRIPT=1 node --import tsx --test test/*.test.ts',
    },
    flotilla: plan.manifest,
    dependencies: {
      '@fastify/autoload': '^6.5.0',
      '@flotilla/data': '^0.1.0',
      '@flotilla/service': '^0.1.0',
      fastify: '^5.12.8',
      'fastify-plugin': '^6.0.1',
      typebox: '^1.4.3',
    },
    devDependencies: { '@flotilla/tsconfig': '^0.1.0', tsx: '^4.23.15' },
  }
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** Loads the registry as it would be with the new app, in a scratch copy of the manifests. */
async function assertRegistryAccepts(root: string, name: string, packageJson: string) {
  const scratch = await mkdtemp(join(tmpdir(), 'flotilla-new-app-'))
  try {
    const apps = await readdir(join(root, 'apps'))
    for (const folder of [...apps, name]) {
      const text =
        folder === name
          ? packageJson
          : await readFile(join(root, 'apps', folder, 'package.json'), 'utf8').catch(() => null)
      if (text === null) continue
      await mkdir(join(scratch, 'apps', folder), { recursive: true })
      await writeFile(join(scratch, 'apps', folder, 'package.json'), text)
    }
    await loadRegistry(scratch)
  } catch (error) {
    if (error instanceof RegistryError) {
      throw new NewAppError(error.problems.map((p) => `${p.file}: ${p.field}: ${p.message}`))
    }
    throw error
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** The app template (one for both tiers: the manifest says the rest), placeholders filled in. */
async function copyTemplate(plan: NewAppPlan, target: string): Promise<string[]> {
  const stores = Object.entries(plan.manifest.stores).flatMap(([store, used]) =>
    used ? [`'${store}'`] : [],
  )
  const replacements: Record<string, string> = {
    __NAME__: plan.name,
    __ROUTE__: plan.manifest.route,
    __TIER__: plan.tier,
    __STORES__: stores.join(', '),
  }
  const written = new Set<string>()
  const dir = join(TEMPLATES_DIR, 'app')
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  for (const entry of entries.filter((e) => e.isFile())) {
    const relative = join(entry.parentPath, entry.name).slice(dir.length + 1)
    const text = await readFile(join(dir, relative), 'utf8')
    const filled = text.replace(
      /__NAME__|__ROUTE__|__TIER__|__STORES__/g,
      (token) => replacements[token] ?? token,
    )
    await mkdir(join(target, relative, '..'), { recursive: true })
    await writeFile(join(target, relative), filled)
    written.add(`${plan.dir}/${relative}`)
  }
  return [...written].sort()
}
