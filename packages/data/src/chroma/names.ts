import type { App } from '@flotilla/stack'

/** The one database each app has in its tenant (its guard token's `database` claim). */
const CHROMA_DATABASE = 'main'

export interface ChromaResources {
  tenant: string
  database: string
  /** Collection names as declared; the tenant already scopes them to the app. */
  collections: string[]
}

/** The app's own tenant, its one database in it, and its declared collections. */
export function chromaNames(app: App): ChromaResources | undefined {
  if (!app.stores.chroma) return undefined
  return { tenant: app.name, database: CHROMA_DATABASE, collections: [...app.stores.chroma] }
}
