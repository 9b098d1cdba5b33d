import { QdrantClient } from '@qdrant/js-client-rest'
import type { Change, ProvisionTarget } from '../provision-types.js'

export interface QdrantAdmin {
  url: string
  /** The server's `service.api_key`: a manage key, held only by the provisioner. */
  apiKey: string
}

export type QdrantDistance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan'

export interface QdrantVectorParams {
  size: number
  distance: QdrantDistance
}

export interface QdrantProvisionOptions {
  /**
   * Vector params of each collection, or a function of its full name; default 384 / Cosine,
   * the embedder's output.
   */
  vectors?: QdrantVectorParams | ((collection: string) => QdrantVectorParams)
  /** Payload field holding sub-tenants inside an app; default `tenant`. */
  tenantField?: string
}

export const DEFAULT_QDRANT_VECTORS: QdrantVectorParams = { size: 384, distance: 'Cosine' }
export const DEFAULT_TENANT_FIELD = 'tenant'

/** The official client, authenticated as the administrator (header set directly: no https warning). */
export function qdrantAdminClient(admin: QdrantAdmin): QdrantClient {
  if (!admin.apiKey) throw new Error('qdrant: the admin API key is empty')
  return new QdrantClient({ url: admin.url, headers: { 'api-key': admin.apiKey } })
}

function describe(error: unknown): string {
  const { status, data, message } = error as { status?: number; data?: unknown; message?: string }
  return status ? `${status} ${JSON.stringify(data)}` : String(message ?? error)
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new Error(`qdrant: ${what} failed: ${describe(error)}`)
  }
}

/**
 * Creates each app's collections (names from resourcesFor, never derived here) and the
 * `is_tenant` keyword index on the tenant field; changes nothing that already exists.
 * An existing collection with other vector params or a non-tenant index is an error,
 * never silently altered.
 */
export async function provisionQdrant(
  admin: QdrantAdmin,
  apps: ProvisionTarget[],
  options: QdrantProvisionOptions = {},
): Promise<Change[]> {
  const vectorsOption = options.vectors ?? DEFAULT_QDRANT_VECTORS
  const vectorsFor = (collection: string): QdrantVectorParams => {
    const vectors = typeof vectorsOption === 'function' ? vectorsOption(collection) : vectorsOption
    if (!Number.isInteger(vectors.size) || vectors.size < 1) {
      throw new Error(
        `qdrant: vector size of ${collection} must be a positive integer, got ${vectors.size}`,
      )
    }
    return vectors
  }
  const tenantField = options.tenantField ?? DEFAULT_TENANT_FIELD
  const client = qdrantAdminClient(admin)
  const changes: Change[] = []
  for (const { name: app, resources } of apps) {
    for (const collection of resources.qdrant?.collections ?? []) {
      const vectors = vectorsFor(collection)
      const { exists } = await call(`checking collection ${collection}`, () =>
        client.collectionExists(collection),
      )
      if (!exists) {
        await call(`creating collection ${collection}`, () =>
          client.createCollection(collection, { vectors }),
        )
        changes.push({
          store: 'qdrant',
          app,
          action: 'create collection',
          detail: `${collection} (${vectors.size}, ${vectors.distance})`,
        })
      }
      const info = await call(`reading collection ${collection}`, () =>
        client.getCollection(collection),
      )
      const params = info.config.params.vectors as { size?: number; distance?: string } | undefined
      if (exists && (params?.size !== vectors.size || params?.distance !== vectors.distance)) {
        throw new Error(
          `qdrant: collection ${collection} exists with vectors ${JSON.stringify(params)}, expected ${JSON.stringify(vectors)}`,
        )
      }
      const index = info.payload_schema[tenantField]
      if (!index) {
        await call(`creating tenant index on ${collection}`, () =>
          client.createPayloadIndex(collection, {
            wait: true,
            field_name: tenantField,
            field_schema: { type: 'keyword', is_tenant: true },
          }),
        )
        changes.push({
          store: 'qdrant',
          app,
          action: 'create tenant index',
          detail: `${collection}.${tenantField}`,
        })
      } else if (
        index.data_type !== 'keyword' ||
        (index.params as { is_tenant?: boolean } | null)?.is_tenant !== true
      ) {
        throw new Error(
          `qdrant: ${collection}.${tenantField} is indexed as ${JSON.stringify(index)}, expected a keyword index with is_tenant`,
        )
      }
    }
  }
  return changes
}
