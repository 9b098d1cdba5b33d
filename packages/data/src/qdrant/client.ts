import type { DependencyCheck } from '@flotilla/service'
import { QdrantClient } from '@qdrant/js-client-rest'
import { readEnvFile } from '../env-file.js'
import { collectionsInQdrantToken } from './token.js'

export interface QdrantClientConfig {
  url: string
  /** The app's JWT (QDRANT_API_KEY), never the server's API key. */
  token: string
  /** The collections the app's token grants (QDRANT_API_KEY's claims). */
  collections: readonly string[]
  /** Each collection as the app's code names it → its full name (QDRANT_COLLECTIONS). */
  byName?: Readonly<Record<string, string>>
  /** Whether /readyz fails without Qdrant. Default true. */
  required?: boolean
  /**
   * The credential file the token came from (QDRANT_CREDENTIALS_FILE). Re-read while the
   * client is in use, at most every `reloadIntervalMs`, and at once when the server refuses
   * the token (401/403, then the call is retried once): a token the provisioner renewed
   * reaches the running app without a restart.
   */
  credentialsFile?: string
  /** Default 60 000. */
  reloadIntervalMs?: number
}

/** Client methods whose first argument is the collection they act on. */
const COLLECTION_METHODS = [
  'batchUpdate',
  'clearPayload',
  'collectionExists',
  'count',
  'createPayloadIndex',
  'createSnapshot',
  'delete',
  'deletePayload',
  'deletePayloadIndex',
  'deleteSnapshot',
  'deleteVectors',
  'discoverBatchPoints',
  'discoverPoints',
  'facet',
  'getCollection',
  'getCollectionAliases',
  'listSnapshots',
  'overwritePayload',
  'query',
  'queryBatch',
  'queryGroups',
  'recommend',
  'recommendBatch',
  'recommendPointGroups',
  'retrieve',
  'scroll',
  'search',
  'searchBatch',
  'searchMatrixOffsets',
  'searchMatrixPairs',
  'searchPointGroups',
  'setPayload',
  'updateVectors',
  'upsert',
] as const satisfies readonly (keyof QdrantClient)[]

type CollectionMethod = (typeof COLLECTION_METHODS)[number]

/**
 * The official client limited to the app's own collections: collection-level and point
 * operations only (creating, dropping and aliasing collections is the provisioner's job).
 */
export type ScopedQdrant = Pick<QdrantClient, CollectionMethod> & {
  readonly collections: readonly string[]
  /** The full name of the app's collection `name` (as its manifest declares it). */
  collection(name: string): string
  /**
   * Resolves when the app's own token reads each of its collections and finds it there
   * (`GET /collections/<name>/exists`: collection read access). Not Qdrant's `/readyz`,
   * which needs no token at all and so passes with an expired or forged one.
   */
  ready(signal?: AbortSignal): Promise<void>
  readiness: DependencyCheck
}

export class QdrantScopeError extends Error {
  readonly status = 403
  constructor(
    readonly collection: string,
    allowed: readonly string[],
  ) {
    super(`qdrant: collection "${collection}" is not one of this app's (${allowed.join(', ')})`)
    this.name = 'QdrantScopeError'
  }
}

/** Collections other requests can pull from: `lookup_from` / `with_lookup` (recommend, query, groups). */
function referencedCollections(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) referencedCollections(item, found)
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'lookup_from' || key === 'with_lookup') {
        const name =
          typeof inner === 'string' ? inner : (inner as { collection?: unknown } | null)?.collection
        if (typeof name === 'string') found.push(name)
      } else {
        referencedCollections(inner, found)
      }
    }
  }
  return found
}

const DEFAULT_RELOAD_INTERVAL_MS = 60_000

/** What Qdrant answers when it refuses the credential itself (bad signature, expired, missing). */
const isRefusal = (error: unknown) => {
  const status = (error as { status?: unknown } | null)?.status
  return status === 401 || status === 403
}

function grantsAll(token: string, allowed: readonly string[], source: string): void {
  const granted = new Set(collectionsInQdrantToken(token))
  const missing = allowed.filter((c) => !granted.has(c))
  if (missing.length > 0) throw new Error(`qdrant: ${source} does not grant ${missing.join(', ')}`)
}

/**
 * The token in use and a client sending it; replaced when the credential file holds a new
 * one (a renewal or a rotated API key), never by a token that drops one of the app's collections.
 */
function tokenHolder(config: QdrantClientConfig, allowed: readonly string[]) {
  const clientFor = (token: string) =>
    new QdrantClient({ url: config.url, headers: { authorization: `Bearer ${token}` } })
  const file = config.credentialsFile
  const interval = config.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS
  let token = config.token
  let client = clientFor(token)
  let lastRead = Date.now()
  let reading: Promise<boolean> | undefined

  /** Reads the file now; true when it held a new token, which is then in use. */
  const reload = (): Promise<boolean> => {
    if (!file) return Promise.resolve(false)
    reading ??= (async () => {
      lastRead = Date.now()
      // Unreadable for a moment while the provisioner replaces it: keep the current token.
      const next = (await readEnvFile(file).catch(() => undefined))?.QDRANT_API_KEY
      if (!next || next === token) return false
      grantsAll(next, allowed, `the token in ${file}`)
      token = next
      client = clientFor(next)
      return true
    })().finally(() => {
      reading = undefined
    })
    return reading
  }

  /** Runs `call` with the current token; once more with a renewed one if the server refused it. */
  const withToken = async <T>(call: (client: QdrantClient, token: string) => Promise<T>) => {
    if (file && Date.now() - lastRead >= interval) await reload()
    const used = token
    try {
      return await call(client, used)
    } catch (error) {
      if (!isRefusal(error)) throw error
      // Another call may have renewed it meanwhile; otherwise look in the file now.
      if (token === used && !(await reload())) throw error
      return call(client, token)
    }
  }
  return { withToken }
}

/**
 * Opens Qdrant with the app's JWT. The server's `jwt_rbac` is the first line; this client
 * refuses other collections before anything is sent, and refuses a token that is not
 * collection-scoped (a token without `access` has full access: giving one to an app is a
 * provisioning mistake).
 */
export function openQdrant(config: QdrantClientConfig): ScopedQdrant {
  const allowed = [...config.collections]
  if (allowed.length === 0) throw new Error('qdrant: no collections configured for this app')
  grantsAll(config.token, allowed, 'the token')
  const byName = config.byName ?? {}
  const ungranted = Object.values(byName).filter((full) => !allowed.includes(full))
  if (ungranted.length > 0) {
    throw new Error(`qdrant: the token does not grant ${ungranted.join(', ')} (QDRANT_COLLECTIONS)`)
  }
  const collection = (name: string) => {
    const full = byName[name]
    if (full === undefined) {
      throw new Error(
        `qdrant: no collection "${name}" in QDRANT_COLLECTIONS (run scripts/provision)`,
      )
    }
    return full
  }
  const { withToken } = tokenHolder(config, allowed)

  const check = (collection: unknown) => {
    if (typeof collection !== 'string' || !allowed.includes(collection)) {
      throw new QdrantScopeError(String(collection), allowed)
    }
  }
  const scoped: Record<string, unknown> = {}
  for (const method of COLLECTION_METHODS) {
    scoped[method] = async (collection: unknown, ...rest: unknown[]) => {
      check(collection)
      for (const referenced of referencedCollections(rest)) check(referenced)
      return withToken((client) =>
        (client[method] as (...args: unknown[]) => Promise<unknown>).call(
          client,
          collection,
          ...rest,
        ),
      )
    }
  }
  const base = config.url.endsWith('/') ? config.url : `${config.url}/`
  const exists = (collection: string, signal?: AbortSignal) =>
    withToken(async (_client, token) => {
      const response = await fetch(
        new URL(`collections/${encodeURIComponent(collection)}/exists`, base),
        { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) },
      )
      if (!response.ok) {
        await response.body?.cancel()
        throw Object.assign(new Error(`qdrant: ${collection}: HTTP ${response.status}`), {
          status: response.status,
        })
      }
      const { result } = (await response.json()) as { result?: { exists?: unknown } }
      if (result?.exists !== true) {
        throw new Error(`qdrant: collection ${collection} does not exist (run scripts/provision)`)
      }
    })
  const ready = async (signal?: AbortSignal) => {
    await Promise.all(allowed.map((collection) => exists(collection, signal)))
  }
  return Object.assign(scoped as Pick<QdrantClient, CollectionMethod>, {
    collections: allowed,
    collection,
    ready,
    readiness: { name: 'qdrant', required: config.required ?? true, check: ready },
  })
}
