import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { loadRegistry } from '@flotilla/stack'
import type { RedisOptions } from 'ioredis'
import { resourcesFor } from '../../src/names.js'
import type { Change } from '../../src/provision-types.js'
import {
  connectRedisAdmin,
  provisionRedis,
  type RedisAdmin,
  type RedisPlan,
} from '../../src/redis/provision.js'
import type { PersistentRedis } from '../../src/redis/test-server.js'
import { makeRepo } from '../fixtures.js'

export interface ProvisionedRedis {
  /** One run of the Redis step, as the stack's provisioner makes on every `up`. */
  provision(): Promise<Change[]>
  /**
   * The rule record the last run returned, which the provisioner keeps in
   * `secrets/redis/users.acl` and hands the next run; a test may rewrite it to stand for an
   * older provisioner's record.
   */
  record: string | undefined
  /** The app's own login: REDIS_URL's user, password and DB index, and REDIS_KEY_PREFIX. */
  login(app: string): RedisOptions & { keyPrefix: string }
  /** Removes the fixture registry. */
  remove(): Promise<void>
}

/**
 * This package's Redis admin step (redis/provision.ts) for registry apps that use Redis, on a
 * server run as the stack runs it: the admin user made from a fresh server's open `default`,
 * one ACL user per app, `default` switched off. The names come from the registry through
 * resourcesFor, as the provisioner's do; the passwords are generated once, as a first run does.
 */
export async function provisionedRedis(
  redis: PersistentRedis,
  apps: { name: string; redisDb: number }[],
): Promise<ProvisionedRedis> {
  const root = await makeRepo(apps.map((app) => ({ ...app, stores: { redis: true } })))
  const plans: RedisPlan[] = (await loadRegistry(root)).apps.map((app) => ({
    target: { name: app.name, resources: resourcesFor(app) },
    password: randomBytes(24).toString('base64url'),
  }))
  const admin: RedisAdmin = {
    url: `redis://${redis.host}:${redis.port}`,
    adminPassword: redis.adminPassword,
    healthPassword: randomBytes(24).toString('base64url'),
  }
  const provisioned: ProvisionedRedis = {
    record: undefined,
    async provision() {
      const { client, changes } = await connectRedisAdmin(admin)
      try {
        const result = await provisionRedis(client, admin, plans, provisioned.record)
        provisioned.record = result.aclFile
        return [...changes, ...result.changes]
      } finally {
        client.disconnect()
      }
    },
    login(app) {
      const plan = plans.find((p) => p.target.name === app)
      const names = plan?.target.resources.redis
      if (!plan || !names) throw new Error(`${app} is not a Redis app of this fixture`)
      return {
        host: redis.host,
        port: redis.port,
        username: names.user,
        password: plan.password,
        db: names.db,
        keyPrefix: names.keyPrefix,
      }
    },
    remove: () => rm(root, { recursive: true, force: true }),
  }
  return provisioned
}
