import { Redis, type RedisOptions } from 'ioredis'
import type { Change, ProvisionTarget } from '../provision-types.js'
import {
  adminAclRules,
  appAclRules,
  DEFAULT_USER_RULES,
  healthAclRules,
  REDIS_ADMIN_USER,
  REDIS_HEALTH_USER,
} from './acl.js'

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

/** One aclfile line: `user <name>` and exactly the rules applied (aclfile lines are SETUSER rules). */
function aclFileLine(user: string, rules: string[]): string {
  return `user ${user} ${rules.join(' ')}`
}

function recordedLines(aclFile: string | undefined): Map<string, string> {
  const lines = (aclFile ?? '').split('\n').filter((line) => line.startsWith('user '))
  return new Map(lines.map((line) => [line.split(' ')[1] as string, line]))
}

/**
 * Applies a user's complete rule set (ACL SETUSER is atomic, and `reset` first makes the
 * result independent of what was there). Whether that changed anything is judged against the
 * rule set the last run recorded, not against Redis's own rendering: ACL LIST describes
 * command rules by walking a hash table, so equal permissions can be written in another order
 * (another server process, or the same one later) — which made re-runs report changes that
 * were not there. Without a record (a first run) the rendering before and after decides.
 */
async function setUser(
  client: Redis,
  state: { before: Map<string, string>; recorded: Map<string, string> },
  app: string,
  user: string,
  rules: string[],
): Promise<Change[]> {
  await client.call('ACL', 'SETUSER', user, ...rules)
  const previous = state.before.get(user)
  const recorded = state.recorded.get(user)
  const unchanged =
    previous !== undefined &&
    (recorded !== undefined
      ? recorded === aclFileLine(user, rules)
      : previous === (await aclLines(client)).get(user))
  if (unchanged) return []
  const action = previous === undefined ? 'create acl user' : 'update acl user'
  const summary = rules.filter((rule) => !rule.startsWith('#') && !rule.startsWith('>')).join(' ')
  return [{ store: 'redis', app, action, detail: `${user}: ${summary}` }]
}

/**
 * ACL users per app plus `admin` and `health`, and the `default` user switched off. Returns
 * the changes and the rule sets applied in aclfile form: the record the next run compares
 * with (`recorded`, the file this returned last time), and a file Redis itself can load.
 */
export async function provisionRedis(
  client: Redis,
  admin: RedisAdmin,
  plans: RedisPlan[],
  recorded?: string,
): Promise<{ changes: Change[]; aclFile: string }> {
  const state = { before: await aclLines(client), recorded: recordedLines(recorded) }
  const adminUser = admin.adminUser ?? REDIS_ADMIN_USER
  const users: { app: string; user: string; rules: string[] }[] = [
    { app: '*', user: adminUser, rules: adminAclRules(admin.adminPassword) },
    { app: '*', user: REDIS_HEALTH_USER, rules: healthAclRules(admin.healthPassword) },
    ...plans.flatMap((plan) => {
      const redis = plan.target.resources.redis
      return redis
        ? [{ app: plan.target.name, user: redis.user, rules: appAclRules(redis, plan.password) }]
        : []
    }),
    // Last: the provisioner itself may have come in as `default` on a fresh server.
    { app: '*', user: 'default', rules: DEFAULT_USER_RULES },
  ]
  const changes: Change[] = []
  for (const { app, user, rules } of users) {
    changes.push(...(await setUser(client, state, app, user, rules)))
  }

  const [, aclfile] = (await client.call('CONFIG', 'GET', 'aclfile')) as [string, string]
  if (aclfile) await client.call('ACL', 'SAVE')
  const lines = users.map(({ user, rules }) => aclFileLine(user, rules)).sort()
  return { changes, aclFile: `${lines.join('\n')}\n` }
}
