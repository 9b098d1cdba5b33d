import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { BackupLog, StoreBackup } from '@flotilla/data/backup-types'
import { chromaBackup } from '@flotilla/data/chroma/backup'
import { type Neo4jBackupAccess, neo4jBackup } from '@flotilla/data/neo4j/backup'
import { type PostgresBackupAccess, postgresBackup } from '@flotilla/data/postgres/backup'
import { type QdrantBackupAccess, qdrantBackup } from '@flotilla/data/qdrant/backup'
import { type RedisBackupAccess, redisBackup } from '@flotilla/data/redis/backup'
import type { StoreName } from '@flotilla/stack'
import { type BackupManifest, checksumFiles, verifyBackup, writeManifest } from './manifest.js'
import { backupStamp } from './retention.js'

/** Everything needed to reach one app's stores: its credentials and what each store needs more. */
export type AppStoreAccess = PostgresBackupAccess &
  RedisBackupAccess &
  QdrantBackupAccess &
  Neo4jBackupAccess

type Counts = Required<BackupManifest['counts']>

/**
 * Every store's backup, in the order they are backed up, restored and counted (the manifest's
 * counts keep this order). A store without an entry does not compile.
 */
const STORES: { [S in StoreName]: StoreBackup<AppStoreAccess, Counts[S]> } = {
  postgres: postgresBackup,
  redis: redisBackup,
  chroma: chromaBackup,
  qdrant: qdrantBackup,
  neo4j: neo4jBackup,
}

/** The stores the app declares (the registry), in STORES' order. */
const storesOf = (access: AppStoreAccess) =>
  (Object.keys(STORES) as StoreName[]).filter((store) => access.app.stores[store])

const indented =
  (log: BackupLog): BackupLog =>
  (line) =>
    log(`    ${line}`)

async function countStore<S extends StoreName>(
  access: AppStoreAccess,
  store: S,
  counts: BackupManifest['counts'],
) {
  const count = await STORES[store].count(access)
  if (count !== undefined) counts[store] = count
}

/** What the stores hold now, in the manifest's terms. */
export async function countApp(access: AppStoreAccess): Promise<BackupManifest['counts']> {
  const counts: BackupManifest['counts'] = {}
  for (const store of storesOf(access)) await countStore(access, store, counts)
  return counts
}

/**
 * Backs up every store the app declares into <backupsRoot>/<app>/<timestamp>/ and writes
 * manifest.json last, so a folder without a manifest is an unfinished backup.
 */
export async function backupApp(
  access: AppStoreAccess,
  backupsRoot: string,
  log: BackupLog = () => {},
  now = new Date(),
): Promise<{ dir: string; manifest: BackupManifest }> {
  const { app } = access
  const dir = join(backupsRoot, app.name, backupStamp(now))
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const files: string[] = []
  try {
    for (const store of storesOf(access)) {
      files.push(...(await STORES[store].backup(access, dir, indented(log))))
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
  log: BackupLog = () => {},
): Promise<BackupManifest> {
  const manifest = await verifyBackup(dir, access.app.name)
  log(`    verified ${Object.keys(manifest.files).length} file(s) against manifest.json`)
  // Every store checks its part first: a bad backup, or one a store cannot restore, changes nothing.
  const files = Object.keys(manifest.files)
  const restores: ((log: BackupLog) => Promise<void>)[] = []
  for (const store of storesOf(access)) {
    const restore = await STORES[store].prepareRestore(access, dir, files)
    if (restore) restores.push(restore)
  }
  for (const restore of restores) await restore(indented(log))
  const after = await countApp(access)
  if (JSON.stringify(after) !== JSON.stringify(manifest.counts)) {
    throw new Error(
      `restored counts differ: ${JSON.stringify(after)} ≠ manifest ${JSON.stringify(manifest.counts)}`,
    )
  }
  log(`    counts match the manifest: ${JSON.stringify(after)}`)
  return manifest
}
