import type { App } from '@flotilla/stack'

export interface PostgresResources {
  database: string
  role: string
}

/** The app's own database and the role that owns it: both its name. */
export function postgresNames(app: App): PostgresResources | undefined {
  return app.stores.postgres ? { database: app.name, role: app.name } : undefined
}
