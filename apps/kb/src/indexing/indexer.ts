import { query } from '@flotilla/data'
import type { FastifyBaseLogger } from 'fastify'
import type pg from 'pg'
import type { IndexTarget } from '../schemas/document.js'
import type { EmbedderClient } from './embedder-client.js'
import { docNodeId, LINKS_TO, TAGGED, tagNodeId } from './graph-ids.js'
import type { IndexJob, IndexQueue } from './queue.js'
import { DOCS, type DocumentGraph, type VectorStore } from './stores.js'

export interface IndexerOptions {
  batchSize: number
  /** How long a write waits for its own indexing before answering; the rest is queued. */
  inlineWaitMs: number
}

export interface PassResult {
  indexed: number
  failed: number
}

interface GraphRow {
  id: number
  title: string
  tags: string[]
  links: number[]
}

/**
 * The model reads only its first few hundred tokens (the embedder truncates), and the
 * embedder refuses inputs over its MAX_INPUT_CHARS (20 000 by default): send the head only.
 */
const EMBEDDED_CHARS = 8_000

/** What gets embedded: the title carries most meaning, the body the rest. */
export function documentText(doc: { title: string; body: string }): string {
  return (doc.body ? `${doc.title}\n\n${doc.body}` : doc.title).slice(0, EMBEDDED_CHARS)
}

const GRAPH_FANOUT = 1_000

/**
 * Brings Qdrant and Neo4j up to date with PostgreSQL, one queued job at a time (batched
 * for the embedder). Every step is idempotent, so a job repeated after a crash or a
 * timeout does no harm.
 */
export class Indexer {
  /** A target whose last attempt failed is left to the background job until it recovers. */
  readonly #healthy: Record<IndexTarget, boolean> = { vector: true, graph: true }

  constructor(
    private readonly pool: pg.Pool,
    private readonly queue: IndexQueue,
    private readonly embedder: EmbedderClient,
    private readonly vectors: VectorStore | undefined,
    private readonly graph: DocumentGraph | undefined,
    private readonly options: IndexerOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Targets this instance can index at all (a store that is not configured is not one). */
  get targets(): IndexTarget[] {
    const targets: IndexTarget[] = []
    if (this.vectors) targets.push('vector')
    if (this.graph) targets.push('graph')
    return targets
  }

  /**
   * Right after a write: indexes the document at once, so search sees it in the answer's
   * wake, waiting at most `inlineWaitMs`. A target known to be failing is skipped: the
   * background job owns it until it recovers. Never throws.
   */
  async indexWritten(documentId: number): Promise<void> {
    const attempt = (async () => {
      for (const target of this.targets) {
        if (!this.#healthy[target]) continue
        const jobs = await this.queue.claim(target, 1, { documentIds: [documentId] })
        await this.#run(target, jobs)
      }
    })().catch((error) => {
      this.log.warn({ err: error, documentId }, 'indexing after a write failed; left queued')
    })
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      attempt,
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.options.inlineWaitMs)
      }),
    ])
    clearTimeout(timer)
  }

  /** One pass over due jobs of every target; `indexed + failed` is what was claimed. */
  async runOnce(): Promise<PassResult> {
    const result: PassResult = { indexed: 0, failed: 0 }
    for (const target of this.targets) {
      // While a target is healthy, a fresh job belongs to its write's own attempt.
      const minAgeMs = this.#healthy[target] ? this.options.inlineWaitMs : 0
      const jobs = await this.queue.claim(target, this.options.batchSize, { minAgeMs })
      const pass = await this.#run(target, jobs)
      result.indexed += pass.indexed
      result.failed += pass.failed
    }
    return result
  }

  /** Passes until nothing due is left or a pass makes no progress. */
  async drain(): Promise<PassResult> {
    const total: PassResult = { indexed: 0, failed: 0 }
    for (;;) {
      const pass = await this.runOnce()
      total.indexed += pass.indexed
      total.failed += pass.failed
      if (pass.indexed === 0 || pass.failed > 0) return total
    }
  }

  async #run(target: IndexTarget, jobs: IndexJob[]): Promise<PassResult> {
    if (jobs.length === 0) return { indexed: 0, failed: 0 }
    return target === 'vector' ? this.#runVectorJobs(jobs) : this.#runGraphJobs(jobs)
  }

  async #runVectorJobs(jobs: IndexJob[]): Promise<PassResult> {
    const vectors = this.vectors as VectorStore
    const collection = vectors.collection(DOCS)
    try {
      const ids = jobs.map((job) => job.documentId)
      const { rows } = await query<{ id: number; title: string; body: string }>(
        this.pool,
        'SELECT id, title, body FROM documents WHERE id = ANY($1) ORDER BY id',
        [ids],
      )
      if (rows.length > 0) {
        const embeddings = await this.embedder.embed(rows.map(documentText))
        await vectors.upsert(collection, {
          wait: true,
          points: rows.map((row, i) => ({
            id: row.id,
            vector: embeddings[i] as number[],
            payload: { documentId: row.id, title: row.title },
          })),
        })
      }
      const present = new Set(rows.map((row) => row.id))
      const deleted = ids.filter((id) => !present.has(id))
      if (deleted.length > 0) await vectors.delete(collection, { wait: true, points: deleted })
      await this.queue.complete(jobs)
      this.#healthy.vector = true
      return { indexed: jobs.length, failed: 0 }
    } catch (error) {
      return this.#failed('vector', jobs, error)
    }
  }

  async #runGraphJobs(jobs: IndexJob[]): Promise<PassResult> {
    const result: PassResult = { indexed: 0, failed: 0 }
    const { rows } = await query<GraphRow>(
      this.pool,
      `SELECT d.id, d.title, d.tags,
         ARRAY(SELECT l.to_id FROM document_links l WHERE l.from_id = d.id) AS links
       FROM documents d WHERE d.id = ANY($1)`,
      [jobs.map((job) => job.documentId)],
    )
    const byId = new Map(rows.map((row) => [row.id, row]))
    for (const job of jobs) {
      try {
        await this.#syncNode(job.documentId, byId.get(job.documentId))
        await this.queue.complete([job])
        this.#healthy.graph = true
        result.indexed++
      } catch (error) {
        const failed = await this.#failed('graph', [job], error)
        result.failed += failed.failed
      }
    }
    return result
  }

  /** Makes the document's node, its tag edges and its outgoing links match PostgreSQL. */
  async #syncNode(documentId: number, row: GraphRow | undefined): Promise<void> {
    const graph = this.graph as DocumentGraph
    const node = docNodeId(documentId)
    if (!row) {
      await graph.deleteNode(node)
      return
    }
    await graph.upsertNode(node, { kind: 'doc', documentId, title: row.title })
    await this.#syncEdges(node, TAGGED, row.tags.map(tagNodeId), (tagNode) =>
      graph.upsertNode(tagNode, { kind: 'tag', name: tagNode.slice(4) }),
    )
    await this.#syncEdges(node, LINKS_TO, row.links.map(docNodeId), (docNode) =>
      // The target may not be indexed yet; its own job fills in its title.
      graph.upsertNode(docNode, { kind: 'doc', documentId: Number(docNode.slice(4)) }),
    )
  }

  async #syncEdges(
    from: string,
    type: string,
    wanted: string[],
    ensureNode: (id: string) => Promise<unknown>,
  ): Promise<void> {
    const graph = this.graph as DocumentGraph
    const current = new Set(
      (await graph.neighbours(from, { type, direction: 'out', depth: 1, limit: GRAPH_FANOUT })).map(
        (node) => String(node.id),
      ),
    )
    for (const to of wanted) {
      if (current.has(to)) continue
      await ensureNode(to)
      await graph.link(from, to, type)
    }
    const wantedSet = new Set(wanted)
    for (const to of current) if (!wantedSet.has(to)) await graph.unlink(from, to, type)
  }

  async #failed(target: IndexTarget, jobs: IndexJob[], error: unknown): Promise<PassResult> {
    this.#healthy[target] = false
    this.log.warn(
      { err: error, target, documents: jobs.map((job) => job.documentId) },
      'indexing failed; queued for retry',
    )
    await this.queue.fail(jobs, error)
    return { indexed: 0, failed: jobs.length }
  }
}
