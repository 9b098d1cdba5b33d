import type { AppGraph, ScopedQdrant } from '@flotilla/data'

/** kb's Qdrant collection as its manifest declares it; the credentials name its full name. */
export const DOCS = 'docs'

/** The part of @flotilla/data's scoped Qdrant client kb uses. */
export type VectorStore = Pick<
  ScopedQdrant,
  'collection' | 'upsert' | 'delete' | 'search' | 'readiness'
>

/** The part of @flotilla/data's AppGraph kb uses. */
export type DocumentGraph = Pick<
  AppGraph,
  'upsertNode' | 'deleteNode' | 'link' | 'unlink' | 'neighbours' | 'readiness'
>
