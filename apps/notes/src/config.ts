import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

/** notes' own settings; its stores' credentials are the provisioner's, read by appData. */
export const notesConfigSchema = serviceConfig({
  CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600 }),
})

export type NotesConfig = Static<typeof notesConfigSchema>
