import {
  appLoginUrl,
  type LoginAccess,
  ownPassword,
  passwordInUrl,
  type StoreCredentials,
} from '../provision-types.js'
import type { RedisResources } from './names.js'

/** REDIS_URL (the app's ACL user, its password kept across runs, its DB index) and REDIS_KEY_PREFIX. */
export const redisCredentials: StoreCredentials<LoginAccess, RedisResources> = {
  password: (_admin, existing) => ({ kept: passwordInUrl(existing.REDIS_URL) }),
  async forApp(app, redis, admin, context) {
    const REDIS_URL = appLoginUrl(admin, 'redis', String(redis.db), {
      user: redis.user,
      password: ownPassword('redis', app, context),
    })
    return { env: { REDIS_URL, REDIS_KEY_PREFIX: redis.keyPrefix }, changes: [] }
  },
}
