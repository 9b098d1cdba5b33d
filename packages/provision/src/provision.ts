import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DEFAULT_QDRANT_TOKEN_POLICY,
  isQdrantTokenCurrent,
  mintQdrantToken,
  neo4jGuardToken,
  qdrantTokenExpiry,
  readEnvFile,
} from '@flotilla/data'
import {
  appToken,
  loadRegistry,
  type Registry,
  resourcesFor,
  type StoreName,
} from '@flotilla/stack'
import type { AdminConfig } from './admin-config.js'
import { type AppSecrets, appEnv, appEnvPath, appSecrets } from './app-env.js'
import { checkChromaAdmin, provisionChroma } from './chroma.js'
import { EMBEDDER_APP, embedderCallerEnv } from './embedder.js'
import { neo4jPrincipal, provisionNeo4j } from './neo4j.js'
import { connectPostgresAdmin, provisionPostgres } from './postgres.js'
import { provisionQdrant } from './qdrant.js'
import { connectRedisAdmin, provisionRedis } from './redis.js'
import { formatEnvFile, writeSecretFile } from './secret-file.js'
import type { Change, ProvisionTarget } from './types.js'

export interface ProvisionOptions {
  /** Apps whose passwords are replaced this run. */
  rotate?: string[]
  /** Progress lines (never secrets). */
  log?: (line: string) => void
  /**
   * Stores this stack runs without (e.g. no Qdrant image on the machine): their apps are
   * provisioned for every other store and get no credentials for these, so they report the
   * store down (degraded) instead of the whole run being refused. Named explicitly, so a
   * store merely misconfigured still stops the run.
   */
  skipStores?: StoreName[]
}

export class ProvisionError extends Error {
  constructor(readonly problems: string[]) {
    super(`refusing to provision:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ProvisionError'
  }
}

const ADMIN_SETTING: Record<StoreName, string> = {
  postgres: 'POSTGRES_ADMIN_URL',
  redis: 'REDIS_ADMIN_URL',
  chroma: 'CHROMA_GUARD_URL',
  qdrant: 'QDRANT_ADMIN_URL',
  neo4j: 'NEO4J_ADMIN_URL',
}

export function provisionTargets(registry: Registry): ProvisionTarget[] {
  return registry.apps.map((app) => ({ name: app.name, resources: resourcesFor(app) }))
}

/** Everything wrong with the request, found before any server is touched. */
function problemsWith(
  targets: ProvisionTarget[],
  admin: AdminConfig,
  rotate: string[],
  skipStores: Set<StoreName>,
): string[] {
  const problems: string[] = []
  for (const target of targets) {
    for (const store of Object.keys(target.resources) as StoreName[]) {
      if (skipStores.has(store)) {
        if (admin[store]) problems.push(`${store} is both skipped and configured`)
      } else if (!admin[store]) {
        problems.push(
          `app ${target.name} uses ${store}, but ${ADMIN_SETTING[store]} is not configured`,
        )
      }
    }
  }
  const neo4j = admin.neo4j
  if (neo4j?.mode === 'community' && !neo4j.guard && targets.some((t) => t.resources.neo4j)) {
    problems.push(
      'neo4j community: apps reach Neo4j only through neo4j-guard, but NEO4J_GUARD_URL / NEO4J_GUARD_SECRET are not configured',
    )
  }
  const names = new Set(targets.map((t) => t.name))
  if (names.has(EMBEDDER_APP) && !admin.embedderCallerSecret) {
    problems.push(
      `app ${EMBEDDER_APP} checks other apps' caller tokens, but EMBEDDER_CALLER_SECRET is not configured`,
    )
  }
  for (const app of rotate) {
    if (!names.has(app)) problems.push(`--rotate ${app}: no such app in the registry`)
  }
  return problems
}

/**
 * Applies the registry's desired state to running servers and writes each app's credential
 * file; returns what changed (nothing on a re-run). Never drops anything: an app removed
 * from the registry keeps its data until an operator removes it.
 */
export async function provision(
  registry: Registry,
  admin: AdminConfig,
  options: ProvisionOptions = {},
): Promise<Change[]> {
  const log = options.log ?? (() => {})
  const rotate = new Set(options.rotate ?? [])
  const targets = provisionTargets(registry)
  const skipStores = new Set(options.skipStores ?? [])
  const problems = [...new Set(problemsWith(targets, admin, [...rotate], skipStores))]
  if (problems.length > 0) throw new ProvisionError(problems)
  for (const store of skipStores) {
    const users = targets.filter((t) => t.resources[store]).map((t) => t.name)
    if (users.length > 0)
      log(`${store}: skipped (not in this stack); ${users.join(', ')} will see it down`)
  }
  const uses = (store: StoreName) => targets.some((t) => t.resources[store])

  const secrets = new Map<string, { existing?: Record<string, string>; secrets: AppSecrets }>()
  for (const target of targets) {
    const existing = await readEnvFile(appEnvPath(admin.secretsDir, target.name))
    secrets.set(target.name, {
      ...(existing ? { existing } : {}),
      secrets: appSecrets(target, existing, rotate.has(target.name), admin.neo4j?.mode),
    })
  }
  const secretsOf = (app: string) => (secrets.get(app) as { secrets: AppSecrets }).secrets

  // Connect to every store first: an unreachable one stops the run before any change.
  log(`provisioning ${targets.length} app(s): ${targets.map((t) => t.name).join(', ') || '(none)'}`)
  const postgres =
    admin.postgres && uses('postgres') ? await connectPostgresAdmin(admin.postgres.url) : undefined
  const changes: Change[] = []
  const redis =
    admin.redis && uses('redis')
      ? await connectRedisAdmin(admin.redis).catch(async (error) => {
          await postgres?.end()
          throw error
        })
      : undefined
  try {
    if (admin.chroma && uses('chroma')) await checkChromaAdmin(admin.chroma)

    if (postgres && admin.postgres) {
      log('postgres: roles and databases')
      const plans = targets.flatMap((target) => {
        const secret = secretsOf(target.name).postgres
        return secret ? [{ target, password: secret.password, passwordIsNew: secret.isNew }] : []
      })
      changes.push(...(await provisionPostgres(postgres, plans, admin.postgres.connectionLimit)))
    }
    if (redis && admin.redis) {
      log('redis: acl users')
      changes.push(...redis.changes)
      const plans = targets.flatMap((target) => {
        const secret = secretsOf(target.name).redis
        return secret ? [{ target, password: secret.password }] : []
      })
      const aclPath = join(admin.secretsDir, 'redis', 'users.acl')
      const recorded = await readFile(aclPath, 'utf8').catch(() => undefined)
      const result = await provisionRedis(redis.client, admin.redis, plans, recorded)
      changes.push(...result.changes)
      if (await writeSecretFile(aclPath, result.aclFile)) {
        changes.push({ store: 'redis', app: '*', action: 'write acl file', detail: aclPath })
      }
    }
    if (admin.chroma && uses('chroma')) {
      log('chroma: tenants and databases')
      changes.push(...(await provisionChroma(admin.chroma, targets)))
    }
    if (admin.qdrant && uses('qdrant')) {
      log('qdrant: collections')
      changes.push(...(await provisionQdrant(admin.qdrant, targets)))
    }
    if (admin.neo4j && uses('neo4j')) {
      log(
        `neo4j (${admin.neo4j.mode}): ${admin.neo4j.mode === 'enterprise' ? 'databases, roles, users' : 'label constraints'}`,
      )
      const passwords = Object.fromEntries(
        targets.flatMap((t) => {
          const secret = secretsOf(t.name).neo4j
          return secret ? [[t.name, secret]] : []
        }),
      )
      changes.push(...(await provisionNeo4j(admin.neo4j, targets, admin.neo4j.mode, { passwords })))
    }
  } finally {
    await postgres?.end()
    redis?.client.disconnect()
  }

  log('credential files')
  const embedderEnv = await embedderCallerEnv(registry.apps, admin.embedderCallerSecret)
  for (const target of targets) {
    const extra: Record<string, string> = { ...embedderEnv.get(target.name) }
    const { chroma, qdrant, neo4j } = target.resources
    if (chroma && admin.chroma) {
      // The guard opens the tenant and database the token's claims name.
      const { tenant, database } = chroma
      extra.CHROMA_TOKEN = await appToken('chroma', admin.chroma.secret, target.name, {
        tenant,
        database,
      })
    }
    if (qdrant && admin.qdrant) {
      // A token is kept while it grants exactly these collections and is not yet due for
      // renewal; a new one reaches the running app through QDRANT_CREDENTIALS_FILE.
      const policy = admin.qdrant.tokens ?? DEFAULT_QDRANT_TOKEN_POLICY
      const existing = secrets.get(target.name)?.existing?.QDRANT_API_KEY
      const current =
        existing &&
        (await isQdrantTokenCurrent(existing, admin.qdrant.apiKey, qdrant.collections, {
          renewBeforeSeconds: policy.renewBeforeSeconds,
        }))
      extra.QDRANT_URL = admin.qdrant.appUrl ?? admin.qdrant.url
      extra.QDRANT_API_KEY = current
        ? existing
        : await mintQdrantToken(admin.qdrant.apiKey, qdrant.collections, {
            lifetimeSeconds: policy.lifetimeSeconds,
          })
      extra.QDRANT_COLLECTIONS = Object.entries(qdrant.byName)
        .map(([name, full]) => `${name}=${full}`)
        .join(',')
      extra.QDRANT_CREDENTIALS_FILE = appEnvPath(admin.secretsDir, target.name)
      const expires = new Date((qdrantTokenExpiry(extra.QDRANT_API_KEY) ?? 0) * 1000).toISOString()
      if (!current) {
        changes.push({ store: 'qdrant', app: target.name, action: 'mint token', detail: expires })
      }
      log(`qdrant: ${target.name}'s token ${current ? 'kept' : 'minted'}, expires ${expires}`)
    }
    if (neo4j && admin.neo4j) {
      extra.NEO4J_LABEL = neo4j.label
      const own = secretsOf(target.name).neo4j
      if (admin.neo4j.mode === 'enterprise' && own) {
        extra.NEO4J_URL = admin.neo4j.appUrl ?? admin.neo4j.url
        extra.NEO4J_USER = neo4jPrincipal(neo4j).user
        extra.NEO4J_PASSWORD = own.password
        extra.NEO4J_DATABASE = neo4j.database
      } else if (admin.neo4j.guard) {
        // Community has no per-app users and any Bolt login is an admin: apps get the
        // guard and a token naming them and their label, never a Bolt credential.
        extra.NEO4J_URL = admin.neo4j.guard.url
        extra.NEO4J_TOKEN = await neo4jGuardToken(
          admin.neo4j.guard.secret,
          target.name,
          neo4j.label,
        )
      }
    }
    const env = appEnv(target, admin, secretsOf(target.name), extra)
    const path = appEnvPath(admin.secretsDir, target.name)
    const content = formatEnvFile(
      `credentials of app ${target.name}, written by scripts/provision; never commit`,
      env,
    )
    if (await writeSecretFile(path, content)) {
      changes.push({
        store: 'secrets',
        app: target.name,
        action: 'write credentials',
        detail: path,
      })
    }
  }
  return changes
}

/** Loads the registry first: an invalid one throws RegistryError before any server is touched. */
export async function provisionRepository(
  root: string,
  admin: AdminConfig,
  options: ProvisionOptions = {},
): Promise<Change[]> {
  return provision(await loadRegistry(root), admin, options)
}
