import type { GraphConfig } from '../neo4j/index.js'
import { collectionsInQdrantToken, type QdrantClientConfig } from '../qdrant/index.js'
import type { ChromaClientConfig } from './chroma.js'
import type { PostgresClientConfig } from './postgres.js'
import type { RedisClientConfig } from './redis.js'
import type { RetryOptions } from './retry.js'

/** What an app needs to open its stores: the content of its credentials file, typed. */
export interface AppDataConfig {
  postgres?: PostgresClientConfig
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

/**
 * Reads the variables the provisioner writes (see README, "The credentials contract"): a
 * store is configured exactly when its URL is set.
 */
export function appDataConfigFromEnv(env: Record<string, string | undefined>): AppDataConfig {
  const config: AppDataConfig = {}
  const problems: string[] = []
  if (env.DATABASE_URL) config.postgres = { url: env.DATABASE_URL }
  if (env.REDIS_URL) {
    if (!env.REDIS_KEY_PREFIX) problems.push('REDIS_KEY_PREFIX is required with REDIS_URL')
    config.redis = { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX ?? '' }
  }
  if (env.CHROMA_URL) {
    if (!env.CHROMA_TOKEN) problems.push('CHROMA_TOKEN is required with CHROMA_URL')
    config.chroma = { url: env.CHROMA_URL, token: env.CHROMA_TOKEN ?? '' }
  }
  if (env.QDRANT_URL) {
    if (!env.QDRANT_API_KEY) problems.push('QDRANT_API_KEY is required with QDRANT_URL')
    // The token names the app's collections; nothing else needs to.
    const collections = env.QDRANT_API_KEY ? collectionsInQdrantToken(env.QDRANT_API_KEY) : []
    config.qdrant = { url: env.QDRANT_URL, token: env.QDRANT_API_KEY ?? '', collections }
    if (env.QDRANT_CREDENTIALS_FILE) config.qdrant.credentialsFile = env.QDRANT_CREDENTIALS_FILE
  }
  if (env.NEO4J_URL) {
    if (!env.NEO4J_LABEL) problems.push('NEO4J_LABEL is required with NEO4J_URL')
    const label = env.NEO4J_LABEL ?? ''
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
