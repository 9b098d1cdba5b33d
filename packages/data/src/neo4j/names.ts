import type { App } from '@flotilla/stack'

/** The label every node of the app carries (its guard token's `label` claim). */
export function neo4jLabelOf(app: string): string {
  return `App_${app}`
}

export interface Neo4jResources {
  /** Enterprise: the app's own database (Neo4j database names allow no "_"). */
  database: string
  /** Community: the label every node of the app carries, e.g. `App_notes`. */
  label: string
}

/** The app's database (Enterprise) and label (Community). */
export function neo4jNames(app: App): Neo4jResources | undefined {
  if (!app.stores.neo4j) return undefined
  // `app-` keeps the database name >= 3 chars and off Neo4j's reserved `system*` names;
  // "_" → "-" is reversible because app names contain no "-".
  return { database: `app-${app.name.replaceAll('_', '-')}`, label: neo4jLabelOf(app.name) }
}
