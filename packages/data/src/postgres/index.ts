export { type MigrationOptions, runMigrations } from '../migrations.js'
export {
  openPostgres,
  type PostgresClientConfig,
  query,
} from './client.js'
