import type { DependencyCheck } from '@flotilla/service'
import { QdrantClient } from '@qdrant/js-client-rest'
import { collectionsInQdrantToken } from './token.js'

export interface QdrantClientConfig {
  url: string
  /** The app's JWT (QDRANT_API_KEY), never the server's API key. */
  token: string
  /** The app's collections (resourcesFor(app).qdrant.collections). */
  collections: readonly string[]
  /** Whether /readyz fails without Qdrant. Default true. */
  required?: boolean
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
  /** Resolves when Qdrant answers GET /readyz (open to collection-scoped tokens). */
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

/**
 * Opens Qdrant with the app's JWT. The server's `jwt_rbac` is the first line; this client
 * refuses other collections before anything is sent, and refuses a token that is not
 * collection-scoped (a master token given to an app is a provisioning mistake).
 */
export function openQdrant(config: QdrantClientConfig): ScopedQdrant {
  const allowed = [...config.collections]
  if (allowed.length === 0) throw new Error('qdrant: no collections configured for this app')
  const granted = new Set(collectionsInQdrantToken(config.token))
  const missing = allowed.filter((c) => !granted.has(c))
  if (missing.length > 0) throw new Error(`qdrant: the token does not grant ${missing.join(', ')}`)

  const authorization = `Bearer ${config.token}`
  const client = new QdrantClient({
    url: config.url,
    headers: { authorization },
    checkCompatibility: false,
  })
  const check = (collection: unknown) => {
    if (typeof collection !== 'string' || !allowed.includes(collection)) {
      throw new QdrantScopeError(String(collection), allowed)
    }
  }
  const scoped: Record<string, unknown> = {}
  for (const method of COLLECTION_METHODS) {
    const original = client[method] as (...args: unknown[]) => Promise<unknown>
    scoped[method] = async (collection: unknown, ...rest: unknown[]) => {
      check(collection)
      for (const referenced of referencedCollections(rest)) check(referenced)
      return original.call(client, collection, ...rest)
    }
  }
  const readyzUrl = new URL('readyz', config.url.endsWith('/') ? config.url : `${config.url}/`)
  const ready = async (signal?: AbortSignal) => {
    const response = await fetch(readyzUrl, {
      headers: { authorization },
      ...(signal ? { signal } : {}),
    })
    await response.body?.cancel()
    if (!response.ok) throw new Error(`qdrant: /readyz answered ${response.status}`)
  }
  return Object.assign(scoped as Pick<QdrantClient, CollectionMethod>, {
    collections: allowed,
    ready,
    readiness: { name: 'qdrant', required: config.required ?? true, check: ready },
  })
}
