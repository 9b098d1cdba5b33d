import { type Static, Type } from 'typebox'

export const ReindexQuery = Type.Object(
  {
    /** Queue every document again (after restoring Qdrant or Neo4j, or a new model). */
    all: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
)
export type ReindexQuery = Static<typeof ReindexQuery>

const QueueCounts = Type.Object({ pending: Type.Integer(), failing: Type.Integer() })

export const IndexQueueStatus = Type.Object({
  vector: QueueCounts,
  graph: QueueCounts,
  /** The last error of a job still failing, if any. */
  lastError: Type.Union([Type.String(), Type.Null()]),
})
export type IndexQueueStatus = Static<typeof IndexQueueStatus>

export const ReindexResult = Type.Object({
  queued: Type.Integer(),
  indexed: Type.Integer(),
  failed: Type.Integer(),
  queue: IndexQueueStatus,
})
export type ReindexResult = Static<typeof ReindexResult>
