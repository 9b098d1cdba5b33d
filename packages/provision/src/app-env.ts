import { join } from 'node:path'
import type { CredentialEnv } from '@flotilla/data/provision-types'
import type { StoreName } from '@flotilla/stack'
import { generatePassword } from './password.js'
import { formatEnvFile } from './secret-file.js'

/**
 * The contract between the provisioner and an app: `<secretsDir>/apps/<app>.env`, read by
 * the app's `node --env-file`. The only source of the app's names at run time: every one is
 * resourcesFor's, written here, and no client, app or backup derives one again.
 *
 * Each store writes its own variables (`packages/data/src/<store>/credentials.ts`, listed in
 * that store's README); the embedder adds EMBEDDER_URL and EMBEDDER_TOKEN, the app's caller
 * token for it (the embedder itself: EMBEDDER_CALLER_SECRET; see embedder.ts).
 *
 * The guard and caller tokens are HS256 JWTs (`appToken`, @flotilla/stack) under each
 * service's own secret, without expiry (re-provisioning renews them): `sub` the app, `aud`
 * the service, and as claims the names that service needs, equal to the file's variables —
 * CHROMA_TOKEN `tenant` and `database`, NEO4J_TOKEN `label`, EMBEDDER_TOKEN none. The
 * guards read those claims and derive no name.
 */
export function appEnvPath(secretsDir: string, app: string): string {
  return join(secretsDir, 'apps', `${app}.env`)
}

/** The file's content. */
export function appEnvFile(app: string, env: CredentialEnv): string {
  return formatEnvFile(`credentials of app ${app}, written by scripts/provision; never commit`, env)
}

export interface StoreSecret {
  password: string
  /** Generated this run (no file yet, no entry for the store, or rotation asked for). */
  isNew: boolean
}

/** The app's password in each store that gives it one (its `credentials.password`). */
export type AppSecrets = { [S in StoreName]?: StoreSecret }

/** Keeps the password an earlier run wrote unless rotating; generates it otherwise. */
export function storeSecret(kept: string | undefined, rotate: boolean): StoreSecret {
  if (kept && !rotate) return { password: kept, isNew: false }
  return { password: generatePassword(), isNew: true }
}
