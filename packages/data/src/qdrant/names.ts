import type { App } from '@flotilla/stack'

/** Between the app's name and a collection's: app names contain no "__". */
export const QDRANT_SEPARATOR = '__'

export interface QdrantResources {
  /** Full collection names, `app__name`, in manifest order. */
  collections: string[]
  /** Each collection as the app's code names it (its manifest name) → its full name. */
  byName: Record<string, string>
}

/** The app's collections, each prefixed with its name (Qdrant has no namespace of its own). */
export function qdrantNames(app: App): QdrantResources | undefined {
  if (!app.stores.qdrant) return undefined
  const byName = Object.fromEntries(
    app.stores.qdrant.map((c) => [c, `${app.name}${QDRANT_SEPARATOR}${c}`] as const),
  )
  return { collections: Object.values(byName), byName }
}
