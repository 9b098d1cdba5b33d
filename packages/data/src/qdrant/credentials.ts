import type { StoreCredentials } from '../provision-types.js'
import type { QdrantResources } from './names.js'
import {
  DEFAULT_QDRANT_TOKEN_POLICY,
  isQdrantTokenCurrent,
  mintQdrantToken,
  type QdrantTokenPolicy,
  qdrantTokenExpiry,
} from './token.js'

/** What an app's Qdrant variables need of the provisioner's Qdrant settings. */
export interface QdrantAppAccess {
  /** Where the provisioner reaches Qdrant; the apps' URL too unless `appUrl` says otherwise. */
  url: string
  appUrl?: string
  /** The server's API key, which signs the apps' tokens. */
  apiKey: string
  /** Default DEFAULT_QDRANT_TOKEN_POLICY. */
  tokens?: QdrantTokenPolicy
}

/**
 * The app's URL, collections and token. A token is kept while it grants exactly these
 * collections and is not yet due for renewal; a new one reaches the running app through
 * QDRANT_CREDENTIALS_FILE (this file), and is a change.
 */
export const qdrantCredentials: StoreCredentials<QdrantAppAccess, QdrantResources> = {
  async forApp(app, qdrant, admin, { existing, path, log }) {
    const policy = admin.tokens ?? DEFAULT_QDRANT_TOKEN_POLICY
    const kept = existing.QDRANT_API_KEY
    const current =
      kept &&
      (await isQdrantTokenCurrent(kept, admin.apiKey, qdrant.collections, {
        renewBeforeSeconds: policy.renewBeforeSeconds,
      }))
    const token = current
      ? kept
      : await mintQdrantToken(admin.apiKey, qdrant.collections, {
          lifetimeSeconds: policy.lifetimeSeconds,
        })
    const expires = new Date((qdrantTokenExpiry(token) ?? 0) * 1000).toISOString()
    log(`qdrant: ${app}'s token ${current ? 'kept' : 'minted'}, expires ${expires}`)
    return {
      env: {
        QDRANT_URL: admin.appUrl ?? admin.url,
        QDRANT_API_KEY: token,
        QDRANT_COLLECTIONS: Object.entries(qdrant.byName)
          .map(([name, full]) => `${name}=${full}`)
          .join(','),
        QDRANT_CREDENTIALS_FILE: path,
      },
      changes: current ? [] : [{ store: 'qdrant', app, action: 'mint token', detail: expires }],
    }
  },
}
