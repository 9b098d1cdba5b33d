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
import { checkChromaAdmin, provisionChroma } from '@flotilla/data/chroma/provision'
import { resourcesFor } from '@flotilla/data/names'
import { neo4jPrincipal, provisionNeo4j } from '@flotilla/data/neo4j/provision'
import { connectPostgresAdmin, provisionPostgres } from '@flotilla/data/postgres/provision'
import type { Change, ProvisionTarget } from '@flotilla/data/provision-types'
import { provisionQdrant } from '@flotilla/data/qdrant/provision'
import { connectRedisAdmin, provisionRedis } from '@flotilla/data/redis/provision'
import { appToken, loadRegistry, type Registry, type StoreName } from '@flotilla/stack'
import type { AdminConfig } from './admin-config.js'
import { type AppSecrets, appEnv, appEnvPath, appSecrets } from './app-env.js'
import { EMBEDDER_APP, embedderCallerEnv } from './embedder.js'
import { formatEnvFile, writeSecretFile } from './secret-file.js'

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

/** What a run hands each store's step: the apps that use the store, and their passwords. */
interface StoreRun {
  targets: ProvisionTarget[]
  secretsOf: (app: string) => AppSecrets
  secretsDir: string
  log: (line: string) => void
}

/** A store the run has reached as its administrator; nothing is changed until `apply`. */
interface OpenStore {
  apply(): Promise<Change[]>
  close(): Promise<void> | void
}

interface StoreStep<Admin> {
  /** The setting that configures the store, named when an app needs it and it is unset. */
  setting: string
  /** Connects (or checks the admin credentials): an unreachable store stops the run before any change. */
  open(admin: Admin, run: StoreRun): Promise<OpenStore>
}

const noClose = () => {}

/**
 * Every store's provisioning step, run in this order. A store the registry knows but this
 * record lacks is a type error: adding a store means adding its step here.
 */
const STORES: { [S in StoreName]: StoreStep<NonNullable<AdminConfig[S]>> } = {
  postgres: {
    setting: 'POSTGRES_ADMIN_URL',
    async open(admin, { targets, secretsOf, log }) {
      const client = await connectPostgresAdmin(admin.url)
      const plans = targets.flatMap((target) => {
        const secret = secretsOf(target.name).postgres
        return secret ? [{ target, password: secret.password, passwordIsNew: secret.isNew }] : []
      })
      return {
        apply: () => {
          log('postgres: roles and databases')
          return provisionPostgres(client, plans, admin.connectionLimit)
        },
        close: () => client.end(),
      }
    },
  },
  redis: {
    setting: 'REDIS_ADMIN_URL',
    async open(admin, { targets, secretsOf, secretsDir, log }) {
      const connected = await connectRedisAdmin(admin)
      const plans = targets.flatMap((target) => {
        const secret = secretsOf(target.name).redis
        return secret ? [{ target, password: secret.password }] : []
      })
      return {
        apply: async () => {
          log('redis: acl users')
          const aclPath = join(secretsDir, 'redis', 'users.acl')
          const recorded = await readFile(aclPath, 'utf8').catch(() => undefined)
          const result = await provisionRedis(connected.client, admin, plans, recorded)
          const changes = [...connected.changes, ...result.changes]
          if (await writeSecretFile(aclPath, result.aclFile)) {
            changes.push({ store: 'redis', app: '*', action: 'write acl file', detail: aclPath })
          }
          return changes
        },
        close: () => connected.client.disconnect(),
      }
    },
  },
  chroma: {
    setting: 'CHROMA_GUARD_URL',
    async open(admin, { targets, log }) {
      await checkChromaAdmin(admin)
      return {
        apply: () => {
          log('chroma: tenants and databases')
          return provisionChroma(admin, targets)
        },
        close: noClose,
      }
    },
  },
  qdrant: {
    setting: 'QDRANT_ADMIN_URL',
    async open(admin, { targets, log }) {
      return {
        apply: () => {
          log('qdrant: collections')
          return provisionQdrant(admin, targets)
        },
        close: noClose,
      }
    },
  },
  neo4j: {
    setting: 'NEO4J_ADMIN_URL',
    async open(admin, { targets, secretsOf, log }) {
      const passwords = Object.fromEntries(
        targets.flatMap((t) => {
          const secret = secretsOf(t.name).neo4j
          return secret ? [[t.name, secret]] : []
        }),
      )
      return {
        apply: () => {
          log(
            `neo4j (${admin.mode}): ${admin.mode === 'enterprise' ? 'databases, roles, users' : 'label constraints'}`,
          )
          return provisionNeo4j(admin, targets, admin.mode, { passwords })
        },
        close: noClose,
      }
    },
  },
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
          `app ${target.name} uses ${store}, but ${STORES[store].setting} is not configured`,
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

  const secrets = new Map<string, { existing?: Record<string, string>; secrets: AppSecrets }>()
  for (const target of targets) {
    const existing = await readEnvFile(appEnvPath(admin.secretsDir, target.name))
    secrets.set(target.name, {
      ...(existing ? { existing } : {}),
      secrets: appSecrets(target, existing, rotate.has(target.name), admin.neo4j?.mode),
    })
  }
  const secretsOf = (app: string) => (secrets.get(app) as { secrets: AppSecrets }).secrets

  // Reach every store first: an unreachable one stops the run before any change.
  log(`provisioning ${targets.length} app(s): ${targets.map((t) => t.name).join(', ') || '(none)'}`)
  const opened: OpenStore[] = []
  const changes: Change[] = []
  try {
    for (const store of Object.keys(STORES) as StoreName[]) {
      const users = targets.filter((t) => t.resources[store])
      const config = admin[store]
      if (!config || users.length === 0) continue
      const step = STORES[store] as StoreStep<typeof config>
      opened.push(
        await step.open(config, { targets: users, secretsOf, secretsDir: admin.secretsDir, log }),
      )
    }
    for (const store of opened) changes.push(...(await store.apply()))
  } finally {
    for (const store of opened) await store.close()
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
