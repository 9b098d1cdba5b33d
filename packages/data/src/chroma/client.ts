import { appTokenClaims } from '@flotilla/stack'
import { ChromaClient, type Collection } from 'chromadb'

export interface ChromaClientConfig {
  /** The chroma-guard (CHROMA_URL), never Chroma itself. */
  url: string
  /** The app's guard token (CHROMA_TOKEN), whose claims name its tenant and database. */
  token: string
  /** The app's tenant and database (CHROMA_TENANT, CHROMA_DATABASE). */
  tenant: string
  database: string
  /** The collections the app declares (CHROMA_COLLECTIONS); the tenant already scopes them. */
  collections: readonly string[]
}

type CreateArgs = Parameters<ChromaClient['createCollection']>[0]
type GetArgs = Parameters<ChromaClient['getCollection']>[0]

/**
 * The official client with the tenant and database fixed to the app's own: there is no
 * way to name another tenant through it. The guard enforces the same on the server side
 * (a token opens only its own tenant); this is the second line and the convenience.
 */
export class ScopedChroma {
  readonly tenant: string
  readonly database: string
  readonly collections: readonly string[]
  readonly #client: ChromaClient

  constructor({ url: guard, token, tenant, database, collections }: ChromaClientConfig) {
    const claims = appTokenClaims('chroma', token)
    if (claims?.tenant !== tenant || claims.database !== database) {
      const opens = claims ? `${claims.tenant}/${claims.database}` : '?'
      throw new Error(`CHROMA_TOKEN opens "${opens}", not "${tenant}/${database}"`)
    }
    const url = new URL(guard)
    this.tenant = tenant
    this.database = database
    this.collections = collections
    this.#client = new ChromaClient({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      ssl: url.protocol === 'https:',
      tenant,
      database,
      headers: { 'x-chroma-token': token },
    })
  }

  heartbeat(): Promise<number> {
    return this.#client.heartbeat()
  }

  listCollections(args?: { limit?: number; offset?: number }): Promise<Collection[]> {
    return this.#client.listCollections(args)
  }

  countCollections(): Promise<number> {
    return this.#client.countCollections()
  }

  createCollection(args: CreateArgs): Promise<Collection> {
    return this.#client.createCollection(args)
  }

  getCollection(args: GetArgs): Promise<Collection> {
    return this.#client.getCollection(args)
  }

  getOrCreateCollection(args: CreateArgs): Promise<Collection> {
    return this.#client.getOrCreateCollection(args)
  }

  deleteCollection(args: { name: string }): Promise<void> {
    return this.#client.deleteCollection(args)
  }
}
