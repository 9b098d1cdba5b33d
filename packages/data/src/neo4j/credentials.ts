import type { StoreCredentials } from '../provision-types.js'
import type { Neo4jMode } from './graph.js'
import type { Neo4jResources } from './names.js'
import { neo4jPrincipal } from './provision.js'
import { neo4jGuardToken } from './token.js'

/** What an app's Neo4j variables need of the provisioner's Neo4j settings. */
export interface Neo4jAppAccess {
  /** Bolt as the provisioner reaches it; Enterprise apps' too unless `appUrl` says otherwise. */
  url: string
  appUrl?: string
  mode: Neo4jMode
  /** Community: neo4j-guard as apps reach it, and the secret that signs their tokens. */
  guard?: { url: string; secret: string }
}

/**
 * NEO4J_LABEL, and the way in: Enterprise the app's own Bolt user (its password kept across
 * runs) and database; Community the guard and a token naming the app and its label.
 */
export const neo4jCredentials: StoreCredentials<Neo4jAppAccess, Neo4jResources> = {
  // Only Enterprise has per-app users; the password counts as kept only beside its database.
  password: (admin, existing) =>
    admin.mode === 'enterprise'
      ? { kept: existing.NEO4J_DATABASE ? existing.NEO4J_PASSWORD : undefined }
      : undefined,
  async forApp(app, neo4j, admin, { password }) {
    const env: Record<string, string> = { NEO4J_LABEL: neo4j.label }
    if (admin.mode === 'enterprise' && password !== undefined) {
      env.NEO4J_URL = admin.appUrl ?? admin.url
      env.NEO4J_USER = neo4jPrincipal(neo4j).user
      env.NEO4J_PASSWORD = password
      env.NEO4J_DATABASE = neo4j.database
    } else if (admin.guard) {
      // Community has no per-app users and any Bolt login is an admin: apps get the guard
      // and a token naming them and their label, never a Bolt credential.
      env.NEO4J_URL = admin.guard.url
      env.NEO4J_TOKEN = await neo4jGuardToken(admin.guard.secret, app, neo4j.label)
    }
    return { env, changes: [] }
  },
}
