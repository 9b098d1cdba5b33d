import { ownPassword, passwordInUrl, type StoreCredentials } from '../provision-types.js'
import type { PostgresResources } from './names.js'

/** What an app's DATABASE_URL needs of the provisioner's PostgreSQL settings. */
export interface PostgresAppAccess {
  /** The superuser URL; its host is the apps' unless `appHost` says otherwise. */
  url: string
  appHost?: string
}

/** DATABASE_URL, holding the app's role and the password it keeps across runs. */
export const postgresCredentials: StoreCredentials<PostgresAppAccess, PostgresResources> = {
  password: (_admin, existing) => ({ kept: passwordInUrl(existing.DATABASE_URL) }),
  async forApp(app, postgres, admin, context) {
    const host = admin.appHost ?? new URL(admin.url).host
    const url = new URL(`postgres://${host}/${encodeURIComponent(postgres.database)}`)
    url.username = postgres.role
    url.password = ownPassword('postgres', app, context)
    return { env: { DATABASE_URL: url.href }, changes: [] }
  },
}
