import { query } from '@flotilla/data'
import type pg from 'pg'
import type { IndexTarget } from '../schemas/document.js'
import type { IndexQueueStatus } from '../schemas/reindex.js'

/** One claimed unit of work: bring `target` up to date with document `documentId`. */
export interface IndexJob {
  documentId: number
  target: IndexTarget
  generation: string
  attempts: number
}

/** Longer than any one indexing pass takes; a crashed worker's jobs come back after it. */
const LEASE_SECONDS = 120
const FIRST_RETRY_MS = 500

/**
 * The `index_queue` table: what the vector index and the graph still owe each document.
 * Writes enqueue in their own transaction, so a document can never be stored without
 * its indexing work being recorded.
 */
export class IndexQueue {
  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBackoffMs: number,
  ) {}

  /** Records work for a document; a newer write makes any in-flight job for it stale. */
  async enqueue(
    client: pg.ClientBase,
    documentIds: number[],
    targets: IndexTarget[],
  ): Promise<void> {
    if (documentIds.length === 0 || targets.length === 0) return
    await client.query(
      `INSERT INTO index_queue (document_id, target)
       SELECT d, t FROM unnest($1::int[]) AS d, unnest($2::text[]) AS t
       ON CONFLICT (document_id, target) DO UPDATE
       SET generation = index_queue.generation + 1, enqueued_at = now(),
           next_attempt_at = now(), attempts = 0, last_error = NULL`,
      [documentIds, targets],
    )
  }

  /** Queues every document for both targets; returns how many documents. */
  async enqueueAll(): Promise<number> {
    const { rowCount } = await query(
      this.pool,
      `INSERT INTO index_queue (document_id, target)
       SELECT d.id, t FROM documents d, unnest(ARRAY['vector', 'graph']) AS t
       ON CONFLICT (document_id, target) DO UPDATE
       SET generation = index_queue.generation + 1, enqueued_at = now(),
           next_attempt_at = now(), attempts = 0, last_error = NULL`,
    )
    return (rowCount ?? 0) / 2
  }

  /**
   * Leases due jobs of `target`: the given documents', or any enqueued at least `minAgeMs`
   * ago. A leased job is invisible to other workers until it is completed, failed or its
   * lease runs out.
   */
  async claim(
    target: IndexTarget,
    limit: number,
    { documentIds, minAgeMs = 0 }: { documentIds?: number[]; minAgeMs?: number } = {},
  ): Promise<IndexJob[]> {
    const { rows } = await query<{
      document_id: number
      generation: string
      attempts: number
    }>(
      this.pool,
      `UPDATE index_queue q SET leased_until = now() + make_interval(secs => $3)
       FROM (
         SELECT document_id, target FROM index_queue
         WHERE target = $1 AND next_attempt_at <= now()
           AND (leased_until IS NULL OR leased_until < now())
           AND ($4::int[] IS NULL OR document_id = ANY($4))
           AND enqueued_at <= now() - make_interval(secs => $5::float8 / 1000)
         ORDER BY next_attempt_at, document_id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ) due
       WHERE q.document_id = due.document_id AND q.target = due.target
       RETURNING q.document_id, q.generation, q.attempts`,
      [target, limit, LEASE_SECONDS, documentIds ?? null, minAgeMs],
    )
    return rows.map((row) => ({
      documentId: row.document_id,
      target,
      generation: row.generation,
      attempts: row.attempts,
    }))
  }

  /** Done; unless the document was written again meanwhile, then it goes round once more. */
  async complete(jobs: IndexJob[]): Promise<void> {
    if (jobs.length === 0) return
    const ids = jobs.map((job) => job.documentId)
    const generations = jobs.map((job) => job.generation)
    const target = jobs[0]?.target
    await query(
      this.pool,
      `WITH done AS (
         SELECT * FROM unnest($1::int[], $2::bigint[]) AS j(document_id, generation)
       ), removed AS (
         DELETE FROM index_queue q USING done
         WHERE q.target = $3 AND q.document_id = done.document_id
           AND q.generation = done.generation
         RETURNING q.document_id
       )
       UPDATE index_queue q SET leased_until = NULL
       FROM done
       WHERE q.target = $3 AND q.document_id = done.document_id
         AND q.document_id NOT IN (SELECT document_id FROM removed)`,
      [ids, generations, target],
    )
  }

  /** Not done: try again later, waiting longer after each failure. */
  async fail(jobs: IndexJob[], error: unknown): Promise<void> {
    if (jobs.length === 0) return
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1_000)
    await query(
      this.pool,
      `UPDATE index_queue SET attempts = attempts + 1, last_error = $3, leased_until = NULL,
         next_attempt_at = now() + make_interval(secs => least($4::float8,
           $5::float8 * power(2, least(attempts, 20))) / 1000)
       WHERE target = $2 AND document_id = ANY($1::int[])`,
      [
        jobs.map((job) => job.documentId),
        jobs[0]?.target,
        message,
        this.maxBackoffMs,
        FIRST_RETRY_MS,
      ],
    )
  }

  /** Makes every queued job due now, backoff or not. */
  async retryNow(): Promise<void> {
    await query(
      this.pool,
      'UPDATE index_queue SET next_attempt_at = now() WHERE next_attempt_at > now()',
    )
  }

  async status(): Promise<IndexQueueStatus> {
    const { rows } = await query<{ target: IndexTarget; pending: number; failing: number }>(
      this.pool,
      `SELECT target, count(*)::int AS pending, count(*) FILTER (WHERE attempts > 0)::int AS failing
       FROM index_queue GROUP BY target`,
    )
    const { rows: errors } = await query<{ last_error: string }>(
      this.pool,
      `SELECT last_error FROM index_queue WHERE last_error IS NOT NULL
       ORDER BY next_attempt_at DESC LIMIT 1`,
    )
    const counts = (target: IndexTarget) => {
      const row = rows.find((r) => r.target === target)
      return { pending: row?.pending ?? 0, failing: row?.failing ?? 0 }
    }
    return {
      vector: counts('vector'),
      graph: counts('graph'),
      lastError: errors[0]?.last_error ?? null,
    }
  }

  async pendingCount(target: IndexTarget): Promise<number> {
    const { rows } = await query<{ n: number }>(
      this.pool,
      'SELECT count(*)::int AS n FROM index_queue WHERE target = $1',
      [target],
    )
    return rows[0]?.n ?? 0
  }
}
