import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

export const notesConfigSchema = serviceConfig({
  DATABASE_URL: Type.String({ minLength: 1 }),
  REDIS_URL: Type.String({ minLength: 1 }),
  /** Every key and channel of this app starts with it; the Redis ACL allows only these. */
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[a-z][a-z0-9_]*:$', default: 'notes:' }),
  CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600 }),
})

export type NotesConfig = Static<typeof notesConfigSchema>
