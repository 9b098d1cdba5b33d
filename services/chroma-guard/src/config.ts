import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

export const guardConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  /** Chroma itself, reachable only from the guard (e.g. http://chroma:8000). */
  CHROMA_UPSTREAM_URL: Type.String({ pattern: '^https?://[^/?#]+/?$' }),
  /** The key app tokens (HS256 JWTs) are signed with; held by the guard and the provisioner. */
  CHROMA_GUARD_SECRET: Type.String({ minLength: 32 }),
  /** Full access, for the provisioner (tenants, databases). */
  CHROMA_ADMIN_TOKEN: Type.String({ minLength: 32 }),
  // Chroma batches (max_batch_size 5461 records) of embeddings are large JSON bodies.
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 32 * 1024 * 1024 }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
})

export type GuardConfig = Static<typeof guardConfigSchema>
