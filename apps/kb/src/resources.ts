import { type App, resourcesFor } from '@flotilla/stack'
import manifest from '../package.json' with { type: 'json' }

export const APP_NAME = 'kb'

const app: App = {
  name: APP_NAME,
  packageName: manifest.name,
  dir: `apps/${APP_NAME}`,
  manifestFile: `apps/${APP_NAME}/package.json`,
  ...manifest.flotilla,
  tier: 'base',
  redisDb: null,
  env: {},
}

const resources = resourcesFor(app)

/** The Qdrant collection holding one vector per document (`kb__docs`). */
export const DOCS_COLLECTION = resources.qdrant?.collections[0] as string
/** Every graph node of this app carries it (community) and lives in this database (enterprise). */
export const GRAPH_LABEL = resources.neo4j?.label as string
export const GRAPH_DATABASE = resources.neo4j?.database as string
