import { Redis, type RedisOptions } from 'ioredis'
import type { Change, ProvisionTarget } from '../types.js'
import {
  adminAclRules,
  appAclRules,
  DEFAULT_USER_RULES,
  healthAclRules,
  REDIS_ADMIN_USER,
  REDIS_HEALTH_USER,
} from './redis-acl.js'

export interface RedisAdmin {
  url: string
  adminUser?: string
  adminPassword: string
  healthPassword: string
}

export interface RedisPlan {
  target: ProvisionTarget
  password: string
}

const QUIET: RedisOptions = {
  lazyConnect: true,
  enableReadyCheck: false,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  connectTimeout: 5_000,
}

async function open(options: RedisOptions): Promise<Redis> {
  const client = new Redis(options)
  // A refused AUTH arrives here; connect() itself only says "Connection is closed."
  let reason: Error | undefined
  client.on('error', (error: Error) => {
    reason = error
  })
  try {
    await client.connect()
    await client.ping()
    return client
  } catch (error) {
    client.disconnect()
    throw reason ?? error
  }
}

function isAuthError(error: unknown): boolean {
  return /WRONGPASS|NOAUTH|invalid username-password|NOPERM/i.test((error as Error).message ?? '')
}

/**
 * Connects as the admin user. On a server that has none yet, the URL's own credentials (the
 * `default` user and requirepass of a fresh server) create it; the returned changes say so.
 */
export async function connectRedisAdmin(
  admin: RedisAdmin,
): Promise<{ client: Redis; changes: Change[] }> {
  const url = new URL(admin.url)
  const user = admin.adminUser ?? REDIS_ADMIN_USER
  const base: RedisOptions = {
    ...QUIET,
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  }
  try {
    return {
      client: await open({ ...base, username: user, password: admin.adminPassword }),
      changes: [],
    }
  } catch (error) {
    if (!isAuthError(error)) throw error
  }
  const bootstrap = await open({
    ...base,
    username: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
  })
  try {
    await bootstrap.call('ACL', 'SETUSER', user, ...adminAclRules(admin.adminPassword))
  } finally {
    bootstrap.disconnect()
  }
  const client = await open({ ...base, username: user, password: admin.adminPassword })
  return {
    client,
    changes: [{ store: 'redis', app: '*', action: 'create acl user', detail: user }],
  }
}

async function aclLines(client: Redis): Promise<Map<string, string>> {
  const lines = (await client.call('ACL', 'LIST')) as string[]
  return new Map(lines.map((line) => [line.split(' ')[1] as string, line]))
}

async function setUser(
  client: Redis,
  before: Map<string, string>,
  app: string,
  user: string,
  rules: string[],
): Promise<Change[]> {
  // ACL SETUSER is atomic, and re-applying the same complete rule set changes nothing; the
  // ACL LIST line before and after tells whether it did.
  await client.call('ACL', 'SETUSER', user, ...rules)
  const after = (await aclLines(client)).get(user)
  const previous = before.get(user)
  if (previous === after) return []
  const action = previous === undefined ? 'create acl user' : 'update acl user'
  const summary = rules.filter((rule) => !rule.startsWith('#') && !rule.startsWith('>')).join(' ')
  return [{ store: 'redis', app, action, detail: `${user}: ${summary}` }]
}

/**
 * ACL users per app plus `admin` and `health`, and the `default` user switched off. Returns
 * the changes and the resulting ACL in aclfile form (what ACL SAVE writes), so users survive
 * a restart even where the server has no aclfile configured yet.
 */
export async function provisionRedis(
  client: Redis,
  admin: RedisAdmin,
  plans: RedisPlan[],
): Promise<{ changes: Change[]; aclFile: string }> {
  const before = await aclLines(client)
  const changes: Change[] = []
  const adminUser = admin.adminUser ?? REDIS_ADMIN_USER
  changes.push(
    ...(await setUser(client, before, '*', adminUser, adminAclRules(admin.adminPassword))),
  )
  changes.push(
    ...(await setUser(
      client,
      before,
      '*',
      REDIS_HEALTH_USER,
      healthAclRules(admin.healthPassword),
    )),
  )
  for (const plan of plans) {
    const redis = plan.target.resources.redis
    if (!redis) continue
    changes.push(
      ...(await setUser(
        client,
        before,
        plan.target.name,
        redis.user,
        appAclRules(redis, plan.password),
      )),
    )
  }
  // Last: the provisioner itself may have come in as `default` on a fresh server.
  changes.push(...(await setUser(client, before, '*', 'default', DEFAULT_USER_RULES)))

  const [, aclfile] = (await client.call('CONFIG', 'GET', 'aclfile')) as [string, string]
  if (aclfile) await client.call('ACL', 'SAVE')
  const lines = [...(await aclLines(client)).values()].sort()
  return { changes, aclFile: `${lines.join('\n')}\n` }
}
