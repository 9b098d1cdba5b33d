import { ChromaClient, type Collection } from 'chromadb'

export interface ChromaClientConfig {
  /** The chroma-guard (CHROMA_URL), never Chroma itself. */
  url: string
  /** The app's guard token (CHROMA_TOKEN). */
  token: string
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
  readonly #client: ChromaClient

  constructor(app: string, database: string, config: ChromaClientConfig) {
    const tokenApp = config.token.slice(0, config.token.indexOf('.'))
    if (tokenApp !== app) {
      throw new Error(`CHROMA_TOKEN belongs to "${tokenApp || '?'}", not to app "${app}"`)
    }
    const url = new URL(config.url)
    this.tenant = app
    this.database = database
    this.#client = new ChromaClient({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      ssl: url.protocol === 'https:',
      tenant: app,
      database,
      headers: { 'x-chroma-token': config.token },
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
