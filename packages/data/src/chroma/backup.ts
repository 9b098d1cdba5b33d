import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BackupAccess, credential, type StoreBackup } from '../backup-types.js'

/** The guard (CHROMA_URL) and the app's token: the app's own tenant is all it opens. */
export interface ChromaAccess {
  url: string
  token: string
  /** The app's tenant and database, as its credentials name them. */
  tenant: string
  database: string
}

interface CollectionInfo {
  id: string
  name: string
  metadata: Record<string, unknown> | null
  configuration_json?: Record<string, unknown> | null
}

interface Records {
  ids: string[]
  embeddings: number[][] | null
  metadatas: (Record<string, unknown> | null)[] | null
  documents: (string | null)[] | null
}

export interface CollectionBackup {
  name: string
  metadata: Record<string, unknown> | null
  configuration: Record<string, unknown> | null
  records: Records
}

const PAGE = 1000

async function call<T>(access: ChromaAccess, method: string, path: string, body?: unknown) {
  const base = `${access.url.replace(/\/$/, '')}/api/v2/tenants/${access.tenant}/databases/${access.database}`
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      'x-chroma-token': access.token,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  if (!response.ok) {
    throw new Error(`chroma ${method} ${path}: HTTP ${response.status} ${await response.text()}`)
  }
  return (await response.json()) as T
}

async function listCollections(access: ChromaAccess): Promise<CollectionInfo[]> {
  const all: CollectionInfo[] = []
  for (let offset = 0; ; offset += PAGE) {
    const page = await call<CollectionInfo[]>(
      access,
      'GET',
      `/collections?limit=${PAGE}&offset=${offset}`,
    )
    all.push(...page)
    if (page.length < PAGE) return all.sort((a, b) => a.name.localeCompare(b.name))
  }
}

/** Every collection of the tenant with all ids, embeddings, metadatas and documents. */
export async function exportChroma(access: ChromaAccess): Promise<CollectionBackup[]> {
  const backups: CollectionBackup[] = []
  for (const collection of await listCollections(access)) {
    const records: Records = { ids: [], embeddings: [], metadatas: [], documents: [] }
    for (let offset = 0; ; offset += PAGE) {
      const page = await call<Records>(access, 'POST', `/collections/${collection.id}/get`, {
        include: ['embeddings', 'metadatas', 'documents'],
        limit: PAGE,
        offset,
      })
      records.ids.push(...page.ids)
      records.embeddings?.push(...(page.embeddings ?? []))
      records.metadatas?.push(...(page.metadatas ?? []))
      records.documents?.push(...(page.documents ?? []))
      if (page.ids.length < PAGE) break
    }
    backups.push({
      name: collection.name,
      metadata: sortKeys(collection.metadata),
      configuration: collection.configuration_json ?? null,
      records: sortById(records),
    })
  }
  return backups
}

/** Chroma returns metadata keys in no fixed order; sorted, equal content gives equal files. */
function sortKeys<T extends Record<string, unknown> | null>(value: T): T {
  if (value === null) return value
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) as T
}

/** Chroma returns records in storage order; by id, equal content gives equal files. */
function sortById(records: Records): Records {
  const order = records.ids
    .map((_, i) => i)
    .sort((a, b) => (records.ids[a] as string).localeCompare(records.ids[b] as string))
  const pick = <T>(list: T[] | null) => (list ? order.map((i) => list[i] as T) : null)
  return {
    ids: order.map((i) => records.ids[i] as string),
    embeddings: pick(records.embeddings),
    metadatas: pick(records.metadatas)?.map(sortKeys) ?? null,
    documents: pick(records.documents),
  }
}

export async function dumpChroma(access: ChromaAccess, file: string) {
  const collections = await exportChroma(access)
  await writeFile(file, JSON.stringify(collections))
  return Object.fromEntries(collections.map((c) => [c.name, c.records.ids.length]))
}

/** Vectors per collection. */
export async function countChroma(access: ChromaAccess): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const collection of await listCollections(access)) {
    counts[collection.name] = await call<number>(
      access,
      'GET',
      `/collections/${collection.id}/count`,
    )
  }
  return counts
}

/**
 * Recreates each backed-up collection (dropped first when present) with its records;
 * collections made after the backup are left alone.
 */
export async function restoreChroma(access: ChromaAccess, file: string) {
  const collections = JSON.parse(await readFile(file, 'utf8')) as CollectionBackup[]
  const existing = new Set((await listCollections(access)).map((c) => c.name))
  for (const backup of collections) {
    if (existing.has(backup.name)) await call(access, 'DELETE', `/collections/${backup.name}`)
    const created = await call<CollectionInfo>(access, 'POST', '/collections', {
      name: backup.name,
      metadata: backup.metadata,
      ...(backup.configuration && { configuration: backup.configuration }),
    })
    const { ids, embeddings, metadatas, documents } = backup.records
    for (let start = 0; start < ids.length; start += PAGE) {
      const slice = <T>(list: T[] | null) => list?.slice(start, start + PAGE) ?? null
      await call(access, 'POST', `/collections/${created.id}/add`, {
        ids: ids.slice(start, start + PAGE),
        embeddings: slice(embeddings),
        metadatas: slice(metadatas),
        documents: slice(documents),
      })
    }
  }
  return Object.fromEntries(collections.map((c) => [c.name, c.records.ids.length]))
}

const FILE = 'chroma.json'

/** The guard and the app's token, tenant and database, as its credentials name them. */
function chromaAccess(access: BackupAccess): ChromaAccess {
  return {
    url: credential(access, 'CHROMA_URL', 'chroma'),
    token: credential(access, 'CHROMA_TOKEN', 'chroma'),
    tenant: credential(access, 'CHROMA_TENANT', 'chroma'),
    database: credential(access, 'CHROMA_DATABASE', 'chroma'),
  }
}

/** Every collection of the app's tenant, through the guard with the app's own token. */
export const chromaBackup: StoreBackup<BackupAccess, Record<string, number>> = {
  count: (access) => countChroma(chromaAccess(access)),
  async backup(access, dir, log) {
    const vectors = await dumpChroma(chromaAccess(access), join(dir, FILE))
    log(`chroma: ${JSON.stringify(vectors)} → ${FILE}`)
    return [FILE]
  },
  async prepareRestore(access, dir, files) {
    if (!files.includes(FILE)) return undefined
    const chroma = chromaAccess(access)
    return async (log) => {
      await restoreChroma(chroma, join(dir, FILE))
      log('chroma: restored')
    }
  },
}
