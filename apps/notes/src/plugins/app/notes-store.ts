import { query } from '@flotilla/data/postgres'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import type { NewNote, Note, NotePage, NotePageQuery, NotePatch } from '../../schemas/note.js'

declare module 'fastify' {
  interface FastifyInstance {
    notes: NotesStore
  }
}

interface NoteRow {
  id: number
  title: string
  body: string
  created_at: Date
  updated_at: Date
}

const columns = 'id, title, body, created_at, updated_at'

function toNote(row: NoteRow): Note {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Notes in PostgreSQL with a read-through Redis cache; Redis failures only cost speed. */
export class NotesStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly redis: Redis,
    private readonly cacheTtlSeconds: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  async list({ limit, before }: NotePageQuery): Promise<NotePage> {
    const { rows } = await query<NoteRow>(
      this.pool,
      `SELECT ${columns} FROM notes WHERE ($1::int IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [before ?? null, limit + 1],
    )
    const items = rows.slice(0, limit).map(toNote)
    const nextBefore = rows.length > limit ? (items.at(-1)?.id ?? null) : null
    return { items, nextBefore }
  }

  async get(id: number): Promise<Note | undefined> {
    const cached = await this.#cacheGet(id)
    if (cached) return cached
    const { rows } = await query<NoteRow>(this.pool, `SELECT ${columns} FROM notes WHERE id = $1`, [
      id,
    ])
    const note = rows[0] && toNote(rows[0])
    if (note) await this.#cacheSet(note)
    return note
  }

  async create({ title, body = '' }: NewNote): Promise<Note> {
    const { rows } = await query<NoteRow>(
      this.pool,
      `INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING ${columns}`,
      [title, body],
    )
    return toNote(rows[0] as NoteRow)
  }

  async update(id: number, patch: NotePatch): Promise<Note | undefined> {
    const { rows } = await query<NoteRow>(
      this.pool,
      `UPDATE notes SET title = COALESCE($2, title), body = COALESCE($3, body), updated_at = now()
       WHERE id = $1 RETURNING ${columns}`,
      [id, patch.title ?? null, patch.body ?? null],
    )
    await this.#cacheDelete(id)
    return rows[0] && toNote(rows[0])
  }

  async delete(id: number): Promise<boolean> {
    const { rowCount } = await query(this.pool, 'DELETE FROM notes WHERE id = $1', [id])
    await this.#cacheDelete(id)
    return rowCount === 1
  }

  async #cacheGet(id: number): Promise<Note | undefined> {
    try {
      const cached = await this.redis.get(`note:${id}`)
      return cached ? (JSON.parse(cached) as Note) : undefined
    } catch (error) {
      this.log.warn({ err: error }, 'cache read failed; reading from postgres')
      return undefined
    }
  }

  async #cacheSet(note: Note): Promise<void> {
    try {
      await this.redis.set(`note:${note.id}`, JSON.stringify(note), 'EX', this.cacheTtlSeconds)
    } catch (error) {
      this.log.warn({ err: error }, 'cache write failed')
    }
  }

  // A stale entry outlives a failed delete by at most the TTL; that is the cache's contract.
  async #cacheDelete(id: number): Promise<void> {
    try {
      await this.redis.del(`note:${id}`)
    } catch (error) {
      this.log.warn({ err: error }, 'cache invalidation failed')
    }
  }
}

export default fp(
  async (app: FastifyInstance, { cacheTtlSeconds }: { cacheTtlSeconds: number }) => {
    const store = new NotesStore(
      app.data.client('postgres'),
      app.data.client('redis'),
      cacheTtlSeconds,
      app.log,
    )
    app.decorate('notes', store)
  },
  { name: 'notes-store', dependencies: ['app-data'] },
)
