import { ownPassword, passwordInUrl, type StoreCredentials } from '../provision-types.js'
import type { RedisResources } from './names.js'

/** What an app's REDIS_URL needs of the provisioner's Redis settings. */
export interface RedisAppAccess {
  /** Where the provisioner reaches Redis; its host is the apps' unless `appHost` says otherwise. */
  url: string
  appHost?: string
}

/** REDIS_URL (the app's ACL user, its password kept across runs, its DB index) and REDIS_KEY_PREFIX. */
export const redisCredentials: StoreCredentials<RedisAppAccess, RedisResources> = {
  password: (_admin, existing) => ({ kept: passwordInUrl(existing.REDIS_URL) }),
  async forApp(app, redis, admin, context) {
    const host = admin.appHost ?? new URL(admin.url).host
    const url = new URL(`redis://${host}/${redis.db}`)
    url.username = redis.user
    url.password = ownPassword('redis', app, context)
    return { env: { REDIS_URL: url.href, REDIS_KEY_PREFIX: redis.keyPrefix }, changes: [] }
  },
}
