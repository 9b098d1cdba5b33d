import { serviceConfig } from '@flotilla/service'
import type { Static } from 'typebox'

// Store credentials (DATABASE_URL, REDIS_URL, …) come from the provisioner's credentials
// file and are read by appDataConfigFromEnv; add this app's own settings here.
export const __NAME__ConfigSchema = serviceConfig({})

export type __NAME__Config = Static<typeof __NAME__ConfigSchema>
