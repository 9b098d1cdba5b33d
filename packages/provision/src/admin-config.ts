import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { DEFAULT_QDRANT_TOKEN_POLICY, type Neo4jMode, type QdrantTokenPolicy } from '@flotilla/data'

/** What the provisioner needs to reach each store as its administrator; apps never see it. */
export interface AdminConfig {
  /** Where per-app credential files are written (`<secretsDir>/apps/<app>.env`). */
  secretsDir: string
  postgres?: {
    /** Superuser URL. */
    url: string
    /** `host:port` apps use; defaults to the admin URL's. */
    appHost?: string
    /** Per-role CONNECTION LIMIT. */
    connectionLimit?: number
  }
  redis?: {
    /** Where Redis listens; credentials in it are used only to bootstrap the admin user. */
    url: string
    adminUser?: string
    adminPassword: string
    /** Password of the `health` user that may only PING. */
    healthPassword: string
    appHost?: string
  }
  chroma?: {
    /** The chroma-guard, never Chroma itself. */
    url: string
    adminToken: string
    /** CHROMA_GUARD_SECRET: app tokens are derived from it. */
    secret: string
    appUrl?: string
  }
  qdrant?: {
    url: string
    apiKey: string
    appUrl?: string
    /** Apps' token lifetime and renewal; default DEFAULT_QDRANT_TOKEN_POLICY (30 / 10 days). */
    tokens?: QdrantTokenPolicy
  }
  neo4j?: {
    /** Bolt, as the DBMS admin: constraints (community); databases, roles, users (enterprise). */
    url: string
    user: string
    password: string
    mode: Neo4jMode
    /** Enterprise: the Bolt URL apps use; defaults to `url`. */
    appUrl?: string
    /** Community: neo4j-guard as apps reach it, and the secret their tokens derive from. */
    guard?: { url: string; secret: string }
  }
  /** EMBEDDER_CALLER_SECRET: the embedder checks the caller tokens other apps get from it. */
  embedderCallerSecret?: string
}

export class AdminConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid provisioner configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'AdminConfigError'
  }
}

/**
 * Reads the admin configuration from the environment. Every secret may come from `NAME` or
 * from the file `NAME_FILE` names (compose secrets). A store whose URL is unset is not
 * configured; a configured store with a missing secret is an error.
 */
export function adminConfigFromEnv(env: NodeJS.ProcessEnv, cwd = process.cwd()): AdminConfig {
  const problems: string[] = []
  const value = (name: string): string | undefined => {
    const file = env[`${name}_FILE`]
    if (file) {
      try {
        return readFileSync(file, 'utf8').trim()
      } catch (error) {
        problems.push(`${name}_FILE: cannot read ${file} (${(error as Error).message})`)
        return undefined
      }
    }
    return env[name] || undefined
  }
  const required = (name: string, store: string): string => {
    const found = value(name)
    if (!found) problems.push(`${name} (or ${name}_FILE) is required when ${store} is configured`)
    return found ?? ''
  }
  const missing = (name: string, store: string): string => {
    problems.push(`${name} is required when ${store} is configured`)
    return ''
  }
  const optional = <T extends object>(entries: T): T =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as T

  const config: AdminConfig = { secretsDir: resolve(cwd, env.SECRETS_DIR ?? 'secrets') }

  const postgresUrl = value('POSTGRES_ADMIN_URL')
  if (postgresUrl) {
    const limit = env.POSTGRES_CONNECTION_LIMIT
    const connectionLimit = limit === undefined ? undefined : Number(limit)
    if (
      connectionLimit !== undefined &&
      !(Number.isInteger(connectionLimit) && connectionLimit > 0)
    ) {
      problems.push(`POSTGRES_CONNECTION_LIMIT: expected a positive integer, got "${limit}"`)
    }
    config.postgres = optional({
      url: postgresUrl,
      appHost: env.POSTGRES_APP_HOST,
      connectionLimit,
    })
  }
  const redisUrl = value('REDIS_ADMIN_URL')
  if (redisUrl) {
    config.redis = optional({
      url: redisUrl,
      adminUser: env.REDIS_ADMIN_USER,
      adminPassword: required('REDIS_ADMIN_PASSWORD', 'Redis'),
      healthPassword: required('REDIS_HEALTH_PASSWORD', 'Redis'),
      appHost: env.REDIS_APP_HOST,
    })
  }
  const chromaUrl = env.CHROMA_GUARD_URL
  if (chromaUrl) {
    config.chroma = optional({
      url: chromaUrl,
      adminToken: required('CHROMA_ADMIN_TOKEN', 'Chroma'),
      secret: required('CHROMA_GUARD_SECRET', 'Chroma'),
      appUrl: env.CHROMA_APP_URL,
    })
  }
  const qdrantUrl = env.QDRANT_ADMIN_URL
  if (qdrantUrl) {
    const DAY = 24 * 60 * 60
    const days = (name: string, fallbackSeconds: number): number => {
      const text = env[name]
      const value = text === undefined ? fallbackSeconds / DAY : Number(text)
      if (!(Number.isInteger(value) && value > 0)) {
        problems.push(`${name}: expected a positive whole number of days, got "${text}"`)
      }
      return value * DAY
    }
    const tokens = {
      lifetimeSeconds: days(
        'QDRANT_TOKEN_LIFETIME_DAYS',
        DEFAULT_QDRANT_TOKEN_POLICY.lifetimeSeconds,
      ),
      renewBeforeSeconds: days(
        'QDRANT_TOKEN_RENEW_DAYS',
        DEFAULT_QDRANT_TOKEN_POLICY.renewBeforeSeconds,
      ),
    }
    if (tokens.renewBeforeSeconds >= tokens.lifetimeSeconds) {
      problems.push('QDRANT_TOKEN_RENEW_DAYS must be less than QDRANT_TOKEN_LIFETIME_DAYS')
    }
    config.qdrant = optional({
      url: qdrantUrl,
      apiKey: required('QDRANT_API_KEY', 'Qdrant'),
      appUrl: env.QDRANT_APP_URL,
      tokens,
    })
  }
  const neo4jUrl = env.NEO4J_ADMIN_URL
  if (neo4jUrl) {
    const mode = env.NEO4J_MODE ?? 'community'
    if (mode !== 'community' && mode !== 'enterprise') {
      problems.push(`NEO4J_MODE: expected "community" or "enterprise", got "${mode}"`)
    }
    config.neo4j = optional({
      url: neo4jUrl,
      user: env.NEO4J_ADMIN_USER ?? 'neo4j',
      password: required('NEO4J_ADMIN_PASSWORD', 'Neo4j'),
      mode: mode as Neo4jMode,
      appUrl: env.NEO4J_APP_URL,
      // Community apps hold no Bolt credential: the guard is their only way in.
      guard:
        mode === 'community'
          ? {
              url: env.NEO4J_GUARD_URL ?? missing('NEO4J_GUARD_URL', 'Neo4j Community'),
              secret: required('NEO4J_GUARD_SECRET', 'Neo4j Community'),
            }
          : undefined,
    })
  }
  const embedderCallerSecret = value('EMBEDDER_CALLER_SECRET')
  if (embedderCallerSecret) config.embedderCallerSecret = embedderCallerSecret
  if (problems.length > 0) throw new AdminConfigError(problems)
  return config
}
