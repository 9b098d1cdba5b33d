import { type App, STORE_NAMES, type StoreName } from '@flotilla/stack'
import { type ChromaResources, chromaNames } from './chroma/names.js'
import { type Neo4jResources, neo4jNames } from './neo4j/names.js'
import { type PostgresResources, postgresNames } from './postgres/names.js'
import { type QdrantResources, qdrantNames } from './qdrant/names.js'
import { type RedisResources, redisNames } from './redis/names.js'

export { QDRANT_SEPARATOR } from './qdrant/names.js'
export type { ChromaResources, Neo4jResources, PostgresResources, QdrantResources, RedisResources }

/** Each store's per-app names; a store of the manifest missing here is a type error. */
interface StoreResources {
  postgres: PostgresResources
  redis: RedisResources
  qdrant: QdrantResources
  chroma: ChromaResources
  neo4j: Neo4jResources
}

/** Every per-app store resource name; a store the app does not declare is absent. */
export type AppResources = { [S in StoreName]?: StoreResources[S] }

/** Each store's naming rule: the store's names.ts, registered here. */
const NAMES: { [S in StoreName]: (app: App) => StoreResources[S] | undefined } = {
  postgres: postgresNames,
  redis: redisNames,
  qdrant: qdrantNames,
  chroma: chromaNames,
  neo4j: neo4jNames,
}

function namesOf<S extends StoreName>(store: S, app: App): AppResources {
  const names = NAMES[store](app)
  return names ? { [store]: names } : {}
}

/** The one place that turns an app into store resource names. */
export function resourcesFor(app: App): AppResources {
  return Object.assign({}, ...STORE_NAMES.map((store) => namesOf(store, app)))
}
