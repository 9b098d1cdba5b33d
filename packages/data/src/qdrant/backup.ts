import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BackupAccess, credential, type StoreBackup } from '../backup-types.js'
import { appDataConfigFromEnv } from '../config.js'

/**
 * Qdrant over its REST snapshot API. `apiKey` is the app's JWT (from its credential file) for
 * snapshots and counts; uploading a snapshot needs the server's API key (the provisioner's),
 * as Qdrant's RBAC only lets global manage access replace a collection.
 */
export interface QdrantAccess {
  url: string
  apiKey: string
}

async function call(
  access: QdrantAccess,
  method: string,
  path: string,
  body?: string | FormData,
  type?: string,
) {
  const response = await fetch(`${access.url.replace(/\/$/, '')}${path}`, {
    method,
    headers: { 'api-key': access.apiKey, ...(type && { 'content-type': type }) },
    ...(body !== undefined && { body }),
  })
  if (!response.ok) {
    // App tokens expire: scripts/provision renews them (and rewrites the credential file).
    const hint =
      response.status === 401 || response.status === 403
        ? ' (the key was refused: an expired app token is renewed by scripts/provision)'
        : ''
    throw new Error(
      `qdrant ${method} ${path}: HTTP ${response.status} ${await response.text()}${hint}`,
    )
  }
  return response
}

const collectionPath = (collection: string) => `/collections/${encodeURIComponent(collection)}`

/** Snapshot of one collection, downloaded to `file` and deleted from the server. */
export async function snapshotCollection(access: QdrantAccess, collection: string, file: string) {
  const created = (await (
    await call(access, 'POST', `${collectionPath(collection)}/snapshots?wait=true`)
  ).json()) as {
    result: { name: string }
  }
  const snapshot = `${collectionPath(collection)}/snapshots/${encodeURIComponent(created.result.name)}`
  const download = await call(access, 'GET', snapshot)
  await writeFile(file, Buffer.from(await download.arrayBuffer()))
  await call(access, 'DELETE', snapshot)
}

/** Replaces the collection with the snapshot's content (upload + recover, snapshot wins). */
export async function restoreCollection(access: QdrantAccess, collection: string, file: string) {
  const form = new FormData()
  form.append('snapshot', new Blob([await readFile(file)]), `${collection}.snapshot`)
  await call(
    access,
    'POST',
    `${collectionPath(collection)}/snapshots/upload?priority=snapshot&wait=true`,
    form,
  )
}

export async function countPoints(access: QdrantAccess, collection: string): Promise<number> {
  const response = await call(
    access,
    'POST',
    `${collectionPath(collection)}/points/count`,
    JSON.stringify({ exact: true }),
    'application/json',
  )
  return ((await response.json()) as { result: { count: number } }).result.count
}

export interface QdrantBackupAccess extends BackupAccess {
  /** Qdrant's API key, for recovering snapshots. */
  qdrantApiKey?: string
}

/** The app's collections, full names, from QDRANT_COLLECTIONS; none without QDRANT_URL. */
function collectionsOf({ env }: BackupAccess): string[] {
  const qdrantEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => name.startsWith('QDRANT_')),
  )
  return Object.values(appDataConfigFromEnv(qdrantEnv).qdrant?.byName ?? {})
}

function qdrantAccess(access: BackupAccess, apiKey?: string): QdrantAccess {
  return {
    url: credential(access, 'QDRANT_URL', 'qdrant'),
    apiKey: apiKey ?? credential(access, 'QDRANT_API_KEY', 'qdrant'),
  }
}

const fileOf = (collection: string) => `qdrant-${collection}.snapshot`

/** A snapshot per collection of the app's, taken with its token, recovered with the server's key. */
export const qdrantBackup: StoreBackup<QdrantBackupAccess, Record<string, number>> = {
  async count(access) {
    if (!access.env.QDRANT_URL) return undefined
    const counts: Record<string, number> = {}
    for (const collection of collectionsOf(access)) {
      counts[collection] = await countPoints(qdrantAccess(access), collection)
    }
    return counts
  },
  async backup(access, dir, log) {
    if (!access.env.QDRANT_URL) {
      log('qdrant: skipped (no QDRANT_URL in the credentials)')
      return []
    }
    const files: string[] = []
    for (const collection of collectionsOf(access)) {
      await snapshotCollection(qdrantAccess(access), collection, join(dir, fileOf(collection)))
      files.push(fileOf(collection))
      log(`qdrant: ${collection} → ${fileOf(collection)}`)
    }
    return files
  },
  async prepareRestore(access, dir, files) {
    const collections = collectionsOf(access).filter((c) => files.includes(fileOf(c)))
    if (collections.length === 0) return undefined
    const admin = qdrantAccess(access, access.qdrantApiKey)
    return async (log) => {
      for (const collection of collections) {
        await restoreCollection(admin, collection, join(dir, fileOf(collection)))
        log(`qdrant: ${collection} restored`)
      }
    }
  },
}
