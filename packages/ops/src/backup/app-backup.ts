import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { appDataConfigFromEnv, type GraphConfig, openGraph } from '@flotilla/data'
import type { App } from '@flotilla/stack'
import { type ChromaAccess, countChroma, dumpChroma, restoreChroma } from './chroma.js'
import { type BackupManifest, checksumFiles, verifyBackup, writeManifest } from './manifest.js'
import {
  type BackupGraph,
  checkSnapshot,
  countNeo4j,
  dumpNeo4j,
  graphConfigFor,
  NEO4J_FILE,
  restoreNeo4j,
} from './neo4j.js'
import { countRows, dumpPostgres, type PgTools, restorePostgres } from './postgres.js'
import { countPoints, type QdrantAccess, restoreCollection, snapshotCollection } from './qdrant.js'
import { countKeys, dumpRedis, restoreRedis } from './redis.js'
import { backupStamp } from './retention.js'

/** Everything needed to reach one app's stores. */
export interface AppStoreAccess {
  app: App
  /** The app's credentials file (DATABASE_URL, REDIS_URL, CHROMA_URL, …). */
  env: Record<string, string | undefined>
  pgTools: PgTools
  /** A Redis URL allowed to RESTORE (the admin user), selecting the app's DB index. */
  redisRestoreUrl?: string
  /** Qdrant's API key, for recovering snapshots. */
  qdrantApiKey?: string
  /** How the app's graph is opened; default AppGraph (openGraph), so only its label is reached. */
  openGraph?: (config: GraphConfig) => BackupGraph
}

type Log = (line: string) => void

const need = (env: AppStoreAccess['env'], name: string, store: string) => {
  const value = env[name]
  if (!value) throw new Error(`${store}: ${name} is missing from the app's credentials`)
  return value
}

// The registry says which stores the app has; every name comes from its credentials, as the
// provisioner wrote them, exactly as the app itself reads them.

function chromaAccess({ env }: AppStoreAccess): ChromaAccess {
  return {
    url: need(env, 'CHROMA_URL', 'chroma'),
    token: need(env, 'CHROMA_TOKEN', 'chroma'),
    tenant: need(env, 'CHROMA_TENANT', 'chroma'),
    database: need(env, 'CHROMA_DATABASE', 'chroma'),
  }
}

const keyPrefix = (env: AppStoreAccess['env']) => need(env, 'REDIS_KEY_PREFIX', 'redis')

/** The app's Qdrant collections, full names, from QDRANT_COLLECTIONS. */
function qdrantCollections(env: AppStoreAccess['env']): string[] {
  const qdrantEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => name.startsWith('QDRANT_')),
  )
  return Object.values(appDataConfigFromEnv(qdrantEnv).qdrant?.byName ?? {})
}

function qdrantAccess({ env }: AppStoreAccess, apiKey?: string): QdrantAccess {
  return {
    url: need(env, 'QDRANT_URL', 'qdrant'),
    apiKey: apiKey ?? need(env, 'QDRANT_API_KEY', 'qdrant'),
  }
}

const qdrantFile = (collection: string) => `qdrant-${collection}.snapshot`

async function withGraph<T>(
  access: AppStoreAccess,
  use: (graph: BackupGraph) => Promise<T>,
): Promise<T> {
  const graph = (access.openGraph ?? openGraph)(graphConfigFor(access.app, access.env))
  try {
    return await use(graph)
  } finally {
    await graph.close()
  }
}

/** What the stores hold now, in the manifest's terms. */
export async function countApp(access: AppStoreAccess): Promise<BackupManifest['counts']> {
  const { app, env } = access
  const { stores } = app
  const counts: BackupManifest['counts'] = {}
  if (stores.postgres) counts.postgres = await countRows(need(env, 'DATABASE_URL', 'postgres'))
  if (stores.redis) counts.redis = await countKeys(need(env, 'REDIS_URL', 'redis'), keyPrefix(env))
  if (stores.chroma) counts.chroma = await countChroma(chromaAccess(access))
  if (stores.qdrant && env.QDRANT_URL) {
    counts.qdrant = {}
    for (const collection of qdrantCollections(env)) {
      counts.qdrant[collection] = await countPoints(qdrantAccess(access), collection)
    }
  }
  if (stores.neo4j && env.NEO4J_URL) counts.neo4j = await withGraph(access, countNeo4j)
  return counts
}

/**
 * Backs up every store the app declares into <backupsRoot>/<app>/<timestamp>/ and writes
 * manifest.json last, so a folder without a manifest is an unfinished backup.
 */
export async function backupApp(
  access: AppStoreAccess,
  backupsRoot: string,
  log: Log = () => {},
  now = new Date(),
): Promise<{ dir: string; manifest: BackupManifest }> {
  const { app, env } = access
  const { stores } = app
  const dir = join(backupsRoot, app.name, backupStamp(now))
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const files: string[] = []
  try {
    if (stores.postgres) {
      const url = need(env, 'DATABASE_URL', 'postgres')
      await dumpPostgres(access.pgTools, url, join(dir, 'postgres.dump'))
      files.push('postgres.dump')
      log(`    postgres: database ${new URL(url).pathname.slice(1)} → postgres.dump`)
    }
    if (stores.redis) {
      const prefix = keyPrefix(env)
      const keys = await dumpRedis(
        need(env, 'REDIS_URL', 'redis'),
        prefix,
        join(dir, 'redis.jsonl'),
      )
      files.push('redis.jsonl')
      log(`    redis: ${keys} key(s) under ${prefix} → redis.jsonl`)
    }
    if (stores.chroma) {
      const vectors = await dumpChroma(chromaAccess(access), join(dir, 'chroma.json'))
      files.push('chroma.json')
      log(`    chroma: ${JSON.stringify(vectors)} → chroma.json`)
    }
    if (stores.qdrant) {
      if (!env.QDRANT_URL) {
        log('    qdrant: skipped (no QDRANT_URL in the credentials)')
      } else {
        for (const collection of qdrantCollections(env)) {
          await snapshotCollection(
            qdrantAccess(access),
            collection,
            join(dir, qdrantFile(collection)),
          )
          files.push(qdrantFile(collection))
          log(`    qdrant: ${collection} → ${qdrantFile(collection)}`)
        }
      }
    }
    if (stores.neo4j) {
      if (!env.NEO4J_URL) {
        log('    neo4j: skipped (no NEO4J_URL in the credentials)')
      } else {
        const counts = await withGraph(access, (graph) => dumpNeo4j(graph, join(dir, NEO4J_FILE)))
        files.push(NEO4J_FILE)
        log(`    neo4j: ${counts.nodes} node(s), ${counts.links} link(s) → ${NEO4J_FILE}`)
      }
    }
    const manifest: BackupManifest = {
      format: 1,
      app: app.name,
      createdAt: now.toISOString(),
      files: await checksumFiles(dir, files),
      counts: await countApp(access),
    }
    await writeManifest(dir, manifest)
    return { dir, manifest }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/**
 * Verifies every checksum first (a bad backup changes nothing), then restores each store
 * and returns the counts afterwards; throws when they differ from the manifest's.
 */
export async function restoreApp(
  access: AppStoreAccess,
  dir: string,
  log: Log = () => {},
): Promise<BackupManifest> {
  const { app, env } = access
  const manifest = await verifyBackup(dir, app.name)
  log(`    verified ${Object.keys(manifest.files).length} file(s) against manifest.json`)
  if (manifest.files['redis.jsonl'] !== undefined && !access.redisRestoreUrl) {
    throw new Error('redis: restoring needs REDIS_ADMIN_URL (RESTORE is refused to app users)')
  }
  // Before any store changes: the graph is cleared before its import, so its file is read
  // through and its credentials resolved now.
  const graphFile = NEO4J_FILE in manifest.files ? join(dir, NEO4J_FILE) : undefined
  if (graphFile) graphConfigFor(app, env)
  const graphCounts = graphFile ? await checkSnapshot(graphFile) : undefined
  if ('postgres.dump' in manifest.files) {
    await restorePostgres(
      access.pgTools,
      need(env, 'DATABASE_URL', 'postgres'),
      join(dir, 'postgres.dump'),
    )
    log('    postgres: restored')
  }
  if ('redis.jsonl' in manifest.files && app.stores.redis && access.redisRestoreUrl) {
    const keys = await restoreRedis(
      access.redisRestoreUrl,
      keyPrefix(env),
      join(dir, 'redis.jsonl'),
    )
    log(`    redis: ${keys} key(s) restored`)
  }
  if ('chroma.json' in manifest.files) {
    await restoreChroma(chromaAccess(access), join(dir, 'chroma.json'))
    log('    chroma: restored')
  }
  for (const collection of app.stores.qdrant ? qdrantCollections(env) : []) {
    if (!(qdrantFile(collection) in manifest.files)) continue
    await restoreCollection(
      qdrantAccess(access, access.qdrantApiKey),
      collection,
      join(dir, qdrantFile(collection)),
    )
    log(`    qdrant: ${collection} restored`)
  }
  if (graphFile && graphCounts) {
    const restored = await withGraph(access, (graph) => restoreNeo4j(graph, graphFile, graphCounts))
    log(`    neo4j: ${restored.nodes} node(s), ${restored.links} link(s) restored`)
  }
  const after = await countApp(access)
  if (JSON.stringify(after) !== JSON.stringify(manifest.counts)) {
    throw new Error(
      `restored counts differ: ${JSON.stringify(after)} ≠ manifest ${JSON.stringify(manifest.counts)}`,
    )
  }
  log(`    counts match the manifest: ${JSON.stringify(after)}`)
  return manifest
}
