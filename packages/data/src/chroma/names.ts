import { type App, CHROMA_DATABASE } from '@flotilla/stack'

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
