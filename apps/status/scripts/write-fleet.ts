/**
 * Build step: the container holds only this app's dist/, not the repository, so the fleet
 * is read from the registry now and shipped as dist/fleet.json.
 * Usage: node --import tsx scripts/write-fleet.ts [out-file]
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadRegistry, RegistryError } from '@flotilla/stack'
import { fleetFromRegistry } from './fleet-from-registry.js'

const appDir = fileURLToPath(new URL('..', import.meta.url))
const repoRoot = resolve(appDir, '../..')
const outFile = resolve(appDir, process.argv[2] ?? 'dist/fleet.json')

try {
  const fleet = fleetFromRegistry(await loadRegistry(repoRoot))
  await mkdir(dirname(outFile), { recursive: true })
  await writeFile(outFile, `${JSON.stringify(fleet, null, 2)}\n`)
  process.stdout.write(
    `wrote ${outFile}: ${fleet.apps.length} apps, ${fleet.services.length} shared services\n`,
  )
} catch (error) {
  if (!(error instanceof RegistryError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}
