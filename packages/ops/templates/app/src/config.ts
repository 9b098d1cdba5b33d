import { serviceConfig } from '@flotilla/service'
import type { Static } from 'typebox'

// The stores' credentials (DATABASE_URL, REDIS_URL, …) are the provisioner's, read by appData;
// add this app's own settings here.
export const __NAME__ConfigSchema = serviceConfig({})

export type __NAME__Config = Static<typeof __NAME__ConfigSchema>
