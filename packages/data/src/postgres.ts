export {
  openPostgres,
  type PostgresClientConfig,
  query,
} from './clients/postgres.js'
export { type MigrationOptions, runMigrations } from './migrations.js'
