import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

/**
 * kb's own settings. Store credentials (DATABASE_URL, QDRANT_*, NEO4J_*) are the
 * provisioner's contract and are read by @flotilla/data's appDataConfigFromEnv.
 */
export const kbConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002 }),
  /**
   * The embedder's address (the ml profile runs it), as the provisioner wrote it; absent when
   * the registry has no embedder, and then search answers 503 and writes queue.
   */
  EMBEDDER_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  EMBEDDER_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** How often the re-index job looks for queued work. */
  INDEX_INTERVAL_MS: Type.Integer({ minimum: 10, default: 5_000 }),
  /** Documents embedded per embedder call by the re-index job. */
  INDEX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 256, default: 32 }),
  /** Longest wait between retries of a document that keeps failing. */
  INDEX_MAX_BACKOFF_MS: Type.Integer({ minimum: 10, default: 60_000 }),
})

export type KbConfig = Static<typeof kbConfigSchema>
