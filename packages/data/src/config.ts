import type { ChromaClientConfig } from './chroma/index.js'
import type { GraphConfig } from './neo4j/index.js'
import type { PostgresClientConfig } from './postgres/index.js'
import { collectionsInQdrantToken, type QdrantClientConfig } from './qdrant/index.js'
import type { RedisClientConfig } from './redis/index.js'
import type { RetryOptions } from './retry.js'

/** What an app needs to open its stores: the content of its credentials file, typed. */
export interface AppDataConfig {
  postgres?: PostgresClientConfig & { required?: boolean }
  redis?: RedisClientConfig & {
    /** Whether /readyz fails without Redis (false for a cache). Default true. */
    required?: boolean
  }
  chroma?: ChromaClientConfig & { required?: boolean }
  qdrant?: QdrantClientConfig
  graph?: GraphConfig
  /** Connect retries; bounded. */
  retry?: RetryOptions
}

/** `a,b` → [a, b]. */
const nameList = (value: string | undefined) => (value ?? '').split(',').filter(Boolean)

/** `docs=kb__docs,…` → { docs: 'kb__docs', … }; undefined when an entry has no `=`. */
function nameMap(value: string | undefined): Record<string, string> | undefined {
  const pairs = nameList(value).map((entry) => entry.split('='))
  if (pairs.some((pair) => pair.length !== 2 || !pair[0] || !pair[1])) return undefined
  return Object.fromEntries(pairs)
}

/**
 * Reads the variables the provisioner writes (see README, "The credentials contract"): a
 * store is configured exactly when its URL is set, and every name comes from here — the
 * clients derive none.
 */
export function appDataConfigFromEnv(env: Record<string, string | undefined>): AppDataConfig {
  const config: AppDataConfig = {}
  const problems: string[] = []
  const needs = (variable: string, withVariable: string) => {
    if (!env[variable]) problems.push(`${variable} is required with ${withVariable}`)
    return env[variable] ?? ''
  }
  if (env.DATABASE_URL) config.postgres = { url: env.DATABASE_URL }
  if (env.REDIS_URL) {
    config.redis = { url: env.REDIS_URL, keyPrefix: needs('REDIS_KEY_PREFIX', 'REDIS_URL') }
  }
  if (env.CHROMA_URL) {
    config.chroma = {
      url: env.CHROMA_URL,
      token: needs('CHROMA_TOKEN', 'CHROMA_URL'),
      tenant: needs('CHROMA_TENANT', 'CHROMA_URL'),
      database: needs('CHROMA_DATABASE', 'CHROMA_URL'),
      collections: nameList(env.CHROMA_COLLECTIONS),
    }
  }
  if (env.QDRANT_URL) {
    const token = needs('QDRANT_API_KEY', 'QDRANT_URL')
    const byName = nameMap(needs('QDRANT_COLLECTIONS', 'QDRANT_URL'))
    if (!byName) problems.push('QDRANT_COLLECTIONS must be name=collection pairs, comma-separated')
    // The token grants the collections; QDRANT_COLLECTIONS names them for the app's code.
    const collections = token ? collectionsInQdrantToken(token) : []
    config.qdrant = { url: env.QDRANT_URL, token, collections, byName: byName ?? {} }
    if (env.QDRANT_CREDENTIALS_FILE) config.qdrant.credentialsFile = env.QDRANT_CREDENTIALS_FILE
  }
  if (env.NEO4J_URL) {
    const label = needs('NEO4J_LABEL', 'NEO4J_URL')
    if (env.NEO4J_TOKEN) {
      // Community: the guard's URL and the app's token; no Bolt credential at all.
      config.graph = { url: env.NEO4J_URL, token: env.NEO4J_TOKEN, label }
    } else if (env.NEO4J_DATABASE) {
      config.graph = {
        url: env.NEO4J_URL,
        user: env.NEO4J_USER ?? '',
        password: env.NEO4J_PASSWORD ?? '',
        mode: 'enterprise',
        label,
        database: env.NEO4J_DATABASE,
      }
    } else {
      problems.push(
        'NEO4J_TOKEN (community, through neo4j-guard) or NEO4J_DATABASE (enterprise) is required with NEO4J_URL',
      )
    }
  }
  if (problems.length > 0) throw new Error(`invalid data configuration: ${problems.join('; ')}`)
  return config
}
