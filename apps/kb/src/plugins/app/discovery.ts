import { AppError } from '@flotilla/service'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { docNodeId, documentIdOf, LINKS_TO } from '../../indexing/graph-ids.js'
import { DOCS } from '../../indexing/stores.js'
import type { RelatedDocuments } from '../../schemas/document.js'
import type { SearchResults } from '../../schemas/search.js'

declare module 'fastify' {
  interface FastifyInstance {
    discovery: Discovery
  }
}

const RELATED_SCAN = 1_000

function unavailable(dependency: string, cause: unknown): AppError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new AppError(503, 'DEPENDENCY_UNAVAILABLE', `${dependency} is unavailable${reason}`, {
    'retry-after': '5',
  })
}

/** Semantic search (embedder + Qdrant) and related documents (Neo4j), answered from PostgreSQL. */
export class Discovery {
  constructor(private readonly app: FastifyInstance) {}

  async search(text: string, limit: number): Promise<SearchResults> {
    const { embedder, vectors, documents, indexQueue } = this.app
    if (!vectors) throw unavailable('qdrant', new Error('not configured'))
    let vector: number[]
    try {
      vector = (await embedder.embed([text]))[0] as number[]
    } catch (error) {
      throw unavailable('embedder', error)
    }
    let hits: { id: string | number; score: number }[]
    try {
      hits = await vectors.search(vectors.collection(DOCS), { vector, limit, with_payload: false })
    } catch (error) {
      throw unavailable('qdrant', error)
    }
    const scores = new Map(hits.map((hit) => [Number(hit.id), hit.score]))
    // A hit whose document was deleted but not yet unindexed is simply not found here.
    const found = await documents.getMany([...scores.keys()])
    return {
      items: found.map((document) => ({ document, score: scores.get(document.id) as number })),
      unindexed: await indexQueue.pendingCount('vector'),
    }
  }

  /** Documents linked to this one (either way) or sharing a tag with it, up to two hops away. */
  async related(id: number, limit: number): Promise<RelatedDocuments | undefined> {
    const { graph, documents } = this.app
    const document = await documents.get(id)
    if (!document) return undefined
    if (!graph) throw unavailable('neo4j', new Error('not configured'))
    const node = docNodeId(id)
    let near: Record<string, unknown>[]
    let linked: Record<string, unknown>[]
    try {
      ;[near, linked] = await Promise.all([
        graph.neighbours(node, { depth: 2, direction: 'both', limit: RELATED_SCAN }),
        graph.neighbours(node, {
          type: LINKS_TO,
          depth: 1,
          direction: 'both',
          limit: RELATED_SCAN,
        }),
      ])
    } catch (error) {
      throw unavailable('neo4j', error)
    }
    const linkedIds = new Set(linked.map((n) => documentIdOf(n.id)))
    const ids = near.flatMap((n) => documentIdOf(n.id) ?? [])
    const tags = new Set(document.tags)
    const items = (await documents.getMany(ids)).map((other) => ({
      document: other,
      linked: linkedIds.has(other.id),
      sharedTags: other.tags.filter((tag) => tags.has(tag)),
    }))
    items.sort(
      (a, b) =>
        Number(b.linked) - Number(a.linked) ||
        b.sharedTags.length - a.sharedTags.length ||
        a.document.id - b.document.id,
    )
    return { items: items.slice(0, limit) }
  }
}

export default fp(
  async (app: FastifyInstance) => {
    app.decorate('discovery', new Discovery(app))
  },
  { name: 'discovery', dependencies: ['stores', 'embedder', 'documents'] },
)
