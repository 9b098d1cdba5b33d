import type { AppData } from '@flotilla/data'

type ScopedQdrant = NonNullable<AppData['qdrant']>
type AppGraph = NonNullable<AppData['graph']>

/** The part of @flotilla/data's scoped Qdrant client kb uses. */
export type VectorStore = Pick<ScopedQdrant, 'upsert' | 'delete' | 'search' | 'readiness'>

/** The part of @flotilla/data's AppGraph kb uses. */
export type DocumentGraph = Pick<
  AppGraph,
  'upsertNode' | 'deleteNode' | 'link' | 'unlink' | 'neighbours' | 'readiness'
>
