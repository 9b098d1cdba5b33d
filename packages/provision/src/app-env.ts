import { join } from 'node:path'
import type { ProvisionTarget } from '@flotilla/data/provision-types'
import type { AdminConfig } from './admin-config.js'
import { generatePassword } from './password.js'

/**
 * The contract between the provisioner and an app: `<secretsDir>/apps/<app>.env`, read by
 * the app's `node --env-file`. The only source of the app's names at run time: every one is
 * resourcesFor's, written here, and no client, app or backup derives one again.
 *
 *   DATABASE_URL      postgres://<role>:<password>@<host>/<database>
 *   REDIS_URL         redis://<user>:<password>@<host>/<db index>
 *   REDIS_KEY_PREFIX  <app>:   (the ACL key pattern without `~` and `*`)
 *   CHROMA_URL        the chroma-guard;  CHROMA_TOKEN  the app's guard token (claims below)
 *   CHROMA_TENANT, CHROMA_DATABASE, CHROMA_COLLECTIONS (declared names, comma-separated)
 *   QDRANT_URL, QDRANT_API_KEY (the app's JWT), QDRANT_COLLECTIONS (`docs=kb__docs,…`)
 *   NEO4J_LABEL; community: NEO4J_URL (neo4j-guard), NEO4J_TOKEN (the app's guard token);
 *   enterprise: NEO4J_URL (Bolt), NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE
 *   EMBEDDER_URL, EMBEDDER_TOKEN  the embedder and the app's caller token for it (the
 *                     embedder: EMBEDDER_CALLER_SECRET)
 *
 * The guard and caller tokens are HS256 JWTs (`appToken`, @flotilla/stack) under each
 * service's own secret, without expiry (re-provisioning renews them): `sub` the app, `aud`
 * the service, and as claims the names that service needs, equal to the lines above —
 * CHROMA_TOKEN `tenant` and `database`, NEO4J_TOKEN `label`, EMBEDDER_TOKEN none. The
 * guards read those claims and derive no name.
 */
export function appEnvPath(secretsDir: string, app: string): string {
  return join(secretsDir, 'apps', `${app}.env`)
}

export interface StoreSecret {
  password: string
  /** Generated this run (no file yet, no entry for the store, or rotation asked for). */
  isNew: boolean
}

function passwordIn(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    return decodeURIComponent(new URL(url).password) || undefined
  } catch {
    return undefined
  }
}

function secret(existing: string | undefined, rotate: boolean): StoreSecret {
  if (existing && !rotate) return { password: existing, isNew: false }
  return { password: generatePassword(), isNew: true }
}

export interface AppSecrets {
  postgres?: StoreSecret
  redis?: StoreSecret
  /** Enterprise Neo4j only: Community has no per-app users. */
  neo4j?: StoreSecret
}

/** Keeps the passwords an earlier run wrote unless rotating; generates what is missing. */
export function appSecrets(
  target: ProvisionTarget,
  existing: Record<string, string> | undefined,
  rotate: boolean,
  neo4jMode?: string,
): AppSecrets {
  const secrets: AppSecrets = {}
  if (target.resources.postgres)
    secrets.postgres = secret(passwordIn(existing?.DATABASE_URL), rotate)
  if (target.resources.redis) secrets.redis = secret(passwordIn(existing?.REDIS_URL), rotate)
  if (target.resources.neo4j && neo4jMode === 'enterprise') {
    const kept = existing?.NEO4J_DATABASE ? existing.NEO4J_PASSWORD : undefined
    secrets.neo4j = secret(kept, rotate)
  }
  return secrets
}

function hostOf(url: string): string {
  return new URL(url).host
}

/** The app's env file content; `extra` holds what other store modules contribute (Qdrant, Neo4j). */
export function appEnv(
  target: ProvisionTarget,
  admin: AdminConfig,
  secrets: AppSecrets,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { postgres, redis, chroma } = target.resources
  const env: Record<string, string> = {}
  if (postgres && secrets.postgres && admin.postgres) {
    const host = admin.postgres.appHost ?? hostOf(admin.postgres.url)
    const url = new URL(`postgres://${host}/${encodeURIComponent(postgres.database)}`)
    url.username = postgres.role
    url.password = secrets.postgres.password
    env.DATABASE_URL = url.href
  }
  if (redis && secrets.redis && admin.redis) {
    const host = admin.redis.appHost ?? hostOf(admin.redis.url)
    const url = new URL(`redis://${host}/${redis.db}`)
    url.username = redis.user
    url.password = secrets.redis.password
    env.REDIS_URL = url.href
    env.REDIS_KEY_PREFIX = redis.keyPrefix
  }
  if (chroma && admin.chroma) {
    env.CHROMA_URL = admin.chroma.appUrl ?? admin.chroma.url
    env.CHROMA_TENANT = chroma.tenant
    env.CHROMA_DATABASE = chroma.database
    env.CHROMA_COLLECTIONS = chroma.collections.join(',')
  }
  return { ...env, ...extra }
}
