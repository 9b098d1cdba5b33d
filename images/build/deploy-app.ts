/**
 * Writes the files one app image adds on top of its tier: the app's package.json and
 * "files" (dist, migrations, …) plus a node_modules of exactly the runtime packages the
 * tier does not already provide at the same version (app-only npm packages, workspace
 * packages such as @flotilla/stack). Source, tests and dev dependencies never get there.
 *
 * Usage (inside flotilla/build, from the repository root):
 *   node --import tsx images/build/deploy-app.ts <workspace dir, e.g. apps/notes> <out-dir>
 *   node --import tsx images/build/deploy-app.ts --workspace-packages images/<tier> <out-dir>
 *     (a tier's "workspacePackages", as <out-dir>/@flotilla/<name>, for its node_modules)
 */
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

interface PackageJson {
  name: string
  version: string
  files?: string[]
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  workspacePackages?: string[]
  flotilla?: { tier?: string }
}

const repoRoot = resolve(import.meta.dirname, '../..')
const args = process.argv.slice(2)
const tierMode = args[0] === '--workspace-packages'
const [appArg, outArg] = tierMode ? args.slice(1) : args
if (!appArg || !outArg) {
  console.error(
    'usage: deploy-app.ts <workspace dir, e.g. apps/notes> <out-dir>\n' +
      '       deploy-app.ts --workspace-packages images/<tier> <out-dir>',
  )
  process.exit(2)
}
const outDir = resolve(outArg)
if (tierMode) {
  for (const name of readPackage(resolve(repoRoot, appArg)).workspacePackages ?? []) {
    const dir = workspaceDir(name)
    copyPackageFiles(dir, join(outDir, name), readPackage(dir))
    console.log(`${name} → ${join(outDir, name)}`)
  }
  process.exit(0)
}
const appDir = resolve(repoRoot, appArg)
const app = readPackage(appDir)
const tiers = app.flotilla?.tier === 'ml' ? ['base', 'ml'] : ['base']
const provided = tierPackages(tiers)

mkdirSync(outDir, { recursive: true })
copyPackageFiles(appDir, outDir, app)
const placed = new Map<string, string>()
let copied = 0
copyDependencies(appDir, app, join(outDir, 'node_modules'))
console.log(`${app.name}: tier ${tiers.at(-1)}, ${copied} package(s) beside the tier's → ${outDir}`)

/** name → version of every package a tier image installs at the top of its node_modules. */
function tierPackages(names: string[]): Map<string, string> {
  const packages = new Map<string, string>()
  for (const tier of names) {
    const manifest = readPackage(join(repoRoot, 'images', tier))
    const lock = JSON.parse(
      readFileSync(join(repoRoot, 'images', tier, 'package-lock.json'), 'utf8'),
    )
    for (const [path, entry] of Object.entries<{ version?: string }>(lock.packages)) {
      const name = path.replace(/^node_modules\//, '')
      if (path.startsWith('node_modules/') && !name.includes('/node_modules/') && entry.version) {
        packages.set(name, entry.version)
      }
    }
    for (const name of manifest.workspacePackages ?? []) {
      packages.set(name, readPackage(workspaceDir(name)).version)
    }
  }
  return packages
}

function copyDependencies(fromDir: string, pkg: PackageJson, targetModules: string): void {
  // Optional dependencies are left out, as in the tiers (`npm ci --omit=optional`): here they
  // are native extras such as chromadb's embedded server (50 MB) that a client never loads.
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const dir = findPackage(fromDir, name)
    if (!dir) throw new Error(`${pkg.name} needs ${name}, which is not installed (run npm install)`)
    const dep = readPackage(dir)
    if (provided.get(name) === dep.version) continue
    // Hoisted like npm: one copy per name at the top, a different version nested under
    // the package that needs it.
    const placedVersion = placed.get(name)
    if (placedVersion === dep.version) continue
    const target =
      placedVersion === undefined ? join(outDir, 'node_modules', name) : join(targetModules, name)
    if (placedVersion === undefined) placed.set(name, dep.version)
    copyPackage(dir, target, dep)
    copied++
    copyDependencies(dir, dep, join(target, 'node_modules'))
  }
}

/** Where a workspace package lives (packages/, services/, …): npm's link to it at the root. */
function workspaceDir(name: string): string {
  const dir = findPackage(repoRoot, name)
  if (!dir) throw new Error(`${name} is not a workspace package (run npm install)`)
  return dir
}

/** Node's lookup: node_modules/<name> in each folder from `fromDir` up to the root. */
function findPackage(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) return undefined
  }
}

function copyPackage(dir: string, target: string, pkg: PackageJson): void {
  const isWorkspace = !relative(repoRoot, dir).split(sep).includes('node_modules')
  if (isWorkspace) {
    copyPackageFiles(dir, target, pkg)
    return
  }
  cpSync(dir, target, {
    recursive: true,
    filter: (source) => !relative(dir, source).split(sep).includes('node_modules'),
  })
}

/** What `npm pack` would ship: package.json plus the "files" entries that exist. */
function copyPackageFiles(dir: string, target: string, pkg: PackageJson): void {
  mkdirSync(target, { recursive: true })
  const {
    devDependencies: _dev,
    scripts: _scripts,
    ...runtimeManifest
  } = pkg as PackageJson & {
    devDependencies?: unknown
    scripts?: unknown
  }
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(runtimeManifest, null, 2)}\n`)
  for (const entry of pkg.files ?? []) {
    const source = join(dir, entry)
    if (!existsSync(source)) continue
    cpSync(source, join(target, entry), {
      recursive: true,
      filter: (path) => !/\.(d\.ts|map|tsbuildinfo)$/.test(path),
    })
  }
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson
}
