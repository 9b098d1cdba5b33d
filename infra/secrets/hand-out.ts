/**
 * Runs in the `provision` service right after the provisioner: gives each app's
 * credential file (<dir>/apps/<app>.env) to that app alone. Owner = the app's uid (compose
 * runs the app as `appUid(app)`), mode 0400; the folder is traversable but not listable.
 * Another app, running as another uid on the same volume, cannot read it.
 *
 * Usage: node infra/secrets/hand-out.ts <secrets-dir>   (scripts/provision's SECRETS_DIR)
 * Node 24 (the images') runs this file as it is, stripping its types; Node 20 needs --import tsx.
 * So: erasable TypeScript only (no enums, namespaces or parameter properties).
 */
import { chmod, chown, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { appUid, loadRegistry } from '@flotilla/stack'

const [dirArgument] = process.argv.slice(2)
if (!dirArgument) {
  console.error('usage: hand-out.ts <secrets-dir>')
  process.exit(2)
}
const secretsDir = resolve(dirArgument)
const appsDir = join(secretsDir, 'apps')
const registry = await loadRegistry(resolve(import.meta.dirname, '../..'))
const files = new Set(await readdir(appsDir).catch(() => [] as string[]))

await chmod(secretsDir, 0o711)
await chmod(appsDir, 0o711).catch(() => undefined)
for (const app of registry.apps) {
  const file = `${app.name}.env`
  if (!files.has(file)) continue
  const uid = appUid(app)
  await chmod(join(appsDir, file), 0o400)
  await chown(join(appsDir, file), uid, uid)
  console.log(`hand-out: ${file} → uid ${uid}, mode 0400`)
}
