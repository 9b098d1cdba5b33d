import type { App } from './app.js'

export interface PostgresResources {
  database: string
  role: string
}

export interface RedisResources {
  user: string
  /** ioredis `keyPrefix`; equal to the ACL key pattern without the `~` and `*`. */
  keyPrefix: string
  /** ACL key pattern, e.g. `~notes:*`. */
  keyPattern: string
  /** ACL pub/sub channel pattern, e.g. `&notes:*`. */
  channelPattern: string
  db: number
}

export interface QdrantResources {
  /** Full collection names, `app__name`, in manifest order. */
  collections: string[]
}

export interface ChromaResources {
  tenant: string
  database: string
  /** Collection names as declared; the tenant already scopes them to the app. */
  collections: string[]
}

export interface Neo4jResources {
  /** Enterprise: the app's own database (Neo4j database names allow no "_"). */
  database: string
  /** Community: the label every node of the app carries, e.g. `App_notes`. */
  label: string
}

/** Every per-app store resource name; a store the app does not declare is absent. */
export interface AppResources {
  postgres?: PostgresResources
  redis?: RedisResources
  qdrant?: QdrantResources
  chroma?: ChromaResources
  neo4j?: Neo4jResources
}

export const CHROMA_DATABASE = 'main'
export const QDRANT_SEPARATOR = '__'

/** The one place that turns an app into store resource names. */
export function resourcesFor(app: App): AppResources {
  const { name, stores } = app
  const resources: AppResources = {}
  if (stores.postgres) resources.postgres = { database: name, role: name }
  if (app.redisDb !== null) {
    resources.redis = {
      user: name,
      keyPrefix: `${name}:`,
      keyPattern: `~${name}:*`,
      channelPattern: `&${name}:*`,
      db: app.redisDb,
    }
  }
  if (stores.qdrant) {
    resources.qdrant = { collections: stores.qdrant.map((c) => `${name}${QDRANT_SEPARATOR}${c}`) }
  }
  if (stores.chroma) {
    resources.chroma = { tenant: name, database: CHROMA_DATABASE, collections: [...stores.chroma] }
  }
  if (stores.neo4j) {
    // `app-` keeps the database name >= 3 chars and off Neo4j's reserved `system*` names;
    // "_" → "-" is reversible because app names contain no "-".
    resources.neo4j = { database: `app-${name.replaceAll('_', '-')}`, label: `App_${name}` }
  }
  return resources
}
