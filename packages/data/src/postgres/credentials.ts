import {
  appLoginUrl,
  type LoginAccess,
  ownPassword,
  passwordInUrl,
  type StoreCredentials,
} from '../provision-types.js'
import type { PostgresResources } from './names.js'

/** DATABASE_URL, holding the app's role and the password it keeps across runs. */
export const postgresCredentials: StoreCredentials<LoginAccess, PostgresResources> = {
  password: (_admin, existing) => ({ kept: passwordInUrl(existing.DATABASE_URL) }),
  async forApp(app, postgres, admin, context) {
    const DATABASE_URL = appLoginUrl(admin, 'postgres', encodeURIComponent(postgres.database), {
      user: postgres.role,
      password: ownPassword('postgres', app, context),
    })
    return { env: { DATABASE_URL }, changes: [] }
  },
}
