import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { readEnvFile } from '@flotilla/data'
import { chromaCredentials } from '@flotilla/data/chroma/credentials'
import { checkChromaAdmin, provisionChroma } from '@flotilla/data/chroma/provision'
import { type AppResources, resourcesFor } from '@flotilla/data/names'
import { neo4jCredentials } from '@flotilla/data/neo4j/credentials'
import { provisionNeo4j } from '@flotilla/data/neo4j/provision'
import { postgresCredentials } from '@flotilla/data/postgres/credentials'
import { connectPostgresAdmin, provisionPostgres } from '@flotilla/data/postgres/provision'
import type {
  Change,
  CredentialEnv,
  ProvisionTarget,
  StoreCredentials,
} from '@flotilla/data/provision-types'
import { qdrantCredentials } from '@flotilla/data/qdrant/credentials'
import { provisionQdrant } from '@flotilla/data/qdrant/provision'
import { redisCredentials } from '@flotilla/data/redis/credentials'
import { connectRedisAdmin, provisionRedis } from '@flotilla/data/redis/provision'
import { loadRegistry, type Registry, type StoreName } from '@flotilla/stack'
import type { AdminConfig } from './admin-config.js'
import { type AppSecrets, appEnvFile, appEnvPath, storeSecret } from './app-env.js'
import { EMBEDDER_APP, embedderCallerEnv } from './embedder.js'
import { writeSecretFile } from './secret-file.js'

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

interface StoreStep<Admin, Names> {
  /** The setting that configures the store, named when an app needs it and it is unset. */
  setting: string
  /** Connects (or checks the admin credentials): an unreachable store stops the run before any change. */
  open(admin: Admin, run: StoreRun): Promise<OpenStore>
  /** Its part of each app's credential file: the store's `credentials.ts`. */
  credentials: StoreCredentials<Admin, Names>
}

const noClose = () => {}

/**
 * Every store's provisioning step, run in this order, and its part of the credential file,
 * written in this order. A store the registry knows but this record lacks is a type error:
 * adding a store means adding its step here.
 */
const STORES: {
  [S in StoreName]: StoreStep<NonNullable<AdminConfig[S]>, NonNullable<AppResources[S]>>
} = {
  postgres: {
    setting: 'POSTGRES_ADMIN_URL',
    credentials: postgresCredentials,
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
    credentials: redisCredentials,
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
    credentials: chromaCredentials,
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
    credentials: qdrantCredentials,
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
    credentials: neo4jCredentials,
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

/** The stores an app uses that this run configures: each with the app's names and the settings. */
function* storesOf(target: ProvisionTarget, admin: AdminConfig) {
  for (const store of Object.keys(STORES) as StoreName[]) {
    const names = target.resources[store]
    const config = admin[store]
    if (names && config) {
      yield { store, names, config, step: STORES[store] as StoreStep<typeof config, typeof names> }
    }
  }
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

  // Every password first: the admin steps set the ones generated this run.
  const files = new Map<string, { written: CredentialEnv | undefined; secrets: AppSecrets }>()
  for (const target of targets) {
    const written = await readEnvFile(appEnvPath(admin.secretsDir, target.name))
    const secrets: AppSecrets = {}
    for (const { store, config, step } of storesOf(target, admin)) {
      const slot = step.credentials.password?.(config, written ?? {})
      if (slot) secrets[store] = storeSecret(slot.kept, rotate.has(target.name))
    }
    files.set(target.name, { written, secrets })
  }
  const fileOf = (app: string) =>
    files.get(app) as { written: CredentialEnv | undefined; secrets: AppSecrets }
  const secretsOf = (app: string) => fileOf(app).secrets

  // Reach every store first: an unreachable one stops the run before any change.
  log(`provisioning ${targets.length} app(s): ${targets.map((t) => t.name).join(', ') || '(none)'}`)
  const opened: OpenStore[] = []
  const changes: Change[] = []
  try {
    for (const store of Object.keys(STORES) as StoreName[]) {
      const users = targets.filter((t) => t.resources[store])
      const config = admin[store]
      if (!config || users.length === 0) continue
      const step = STORES[store] as StoreStep<typeof config, unknown>
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
    const path = appEnvPath(admin.secretsDir, target.name)
    const { written, secrets } = fileOf(target.name)
    const env: CredentialEnv = {}
    for (const { store, names, config, step } of storesOf(target, admin)) {
      const part = await step.credentials.forApp(target.name, names, config, {
        existing: written ?? {},
        password: secrets[store]?.password,
        path,
        log,
      })
      Object.assign(env, part.env)
      changes.push(...part.changes)
    }
    Object.assign(env, embedderEnv.get(target.name))
    // A file holding exactly these variables is left as it is, whatever their order: the
    // stores and the embedder add theirs in STORES order, which an earlier run may not have.
    const unchanged = written !== undefined && isDeepStrictEqual(written, env)
    if (!unchanged && (await writeSecretFile(path, appEnvFile(target.name, env)))) {
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
