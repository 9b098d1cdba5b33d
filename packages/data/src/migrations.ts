import { runner } from 'node-pg-migrate'

export interface MigrationOptions {
  /** The app's DATABASE_URL: migrations run as the app's own role, in its own database. */
  databaseUrl: string
  /** The app's migrations folder (node-pg-migrate files: .sql, .js …). */
  dir: string
  log?: (message: string) => void
}

/** Applies pending migrations upwards; recorded in `schema_migrations`. */
export async function runMigrations(options: MigrationOptions): Promise<void> {
  await runner({
    databaseUrl: options.databaseUrl,
    dir: options.dir,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    log: options.log ?? (() => {}),
  })
}
