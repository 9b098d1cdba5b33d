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
  /** Each collection as the app's code names it (its manifest name) → its full name. */
  byName: Record<string, string>
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

/** The one database each app has in its tenant; chroma-guard confines app tokens to it. */
export const CHROMA_DATABASE = 'main'
export const QDRANT_SEPARATOR = '__'

/** Where the stack's other apps reach the app: its compose service is its name. */
export function serviceUrlOf(app: Pick<App, 'name' | 'port'>): string {
  return `http://${app.name}:${app.port}`
}

/**
 * The label every node of the app carries. The neo4j-guard maps a token's app to it with this
 * same rule: the guard has no credential file to read it from.
 */
export function neo4jLabelOf(app: string): string {
  return `App_${app}`
}

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
    const byName = Object.fromEntries(
      stores.qdrant.map((c) => [c, `${name}${QDRANT_SEPARATOR}${c}`] as const),
    )
    resources.qdrant = { collections: Object.values(byName), byName }
  }
  if (stores.chroma) {
    resources.chroma = { tenant: name, database: CHROMA_DATABASE, collections: [...stores.chroma] }
  }
  if (stores.neo4j) {
    // `app-` keeps the database name >= 3 chars and off Neo4j's reserved `system*` names;
    // "_" → "-" is reversible because app names contain no "-".
    resources.neo4j = { database: `app-${name.replaceAll('_', '-')}`, label: neo4jLabelOf(name) }
  }
  return resources
}
