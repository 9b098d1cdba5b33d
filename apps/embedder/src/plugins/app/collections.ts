import type { ScopedChroma } from '@flotilla/data/chroma'
import { AppError } from '@flotilla/service'
import {
  ChromaClientError,
  ChromaConnectionError,
  ChromaForbiddenError,
  ChromaNotFoundError,
  ChromaServerError,
  ChromaUnauthorizedError,
  ChromaValueError,
  type Collection,
  type Metadata,
  type Where,
} from 'chromadb'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Embeddings } from './embeddings.js'

declare module 'fastify' {
  interface FastifyInstance {
    collections: Collections
  }
}

export interface NewRecords {
  ids: string[]
  documents: string[]
  metadatas?: Metadata[]
}

export interface SemanticQuery {
  query: string
  nResults: number
  where?: Where
}

export interface Hit {
  id: string
  document: string | null
  metadata: Metadata | null
  /** Cosine distance: 0 for the same direction, up to 2. */
  distance: number | null
}

/**
 * Semantic collections for other apps, in this app's own Chroma tenant: each calling app
 * gets its own Chroma collection `<collection>__<app>` for every collection this app
 * declares (its credentials list them), so apps never see each other's records.
 */
export class Collections {
  private readonly handles = new Map<string, Collection>()

  constructor(
    private readonly chroma: ScopedChroma | undefined,
    private readonly embeddings: Embeddings,
  ) {}

  async upsert(caller: string, collection: string, records: NewRecords): Promise<number> {
    const name = this.chromaName(caller, collection)
    const { vectors } = await this.embeddings.embed(records.documents)
    await this.call(name, async () => {
      const handle = await this.handle(name, true)
      await handle.upsert({
        ids: records.ids,
        documents: records.documents,
        embeddings: vectors.map((vector) => Array.from(vector)),
        ...(records.metadatas && { metadatas: records.metadatas }),
      })
    })
    return records.ids.length
  }

  async query(caller: string, collection: string, query: SemanticQuery): Promise<Hit[]> {
    const name = this.chromaName(caller, collection)
    const { vectors } = await this.embeddings.embed([query.query])
    return this.call(name, async () => {
      let handle: Collection
      try {
        handle = await this.handle(name, false)
      } catch (error) {
        // Nothing stored yet: an empty collection, not an error.
        if (error instanceof ChromaNotFoundError) return []
        throw error
      }
      const result = await handle.query({
        queryEmbeddings: vectors.map((vector) => Array.from(vector)),
        nResults: query.nResults,
        ...(query.where && { where: query.where }),
        include: ['documents', 'metadatas', 'distances'],
      })
      return (result.rows()[0] ?? []).map((row) => ({
        id: row.id,
        document: row.document ?? null,
        metadata: row.metadata ?? null,
        distance: row.distance ?? null,
      }))
    })
  }

  private chromaName(caller: string, collection: string): string {
    const offered = this.configured().collections
    if (!offered.includes(collection)) {
      throw new AppError(
        404,
        'COLLECTION_NOT_FOUND',
        `collection "${collection}" is not offered; offered: ${offered.join(', ')}`,
      )
    }
    return `${collection}__${caller}`
  }

  private configured(): ScopedChroma {
    if (!this.chroma) {
      throw new AppError(503, 'CHROMA_NOT_CONFIGURED', 'collections need CHROMA_URL to be set')
    }
    return this.chroma
  }

  private async handle(name: string, create: boolean): Promise<Collection> {
    const known = this.handles.get(name)
    if (known) return known
    const chroma = this.configured()
    const handle = create
      ? await chroma.getOrCreateCollection({
          name,
          embeddingFunction: null,
          configuration: { hnsw: { space: 'cosine' } },
        })
      : await chroma.getCollection({ name, embeddingFunction: undefined })
    this.handles.set(name, handle)
    return handle
  }

  /** Runs a Chroma call, answering for Chroma's failures in the service's error shape. */
  private async call<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.configured()
    try {
      return await run()
    } catch (error) {
      // A collection deleted behind our back must be looked up again next time.
      if (error instanceof ChromaNotFoundError) this.handles.delete(name)
      throw chromaAppError(error)
    }
  }
}

function chromaAppError(error: unknown): unknown {
  // Not the client's message: for a guard's error body it reads "[object Object]".
  const unavailable = (why: string) =>
    new AppError(503, 'DEPENDENCY_UNAVAILABLE', `chroma is unavailable: ${why}`, {
      'retry-after': '5',
    })
  if (error instanceof ChromaConnectionError)
    return unavailable('the Chroma guard cannot be reached')
  if (error instanceof ChromaServerError) {
    return unavailable('the Chroma guard answered with a server error (Chroma down or failing)')
  }
  if (error instanceof ChromaUnauthorizedError || error instanceof ChromaForbiddenError) {
    return new AppError(
      502,
      'CHROMA_REFUSED',
      'the chroma guard refused this service (check CHROMA_TOKEN and CHROMA_TENANT)',
    )
  }
  if (error instanceof ChromaClientError || error instanceof ChromaValueError) {
    return new AppError(400, 'INVALID_COLLECTION_REQUEST', error.message)
  }
  return error
}

export default fp(
  async (app: FastifyInstance) => {
    app.decorate('collections', new Collections(app.data.chroma, app.embeddings))
  },
  { name: 'collections', dependencies: ['app-data', 'embeddings'] },
)
