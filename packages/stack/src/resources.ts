import type { App } from './app.js'

/** The one database each app has in its tenant; chroma-guard confines app tokens to it. */
export const CHROMA_DATABASE = 'main'

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
