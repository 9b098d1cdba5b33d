// npm run generate: write the files derived from the app registry.
// npm run check:    exit 1 naming every stale generated file or tier version drift.
import { resolve } from 'node:path'
import { loadRegistry } from '../load.js'
import { RegistryError } from '../problems.js'
import { staleFiles, writeGenerated } from './files.js'
import { MarkerError } from './markers.js'
import { StoreComposeError } from './stores.js'
import { tierVersionProblems } from './tiers.js'

const root = resolve(import.meta.dirname, '../../../..')
const check = process.argv.includes('--check')

try {
  const registry = await loadRegistry(root)
  if (check) {
    const stale = await staleFiles(registry)
    const tiers = await tierVersionProblems(root)
    for (const path of stale) console.error(`stale: ${path} (run npm run generate)`)
    for (const problem of tiers) console.error(`tier drift: ${problem}`)
    if (stale.length > 0 || tiers.length > 0) process.exit(1)
    console.log(`generated files up to date (${registry.apps.length} apps)`)
  } else {
    const written = await writeGenerated(registry)
    console.log(written.length > 0 ? `wrote ${written.join(', ')}` : 'generated files up to date')
  }
} catch (error) {
  if (
    !(
      error instanceof RegistryError ||
      error instanceof MarkerError ||
      error instanceof StoreComposeError
    )
  ) {
    throw error
  }
  console.error(error.message)
  process.exit(1)
}
