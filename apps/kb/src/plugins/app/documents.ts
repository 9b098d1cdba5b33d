import { query } from '@flotilla/data'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import { IndexQueue } from '../../indexing/queue.js'
import { transaction } from '../../postgres.js'
import type {
  Document,
  DocumentPage,
  DocumentPageQuery,
  DocumentPatch,
  IndexTarget,
  NewDocument,
} from '../../schemas/document.js'

declare module 'fastify' {
  interface FastifyInstance {
    documents: DocumentStore
    indexQueue: IndexQueue
  }
}

interface DocumentRow {
  id: number
  title: string
  body: string
  tags: string[]
  links: number[]
  pending: IndexTarget[]
  created_at: Date
  updated_at: Date
}

const selectDocuments = `
  SELECT d.id, d.title, d.body, d.tags, d.created_at, d.updated_at,
    ARRAY(SELECT l.to_id FROM document_links l WHERE l.from_id = d.id ORDER BY l.to_id) AS links,
    ARRAY(SELECT q.target FROM index_queue q WHERE q.document_id = d.id ORDER BY q.target) AS pending
  FROM documents d`

function toDocument(row: DocumentRow): Document {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    tags: row.tags,
    links: row.links,
    pendingIndex: row.pending,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export type LinkOutcome = 'linked' | 'unchanged' | { missing: number }

/**
 * Documents and their links in PostgreSQL, the source of truth. Every write records the
 * indexing it causes in the same transaction; the indexer catches the indexes up.
 */
export class DocumentStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly queue: IndexQueue,
  ) {}

  async list({ limit, before }: DocumentPageQuery): Promise<DocumentPage> {
    const { rows } = await query<DocumentRow>(
      this.pool,
      `${selectDocuments} WHERE ($1::int IS NULL OR d.id < $1) ORDER BY d.id DESC LIMIT $2`,
      [before ?? null, limit + 1],
    )
    const items = rows.slice(0, limit).map(toDocument)
    const nextBefore = rows.length > limit ? (items.at(-1)?.id ?? null) : null
    return { items, nextBefore }
  }

  async get(id: number): Promise<Document | undefined> {
    return (await this.getMany([id]))[0]
  }

  /** In the order of `ids`; ids without a document are left out. */
  async getMany(ids: number[]): Promise<Document[]> {
    if (ids.length === 0) return []
    const { rows } = await query<DocumentRow>(
      this.pool,
      `${selectDocuments} WHERE d.id = ANY($1)`,
      [ids],
    )
    const byId = new Map(rows.map((row) => [row.id, toDocument(row)]))
    return ids.flatMap((id) => byId.get(id) ?? [])
  }

  async create({ title, body = '', tags = [] }: NewDocument): Promise<number> {
    return transaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number }>(
        'INSERT INTO documents (title, body, tags) VALUES ($1, $2, $3) RETURNING id',
        [title, body, tags],
      )
      const id = (rows[0] as { id: number }).id
      await this.queue.enqueue(client, [id], ['vector', 'graph'])
      return id
    })
  }

  /** False when there is no such document. */
  async update(id: number, patch: DocumentPatch): Promise<boolean> {
    return transaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `UPDATE documents SET title = COALESCE($2, title), body = COALESCE($3, body),
           tags = COALESCE($4, tags), updated_at = now()
         WHERE id = $1`,
        [id, patch.title ?? null, patch.body ?? null, patch.tags ?? null],
      )
      if (rowCount !== 1) return false
      const targets: IndexTarget[] = []
      // The vector embeds title and body; the graph node carries the title and the tags.
      if (patch.title !== undefined || patch.body !== undefined) targets.push('vector')
      if (patch.title !== undefined || patch.tags !== undefined) targets.push('graph')
      await this.queue.enqueue(client, [id], targets)
      return true
    })
  }

  /** False when there is no such document. */
  async delete(id: number): Promise<boolean> {
    return transaction(this.pool, async (client) => {
      const { rowCount } = await client.query('DELETE FROM documents WHERE id = $1', [id])
      if (rowCount !== 1) return false
      // The indexer finds no document and removes its vector and its node.
      await this.queue.enqueue(client, [id], ['vector', 'graph'])
      return true
    })
  }

  async link(fromId: number, toId: number): Promise<LinkOutcome> {
    return transaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number }>(
        'SELECT id FROM documents WHERE id = ANY($1) FOR SHARE',
        [[fromId, toId]],
      )
      const found = new Set(rows.map((row) => row.id))
      const missing = [fromId, toId].find((id) => !found.has(id))
      if (missing !== undefined) return { missing }
      const { rowCount } = await client.query(
        'INSERT INTO document_links (from_id, to_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [fromId, toId],
      )
      if (rowCount !== 1) return 'unchanged'
      await this.queue.enqueue(client, [fromId], ['graph'])
      return 'linked'
    })
  }

  /** False when there was no such link. */
  async unlink(fromId: number, toId: number): Promise<boolean> {
    return transaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        'DELETE FROM document_links WHERE from_id = $1 AND to_id = $2',
        [fromId, toId],
      )
      if (rowCount !== 1) return false
      await this.queue.enqueue(client, [fromId], ['graph'])
      return true
    })
  }
}

export default fp(
  async (app: FastifyInstance, { maxBackoffMs }: { maxBackoffMs: number }) => {
    const queue = new IndexQueue(app.pg, maxBackoffMs)
    app.decorate('indexQueue', queue)
    app.decorate('documents', new DocumentStore(app.pg, queue))
  },
  { name: 'documents', dependencies: ['stores'] },
)
