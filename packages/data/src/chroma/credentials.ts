import { appToken } from '@flotilla/stack'
import type { StoreCredentials } from '../provision-types.js'
import type { ChromaResources } from './names.js'

/** What an app's Chroma variables need of the provisioner's Chroma settings. */
export interface ChromaAppAccess {
  /** The chroma-guard as the provisioner reaches it; the apps' too unless `appUrl` says otherwise. */
  url: string
  appUrl?: string
  /** CHROMA_GUARD_SECRET, which signs the apps' tokens. */
  secret: string
}

/** The guard's URL, the app's tenant, database and collections, and its guard token. */
export const chromaCredentials: StoreCredentials<ChromaAppAccess, ChromaResources> = {
  async forApp(app, chroma, admin) {
    const { tenant, database } = chroma
    return {
      env: {
        CHROMA_URL: admin.appUrl ?? admin.url,
        CHROMA_TENANT: tenant,
        CHROMA_DATABASE: database,
        CHROMA_COLLECTIONS: chroma.collections.join(','),
        // The guard opens the tenant and database the token's claims name.
        CHROMA_TOKEN: await appToken('chroma', admin.secret, app, { tenant, database }),
      },
      changes: [],
    }
  },
}
